// `vql serve --token-file FILE` (main/web/token-file.ts): made once with mode 0600 and read on
// the next starts; refused (with what to do) unless it is the user's own regular file, closed
// to group and others, holding one token; and the CLI prints the address last.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TOKEN_SYNTAX, TokenFileError, tokenFromFile } from '../../main/web/token-file.ts';
import { startText } from '../../main/cli/serve.ts';
import { startWebHost } from '../../main/web/host.ts';

const posix = process.platform !== 'win32';
const fresh = () => mkdtempSync(join(tmpdir(), 'vql-token-'));

test('made when missing (mode 0600, 64 hex digits, parent folders too); the same token on the next start', () => {
  const dir = fresh();
  try {
    const file = join(dir, 'nested', 'serve.token');
    const made = tokenFromFile(file);
    assert.equal(made.created, true);
    assert.match(made.token, TOKEN_SYNTAX);
    assert.equal(readFileSync(file, 'utf8'), `${made.token}\n`);
    if (posix) assert.equal(statSync(file).mode & 0o777, 0o600);
    const again = tokenFromFile(file);
    assert.deepEqual(again, { token: made.token, created: false });
    assert.notEqual(tokenFromFile(join(dir, 'other')).token, made.token, 'each new file gets its own token');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a token written by hand is taken with or without its newline, and read-only (0400) is fine', () => {
  const dir = fresh();
  try {
    const file = join(dir, 't');
    const token = 'ab'.repeat(32);
    writeFileSync(file, token, { mode: 0o400 });
    assert.deepEqual(tokenFromFile(file), { token, created: false });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('refused: a mode open to others, a wrong content, a link, a folder; each says what to do', { skip: posix ? false : 'POSIX modes only' }, () => {
  const dir = fresh();
  try {
    const refuse = (file: string, re: RegExp) => {
      assert.throws(() => tokenFromFile(file), (e: unknown) => e instanceof TokenFileError && e.path === file && re.test(e.message));
    };
    const open = join(dir, 'open');
    writeFileSync(open, `${'cd'.repeat(32)}\n`);
    chmodSync(open, 0o644);
    refuse(open, /--token-file .*open: has mode 0644: others than you may read it.*delete the file/);
    chmodSync(open, 0o640);
    refuse(open, /mode 0640/);
    const bad = join(dir, 'bad');
    for (const text of ['', 'short\n', 'AB'.repeat(32), `${'ab'.repeat(32)}\n\n`, `${'ab'.repeat(32)} `, 'zz'.repeat(32)]) {
      writeFileSync(bad, text, { mode: 0o600 });
      chmodSync(bad, 0o600);
      refuse(bad, /does not hold a token \(64 lowercase hex digits/);
    }
    const target = join(dir, 'target');
    writeFileSync(target, `${'ef'.repeat(32)}\n`, { mode: 0o600 });
    const link = join(dir, 'link');
    symlinkSync(target, link);
    refuse(link, /is a symbolic link/);
    const folder = join(dir, 'folder');
    mkdirSync(folder, { mode: 0o700 });
    refuse(folder, /is not a regular file/);
    // Nothing was changed or made by a refusal.
    assert.equal(statSync(open).mode & 0o777, 0o640);
    assert.equal(existsSync(join(folder, 'x')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('refused: a file owned by another user', { skip: posix && process.getuid?.() === 0 ? false : 'needs root to give a file away (chown)' }, () => {
  const dir = fresh();
  try {
    const file = join(dir, 'theirs');
    writeFileSync(file, `${'ab'.repeat(32)}\n`, { mode: 0o600 });
    chownSync(file, 1, 1);
    assert.throws(() => tokenFromFile(file), /is owned by user id 1, not by you \(0\): use a file of your own/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the web host takes only a token that looks like one it would make', async () => {
  const dir = fresh();
  try {
    for (const token of ['', 'short', 'AB'.repeat(32), `${'ab'.repeat(32)}\n`]) {
      await assert.rejects(startWebHost({ token, userArtifacts: join(dir, 'a'), log: () => undefined }), /a token is 64 lowercase hex digits/, JSON.stringify(token));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('what vql serve prints: notes first, the address last on a line of its own', () => {
  const url = `http://127.0.0.1:8123/?token=${'ab'.repeat(32)}`;
  const text = startText(url, { tokenFile: '/home/me/.vql-token', created: true, fixedPort: false, busy: 'another collector (vql monitor, pid 42) writes this datastore' });
  const lines = text.trimEnd().split('\n');
  assert.equal(lines.at(-1), `    ${url}`);
  assert.match(text, /^note: the live event view cannot start or stop artifacts here: another collector/);
  assert.match(text, /token: a new one, saved in \/home\/me\/\.vql-token \(mode 0600\)/);
  assert.match(text, /without --port a restart picks another port/);
  const plain = startText(url, { fixedPort: true });
  assert.doesNotMatch(plain, /token:|note:/);
  assert.equal(plain.trimEnd().split('\n').at(-1), `    ${url}`);
  assert.match(startText(url, { tokenFile: 'f', created: false, fixedPort: true }), /token: the one kept in f\n/);
});

const root = fileURLToPath(new URL('../../', import.meta.url));
const built = existsSync(join(root, 'dist', 'cli.js'));

/** Runs `vql serve ARGS` (built) until it prints its address or exits; then stops it. */
async function runServe(args: string[]): Promise<{ out: string; err: string; code: number | null; url?: string }> {
  const child = spawn(process.execPath, [join(root, 'bin', 'vql.js'), 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = await new Promise<string | undefined>((resolve) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /^ {4}(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64})$/m.exec(out);
      if (m) resolve(m[1]);
    });
    void exited.then(() => resolve(undefined));
  });
  if (child.exitCode === null) child.kill('SIGTERM');
  const code = await exited;
  return { out, err, code, url };
}

test('vql serve --token-file (built): the same address after a restart; a loose file refused with exit 1', { skip: built ? false : 'needs npm run build', timeout: 60_000 }, async () => {
  const dir = fresh();
  try {
    const file = join(dir, 'serve.token');
    const ds = join(dir, 'ds');
    const first = await runServe(['--datastore', ds, '--token-file', file]);
    assert.ok(first.url, `printed an address: ${first.out}${first.err}`);
    assert.match(first.out, /token: a new one, saved in/);
    const token = readFileSync(file, 'utf8').trim();
    assert.equal(first.url.endsWith(`token=${token}`), true);
    const second = await runServe(['--datastore', ds, '--token-file', file]);
    assert.equal(second.url?.endsWith(`token=${token}`), true, 'the same token after a restart');
    assert.match(second.out, /token: the one kept in/);
    if (posix) {
      chmodSync(file, 0o644);
      const refused = await runServe(['--datastore', ds, '--token-file', file]);
      assert.equal(refused.code, 1);
      assert.equal(refused.url, undefined);
      assert.match(refused.err, /^vql serve: --token-file .*serve\.token: has mode 0644/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
