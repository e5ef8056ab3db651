// Velociraptor's own artifacts (../shared/velociraptor-artifacts, unchanged) run here and agree
// with the machine itself: mounts with /proc/mounts, processes and their parents with /proc,
// sockets with a listener the test opens, interfaces with Node's view, packages with dpkg,
// hosts with /etc/hosts, modules with /proc/modules, ACPI tables with /sys, and crontab and
// SSH log parsing with files the test writes.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { hostname, networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Repository, installArtifactPlugins, runArtifact } from '../../main/artifacts/index.ts';
import { createHostRegistry } from '../../main/host/index.ts';
import { toJSON, type Value } from '../../main/vql/index.ts';

const CORPUS = fileURLToPath(new URL('../../../shared/velociraptor-artifacts/', import.meta.url));
const skip = !existsSync(CORPUS)
  ? `../shared/velociraptor-artifacts is absent (${CORPUS}): ground truth not checked`
  : process.platform !== 'linux' ? 'these are Linux artifacts checked against this Linux machine' : false;
if (skip) console.log(`# ${skip}`);

type Row = Record<string, unknown>;

describe('Velociraptor artifacts against this machine', { skip }, () => {
  let repo: Repository;
  const dir = mkdtempSync(join(tmpdir(), 'vql-truth-'));
  before(() => {
    repo = new Repository({ definitions: [CORPUS] });
  });

  /** Runs an artifact unchanged with parameters; the rows (of every source), as JSON, and the logs. */
  async function collect(name: string, params: Record<string, string> = {}): Promise<{ rows: Row[]; logs: string[] }> {
    const registry = createHostRegistry({ network: 'loopback' });
    installArtifactPlugins(registry, repo);
    const a = repo.get(name);
    assert.ok(a, `${name} is in the corpus`);
    const rows: Value[] = [];
    const logs: string[] = [];
    const controller = new AbortController();
    for await (const batch of runArtifact(repo, a, new Map(Object.entries(params)), {
      registry, signal: controller.signal, preconditions: true, log: (l, m) => logs.push(`${l}: ${m}`),
    })) rows.push(...batch);
    return { rows: JSON.parse(toJSON(rows)) as Row[], logs };
  }
  const errors = (logs: string[]) => logs.filter((l) => l.startsWith('error:'));

  test('Linux.Mounts lists /proc/mounts, line by line', async () => {
    const { rows, logs } = await collect('Linux.Mounts');
    assert.deepEqual(errors(logs), []);
    const truth = readFileSync('/proc/mounts', 'utf8').trim().split('\n').map((l) => l.split(' '));
    assert.deepEqual(rows.map((r) => [r.Device, r.Mount, r.FSType]), truth.map((f) => [f[0], f[1], f[2]]));
    assert.deepEqual(rows[0]!.Options, truth[0]![3]!.split(','));
  });

  test('Linux.Proc.Modules lists /proc/modules (none where the kernel has no modules file)', async () => {
    const { rows, logs } = await collect('Linux.Proc.Modules');
    if (!existsSync('/proc/modules')) {
      assert.deepEqual(rows, []);
      return;
    }
    assert.deepEqual(errors(logs), []);
    const truth = readFileSync('/proc/modules', 'utf8').trim().split('\n').filter(Boolean).map((l) => l.split(/\s+/));
    assert.deepEqual(rows.map((r) => [r.Name, r.Size]), truth.map((f) => [f[0], Number(f[1])]));
  });

  test('Linux.Sys.Pslist has every process that lives through the run, with /proc\'s name', async () => {
    const pids = () => new Set(readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number));
    const before = pids();
    const { rows } = await collect('Linux.Sys.Pslist');
    const after = pids();
    const seen = new Map(rows.map((r) => [r.Pid as number, r]));
    for (const pid of before) {
      if (!after.has(pid)) continue;
      assert.ok(seen.has(pid), `pid ${pid} is listed`);
      // Kernel threads rename themselves (kworker/u8:0-events...): names of user processes only.
      if (readFileSync(`/proc/${pid}/cmdline`).length === 0) continue;
      // The kernel keeps 15 characters of a name; a longer one comes from the command line, as gopsutil does.
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      const name = String(seen.get(pid)!.Name);
      assert.ok(comm.length < 15 ? name === comm : name.startsWith(comm), `pid ${pid}'s name ${name} (comm ${comm})`);
    }
    assert.equal(seen.get(process.pid)?.Exe, process.execPath, 'our own process\'s executable');
  });

  test('Generic.System.Pstree: each process\'s parent is the one /proc/<pid>/stat names', async () => {
    const ppidOf = (pid: number): number | null => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      } catch {
        return null; // it ended
      }
    };
    const before = new Map(readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map((n) => [Number(n), ppidOf(Number(n))]));
    const { rows } = await collect('Generic.System.Pstree');
    let checked = 0;
    for (const r of rows) {
      const ppid = ppidOf(r.Pid as number);
      // Only processes whose parent did not change during the run (an orphan is re-parented).
      if (ppid === null || before.get(r.Pid as number) !== ppid) continue;
      assert.equal(r.Ppid, ppid, `pid ${r.Pid}`);
      checked++;
    }
    assert.ok(checked > 5);
    const me = rows.find((r) => r.Pid === process.pid)!;
    assert.match(String(me.CallChain), /node$/, 'the call chain ends with this test process');
  });

  describe('sockets', () => {
    let server: Server;
    let port = 0;
    before(async () => {
      server = createServer();
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      port = (server.address() as { port: number }).port;
    });
    after(() => server.close());

    test('Linux.Network.NetstatEnriched shows the test\'s listener, owned by this process, as in /proc/net/tcp', async () => {
      const { rows } = await collect('Linux.Network.NetstatEnriched');
      const mine = rows.find((r) => r.Lport === port && r.Status === 'LISTEN');
      assert.ok(mine, `a LISTEN row on port ${port}`);
      assert.equal(mine.Laddr, '127.0.0.1');
      assert.equal(mine.Pid, process.pid);
      const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
      assert.ok(readFileSync('/proc/net/tcp', 'utf8').split('\n').some((l) => l.includes(`0100007F:${hexPort}`) && / 0A /.test(l)), '/proc/net/tcp has it listening');
    });
  });

  test('Generic.Network.InterfaceAddresses gives every address of every interface', async () => {
    const { rows } = await collect('Generic.Network.InterfaceAddresses');
    const truth = Object.entries(networkInterfaces()).flatMap(([name, addrs]) => (addrs ?? []).map((a) => `${name} ${a.address}`)).sort();
    assert.deepEqual(rows.filter((r) => r.IP !== null).map((r) => `${r.Name} ${r.IP}`).sort(), truth);
    // Interfaces without an address are rows too (IP null), as /sys/class/net lists them.
    const sys = existsSync('/sys/class/net') ? readdirSync('/sys/class/net').sort() : [];
    if (sys.length) assert.deepEqual([...new Set(rows.map((r) => r.Name as string))].sort(), sys);
  });

  test('Generic.Client.Info names this host and OS', async () => {
    const { rows } = await collect('Generic.Client.Info');
    const basic = rows.find((r) => r._Source === 'Generic.Client.Info/BasicInformation')!;
    assert.equal(basic.Hostname, hostname());
    assert.equal(basic.OS, 'linux');
    assert.equal(basic.Architecture, process.arch === 'x64' ? 'amd64' : process.arch);
  });

  test('Generic.System.HostsFile parses /etc/hosts: each name of each line', async () => {
    const { rows, logs } = await collect('Generic.System.HostsFile');
    assert.deepEqual(errors(logs), []);
    const truth = readFileSync('/etc/hosts', 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean)
      .map((l) => l.split(/\s+/)).map(([address, ...names]) => `${address} ${names.join(',')}`).sort();
    const got = rows.filter((r) => r._Source === 'Generic.System.HostsFile/Hosts').map((r) => `${r.Address} ${(r.Hostname as string[]).join(',')}`).sort();
    assert.deepEqual(got, truth);
  });

  test('Linux.Debian.Packages lists what dpkg says is installed', { skip: spawnSync('dpkg-query', ['--version']).status === 0 ? false : 'no dpkg-query here' }, async () => {
    const { rows } = await collect('Linux.Debian.Packages');
    const truth = spawnSync('dpkg-query', ['-W', '-f', '${Package} ${Version}\n'], { encoding: 'utf8' }).stdout.trim().split('\n');
    const got = new Set(rows.filter((r) => r._Source === 'Linux.Debian.Packages/DebPackages').map((r) => `${r.Package} ${r.Version}`));
    assert.equal(got.size, truth.length, 'one row per package');
    // The artifact reads each field with parse_string_with_regex, which (as in Velociraptor) takes
    // every match, the later overwriting: a package whose record has `package: ` or `version: `
    // again inside another field (libdpkg-perl's description, PostgreSQL's Catversion) gets that
    // later text. Every other package must be exactly what dpkg says.
    const status = readFileSync('/var/lib/dpkg/status', 'utf8').split('\n\n');
    for (const line of truth) {
      if (got.has(line)) continue;
      const record = status.find((r) => r.startsWith(`Package: ${line.split(' ')[0]}\n`)) ?? '';
      assert.ok((record.match(/package:\s/gi) ?? []).length > 1 || (record.match(/version:\s/gi) ?? []).length > 1, `${line} is listed as dpkg says`);
    }
  });

  test('Linux.Sys.ACPITables hashes every table of /sys/firmware/acpi/tables', { skip: existsSync('/sys/firmware/acpi/tables') ? false : 'no ACPI tables on this machine' }, async () => {
    const { rows } = await collect('Linux.Sys.ACPITables');
    const root = '/sys/firmware/acpi/tables';
    // Every entry of the folder (the artifact globs `*`: its data/ and dynamic/ folders too, unhashed).
    assert.deepEqual(rows.map((r) => r.Name).sort(), readdirSync(root).sort());
    for (const name of readdirSync(root).filter((n) => statSync(join(root, n)).isFile())) {
      const row = rows.find((r) => r.Name === name)!;
      assert.equal(row.Size, statSync(join(root, name)).size, name);
      assert.match(String(row['Hash.SHA256']), /^[0-9a-f]{64}$/, name);
    }
  });

  test('Linux.Sys.Crontab parses a crontab the test writes (events, schedules, users, comments skipped)', async () => {
    const file = join(dir, 'crontab');
    writeFileSync(file, '# comment\nSHELL=/bin/sh\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n@reboot alice /usr/bin/backup --now\n');
    const { rows } = await collect('Linux.Sys.Crontab', { cronTabGlob: file, cronTabScripts: join(dir, 'none-*') });
    const tabs = rows.filter((r) => r._Source === 'Linux.Sys.Crontab/CronTabs').map((r) => [r.Event, r.User, r.Minute, r.Hour, r.Command]);
    assert.deepEqual(tabs, [
      ['', 'root', '17', '*', 'cd / && run-parts --report /etc/cron.hourly'],
      ['@reboot', '', '', '', 'alice /usr/bin/backup --now'],
    ]);
  });

  test('Linux.Syslog.SSHLogin parses sshd lines of an auth log the test writes', async () => {
    const file = join(dir, 'auth.log');
    writeFileSync(file, [
      'Mar  3 10:00:01 host sshd[123]: Failed password for invalid user admin from 203.0.113.5 port 50022 ssh2',
      'Mar  3 10:00:09 host sshd[124]: Accepted publickey for alice from 198.51.100.7 port 40100 ssh2: RSA SHA256:abc',
      'Mar  3 10:01:00 host CRON[200]: pam_unix(cron:session): session opened for user root',
      '',
    ].join('\n'));
    const { rows } = await collect('Linux.Syslog.SSHLogin', { syslogAuthLogPath: file });
    assert.deepEqual(rows.map((r) => [r.Result, r.Method, r.AttemptedUser, r.IP]), [
      ['Failed', 'password', 'admin', '203.0.113.5'],
      ['Accepted', 'publickey', 'alice', '198.51.100.7'],
    ]);
  });
});
