// The built-in Linux.Sys.Users (artifacts/Linux.Sys.Users.yaml) against this machine's
// /etc/passwd, on password files the test writes, and under the corpus artifacts that call it
// (Linux.Users.InteractiveUsers, Linux.Applications.Chrome.Extensions.Upload).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHostRegistry } from '../../main/host/index.ts';
import { Repository, installArtifactPlugins, runArtifact } from '../../main/artifacts/index.ts';
import type { Value, VDict } from '../../main/vql/index.ts';

const CORPUS = fileURLToPath(new URL('../../../shared/velociraptor-artifacts/', import.meta.url));
const linux = process.platform === 'linux' ? false : 'Linux.Sys.Users reads a Linux password file (its precondition: OS linux)';
const corpusSkip = linux || (existsSync(CORPUS) ? false : `../shared/velociraptor-artifacts is absent (${CORPUS}): the corpus callers are not run`);
if (corpusSkip) console.log(`# ${corpusSkip}`);

const TMP = mkdtempSync(join(tmpdir(), 'vql-sys-users-test-'));
after(() => rmSync(TMP, { recursive: true, force: true }));

const COLUMNS = ['User', 'Description', 'Uid', 'Gid', 'Homedir', 'Shell'];

/** The accounts of a passwd text, parsed here independently of the artifact. */
function passwd(text: string): Array<Record<string, string>> {
  return text.split('\n').filter((l) => l.trim() && !l.startsWith('#')).map((l) => {
    const f = l.split(':');
    return { User: f[0]!, Description: f[4] ?? '', Uid: f[2] ?? '', Gid: f[3] ?? '', Homedir: f[5] ?? '', Shell: f[6] ?? '' };
  });
}

async function collect(repo: Repository, name: string, params: Record<string, Value> = {}): Promise<{ rows: Array<Record<string, Value>>; logs: string[] }> {
  const registry = createHostRegistry();
  installArtifactPlugins(registry, repo);
  const rows: Array<Record<string, Value>> = [];
  const logs: string[] = [];
  const loaded = repo.get(name);
  assert.ok(loaded, name);
  for await (const batch of runArtifact(repo, loaded, new Map(Object.entries(params)), {
    registry,
    signal: new AbortController().signal,
    preconditions: true,
    log: (level, m) => logs.push(`${level}: ${m}`),
  })) {
    for (const r of batch as VDict[]) rows.push(Object.fromEntries([...r.entries()].filter(([k]) => k !== '_Source')));
  }
  return { rows, logs };
}

const builtins = new Repository({ definitions: [] });

test('Linux.Sys.Users lists /etc/passwd: every account, Velociraptor\'s columns, strings', { skip: linux }, async () => {
  const { rows, logs } = await collect(builtins, 'Linux.Sys.Users');
  assert.deepEqual(logs.filter((l) => !l.startsWith('info:')), []);
  const truth = passwd(readFileSync('/etc/passwd', 'utf8'));
  assert.ok(truth.length > 0);
  assert.deepEqual(rows, truth);
  for (const r of rows) assert.deepEqual(Object.keys(r), COLUMNS);
  assert.ok(rows.some((r) => r.User === 'root' && r.Uid === '0' && r.Gid === '0'), 'root, uid "0" (a string, as Velociraptor\'s)');
});

test('PasswordFile: comments and blank lines skipped, empty fields kept as ""', { skip: linux }, async () => {
  const file = join(TMP, 'passwd');
  writeFileSync(file, [
    '# a comment',
    'alice:x:1000:1000:Alice A,,,:/home/alice:/bin/bash',
    '',
    'nobody:x:65534:65534::/nonexistent:/usr/sbin/nologin',
    'noshell:x:1001:1001:No shell:/home/noshell:',
    'short:x:1002',
    '',
  ].join('\n'));
  const { rows, logs } = await collect(builtins, 'Linux.Sys.Users', { PasswordFile: file });
  assert.deepEqual(logs.filter((l) => !l.startsWith('info:')), []);
  assert.deepEqual(rows, [
    { User: 'alice', Description: 'Alice A,,,', Uid: '1000', Gid: '1000', Homedir: '/home/alice', Shell: '/bin/bash' },
    { User: 'nobody', Description: '', Uid: '65534', Gid: '65534', Homedir: '/nonexistent', Shell: '/usr/sbin/nologin' },
    { User: 'noshell', Description: 'No shell', Uid: '1001', Gid: '1001', Homedir: '/home/noshell', Shell: '' },
    { User: 'short', Description: '', Uid: '1002', Gid: '', Homedir: '', Shell: '' },
  ]);
});

test('a missing PasswordFile: an error naming the file, no rows, no exception', { skip: linux }, async () => {
  const missing = join(TMP, 'no-such-passwd');
  const { rows, logs } = await collect(builtins, 'Linux.Sys.Users', { PasswordFile: missing });
  assert.deepEqual(rows, []);
  assert.ok(logs.some((l) => /^(error|warn):/.test(l) && l.includes(missing)), logs.join('\n'));
});

test('corpus: Linux.Users.InteractiveUsers runs on our Linux.Sys.Users', { skip: corpusSkip }, async () => {
  const repo = new Repository({ definitions: [join(CORPUS, 'Linux')] });
  const { rows, logs } = await collect(repo, 'Linux.Users.InteractiveUsers');
  assert.deepEqual(logs.filter((l) => !l.startsWith('info:')), []);
  const excluded = ['/usr/sbin/nologin', '/bin/false', '/sbin/nologin', '/bin/sync'];
  assert.deepEqual(rows, passwd(readFileSync('/etc/passwd', 'utf8')).filter((u) => !excluded.includes(u.Shell)));
});

test('corpus: Linux.Applications.Chrome.Extensions.Upload runs on our Linux.Sys.Users', { skip: corpusSkip }, async () => {
  const repo = new Repository({ definitions: [join(CORPUS, 'Linux')] });
  const { rows, logs } = await collect(repo, 'Linux.Applications.Chrome.Extensions.Upload');
  assert.deepEqual(logs.filter((l) => l.startsWith('error:') || /not found|unknown/i.test(l)), []);
  const users = new Map(passwd(readFileSync('/etc/passwd', 'utf8')).map((u) => [u.User, u]));
  for (const r of rows) {
    const u = users.get(String(r.User));
    assert.ok(u, `row of a user in /etc/passwd: ${String(r.User)}`);
    assert.equal(r.Uid, u.Uid);
    assert.ok(String(r.OSPath).startsWith(u.Homedir), String(r.OSPath));
  }
});
