// Velociraptor's artifacts that needed these functions, run unchanged from
// ../shared/velociraptor-artifacts on data the test makes: Linux.Sys.LastUserLogin (ip() over a
// wtmp file) and Linux.Detection.Yara.Process (proc_yara() over a child process).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Repository, installArtifactPlugins, runArtifact } from '../../../main/artifacts/index.ts';
import { createHostRegistry } from '../../../main/host/index.ts';
import { toJSON, type Value } from '../../../main/vql/index.ts';

const CORPUS = fileURLToPath(new URL('../../../../shared/velociraptor-artifacts/', import.meta.url));
const skip = !existsSync(CORPUS)
  ? `../shared/velociraptor-artifacts is absent (${CORPUS}): artifact runs not checked`
  : process.platform !== 'linux' ? 'Linux artifacts' : false;
if (skip) console.log(`# ${skip}`);

type Row = Record<string, unknown>;

/** One record in glibc's `struct utmp` layout (x86-64, 384 bytes). */
function utmp(type: number, pid: number, line: string, user: string, host: string, sec: number, addr: number[]): Buffer {
  const b = Buffer.alloc(384);
  b.writeInt16LE(type, 0);
  b.writeInt32LE(pid, 4);
  b.write(line, 8, 32);
  b.write(line.slice(-4), 40, 4);
  b.write(user, 44, 32);
  b.write(host, 76, 256);
  b.writeInt32LE(sec, 340);
  addr.forEach((a, i) => b.writeUInt8(a, 348 + i));
  return b;
}

describe('artifacts that call ip(), proc_yara()', { skip }, () => {
  let repo: Repository;
  let dir = '';
  let child: ChildProcess | undefined;
  before(async () => {
    repo = new Repository({ definitions: [CORPUS] });
    dir = await mkdtemp(join(tmpdir(), 'vql-more-artifacts-'));
  });
  after(async () => {
    child?.kill();
    await rm(dir, { recursive: true, force: true });
  });

  async function collect(name: string, params: Record<string, string>): Promise<{ rows: Row[]; logs: string[] }> {
    const registry = createHostRegistry({ network: 'loopback' });
    installArtifactPlugins(registry, repo);
    const a = repo.get(name);
    assert.ok(a, `${name} is in the corpus`);
    const rows: Value[] = [];
    const logs: string[] = [];
    for await (const batch of runArtifact(repo, a, new Map(Object.entries(params)), {
      registry, signal: new AbortController().signal, preconditions: true, log: (l, m) => logs.push(`${l}: ${m}`),
    })) rows.push(...batch);
    return { rows: JSON.parse(toJSON(rows)) as Row[], logs };
  }

  test('Linux.Sys.LastUserLogin: logins from a wtmp file, with the address through ip(netaddr4_le=)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const wtmp = join(dir, 'wtmp');
    await writeFile(wtmp, Buffer.concat([
      utmp(2, 0, '~', 'reboot', '6.1.0', now - 7200, []),
      utmp(7, 4242, 'pts/3', 'alice', '192.168.7.9', now - 3600, [192, 168, 7, 9]),
      utmp(7, 4343, 'tty1', 'bob', '', now - 1800, []),
      utmp(8, 4242, 'pts/3', '', '', now - 600, []),
    ]));
    const { rows, logs } = await collect('Linux.Sys.LastUserLogin', { wtmpGlobs: wtmp, MaxCount: '4' });
    assert.deepEqual(logs.filter((l) => l.startsWith('error')), []);
    assert.deepEqual(rows.map((r) => [r.login_User, r.login_Host, r.login_IpAddr, r.login_PID, r.login_Terminal, r.login_Type]), [
      ['alice', '192.168.7.9', '192.168.7.9', 4242, 'pts/3', 'USER_PROCESS'],
      ['bob', '', null, 4343, 'tty1', 'USER_PROCESS'],
    ]);
    assert.equal(rows[0]!.logout_time, new Date((now - 600) * 1000).toISOString().replace('.000Z', 'Z'));
  });

  test('Linux.Detection.Yara.Process: finds a rule\'s string in the memory of the process it is pointed at', async () => {
    const script = "const b = Buffer.from('ARTIFACT' + 'YARA' + 'marker77'); process.stdout.write('ready\\n'); setInterval(() => b.length, 1000);";
    child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await once(child.stdout!, 'data');
    const rule = 'rule artifact_marker { strings: $a = "ARTIFACTYARAmarker77" ascii condition: any of them }';
    const { rows, logs } = await collect('Linux.Detection.Yara.Process', { PidRegex: `^${child.pid}$`, YaraRule: rule, ContextBytes: '0' });
    assert.deepEqual(logs.filter((l) => l.startsWith('error')), []);
    assert.equal(rows.length, 1, JSON.stringify(rows));
    assert.equal(rows[0]!.Pid, child.pid);
    assert.equal(rows[0]!.Rule, 'artifact_marker');
    assert.equal(rows[0]!.YaraString, '$a');
    assert.equal(typeof rows[0]!.HitOffset, 'number');
  });
});
