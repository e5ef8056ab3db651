// sqlite() statements that write (main/host/parsers/sqlite.ts): they run on the file itself,
// opened read-write, only inside the run's temp folder or the workbench's local folder unless
// the user allowed changing files (--allow-execve: createHostRegistry({ allowExecve: true })); elsewhere one error
// says how to allow it. Reads keep querying a copy; a read after a write in the same query
// sees the write; a corrupt or locked file is a clear error.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHostRegistry } from '../../../main/host/index.ts';
import { finishRun, type RunFiles } from '../../../main/host/collect/run-files.ts';
import { WRITE_IDLE_MS, writesByKeyword } from '../../../main/host/parsers/sqlite.ts';
import { ToolInventory, attachTools } from '../../../main/artifacts/tools.ts';
import { collect, toJSON, type Registry } from '../../../main/vql/index.ts';

const { Database } = createRequire(import.meta.url)('node-sqlite3-wasm') as typeof import('node-sqlite3-wasm');

const TMP = mkdtempSync(join(tmpdir(), 'vql-sqlite-write-'));
after(() => rmSync(TMP, { recursive: true, force: true }));

let runs = 0;
const registries: Registry[] = [];
after(async () => {
  for (const r of registries) await finishRun(r);
});

interface Engine {
  registry: Registry;
  files: RunFiles;
}

/** A host registry with a temp folder of its own; `allowed`: the user's leave to change files. */
function engine(opts: { allowed?: boolean; datastore?: string } = {}): Engine {
  const files: RunFiles = { tempDir: join(TMP, `run-${++runs}`), uploadDir: null };
  const registry = createHostRegistry({ files, allowExecve: opts.allowed === true });
  if (opts.datastore) attachTools(registry, new ToolInventory({ dir: join(opts.datastore, 'tools'), localDir: join(opts.datastore, 'local') }));
  registries.push(registry);
  return { registry, files };
}

async function query(e: Engine, text: string, vars: Record<string, unknown> = {}): Promise<{ rows: Array<Record<string, unknown>>; logs: string[] }> {
  const logs: string[] = [];
  const rows = await collect(text, { registry: e.registry, vars, log: (l, m) => logs.push(`${l}: ${m}`) });
  return { rows: JSON.parse(toJSON(rows)) as Array<Record<string, unknown>>, logs };
}

const problems = (logs: string[]) => logs.filter((l) => /^(warn|error):/.test(l));

/** The rows of `sql` read from `path` directly (not through the plugin). */
function direct(path: string, sql: string): unknown[] {
  const db = new Database(path, { fileMustExist: true });
  try {
    return db.all(sql);
  } finally {
    db.close();
  }
}

/** A database outside any temp folder, with one table of two rows. */
function outsideDb(name: string): string {
  const dir = join(TMP, `outside-${name}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'data.sqlite');
  const db = new Database(path);
  db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO t(name) VALUES (\'a\'), (\'b\');');
  db.close();
  return path;
}

test('sqlite write: which statements write, by their first keyword', () => {
  for (const sql of [
    'INSERT into hashes (path) values (?)', '  insert or replace into t values (1)', 'UPDATE t SET x = 1', 'delete from t',
    'REPLACE INTO t VALUES (1)', 'CREATE table if not exists hashes(path text)', 'create unique index if not exists u on t(a)',
    'DROP TABLE t', 'ALTER TABLE t ADD COLUMN y', 'VACUUM', 'REINDEX', 'ANALYZE', 'PRAGMA user_version = 3',
    'pragma main.journal_mode=DELETE', '-- a comment\n/* and another */ INSERT INTO t VALUES (1)',
  ]) assert.equal(writesByKeyword(sql), true, sql);
  for (const sql of [
    'SELECT * FROM t', 'select 1', 'WITH x AS (SELECT 1) SELECT * FROM x', 'EXPLAIN INSERT INTO t VALUES (1)',
    'PRAGMA table_info(t)', 'PRAGMA user_version', 'VALUES (1)', '-- INSERT\nSELECT 1', "SELECT 'INSERT' AS x",
  ]) assert.equal(writesByKeyword(sql), false, sql);
});

test('sqlite write: inside the run\'s temp folder the file itself is created and written; a read after a write sees it', async () => {
  const e = engine();
  const r = await query(e, `
    LET f <= path_join(components=[dirname(path=tempfile()), 'new.sqlite'])
    LET create <= SELECT * FROM sqlite(file=f, query='CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, name TEXT)')
    LET before <= SELECT * FROM sqlite(file=f, query='SELECT count(*) AS n FROM t')
    LET ins <= SELECT * FROM foreach(row=['x', 'y', 'z'], query={
      SELECT * FROM sqlite(file=f, query='INSERT INTO t(name) VALUES (?)', args=[_value]) })
    LET returning <= SELECT * FROM sqlite(file=f, query='INSERT INTO t(name) VALUES (?) RETURNING id, name', args='w')
    LET cte <= SELECT * FROM sqlite(file=f, query='WITH v(n) AS (VALUES (\\'v\\')) INSERT INTO t(name) SELECT n FROM v')
    SELECT f AS F, before[0].n AS Before, returning AS Returning,
           { SELECT name FROM sqlite(file=f, query='SELECT name FROM t ORDER BY id') } AS Names
    FROM scope()`);
  assert.deepEqual(problems(r.logs), []);
  const row = r.rows[0]!;
  const file = String(row.F);
  assert.ok(file.startsWith(e.files.tempDir), file);
  assert.equal(row.Before, 0, 'the table exists (the copy read after the CREATE is a fresh one)');
  assert.deepEqual(row.Returning, [{ id: 4, name: 'w' }], 'a write gives the rows its statement returns');
  assert.deepEqual(row.Names, ['x', 'y', 'z', 'w', 'v'], 'WITH ... INSERT is recognised by SQLite as a write');
  // The file itself holds the rows, and nothing is left beside it (no lock, no journal).
  assert.deepEqual(direct(file, 'SELECT count(*) AS n FROM t'), [{ n: 5 }]);
  assert.deepEqual(readdirSync(e.files.tempDir).filter((n) => n.startsWith('new.sqlite')), ['new.sqlite']);
});

test('sqlite write: a read, then a write, then a read of the same file in one query: the second read sees the write', async () => {
  const e = engine();
  const r = await query(e, `
    LET f <= tempfile(extension='.sqlite')
    LET a <= SELECT * FROM sqlite(file=f, query='CREATE TABLE t(x)')
    LET b <= SELECT * FROM sqlite(file=f, query='INSERT INTO t VALUES (1)')
    LET r1 <= SELECT * FROM sqlite(file=f, query='SELECT count(*) AS n FROM t')
    LET c <= SELECT * FROM sqlite(file=f, query='INSERT INTO t VALUES (2)')
    LET r2 <= SELECT * FROM sqlite(file=f, query='SELECT count(*) AS n FROM t')
    SELECT r1[0].n AS First, r2[0].n AS Second FROM scope()`);
  assert.deepEqual(problems(r.logs), []);
  assert.deepEqual(r.rows, [{ First: 1, Second: 2 }]);
});

test('sqlite write: outside the temp and local folders it is refused with one error naming sqlite, query, the file and the opt-in', async () => {
  const path = outsideDb('refused');
  const fresh = join(TMP, 'outside-refused', 'fresh.sqlite');
  const before = readFileSync(path);
  const e = engine();
  const r = await query(e, `
    SELECT * FROM chain(
      a={ SELECT * FROM sqlite(file=F, query='DELETE FROM t') },
      b={ SELECT * FROM sqlite(file=N, query='CREATE TABLE x(y)') },
      c={ SELECT * FROM sqlite(file=F, query='WITH d AS (SELECT 1) DELETE FROM t') },
      d={ SELECT * FROM sqlite(file=F, query='SELECT count(*) AS n FROM t') })`, { F: path, N: fresh });
  assert.deepEqual(r.rows, [{ n: 2 }], 'no row from the refused writes; the read works as before');
  const errors = r.logs.filter((l) => l.startsWith('error:'));
  assert.equal(errors.length, 3, errors.join('\n'));
  assert.ok(errors[0]!.startsWith(`error: sqlite: file=${path}: query "DELETE FROM t" writes to the database: the database is readonly here: `), errors[0]);
  assert.match(errors[0]!, /elsewhere writing needs --allow-execve \(CLI\) or 'Allow artifacts to run programs' in the app settings \(the temp folder is /);
  assert.ok(errors[1]!.includes(`sqlite: file=${fresh}: query "CREATE TABLE x(y)" writes to the database`), errors[1]);
  assert.ok(errors[2]!.includes('query "WITH d AS (SELECT 1) DELETE FROM t" writes to the database'), errors[2]);
  assert.deepEqual(readFileSync(path), before, 'the database is unchanged');
  assert.equal(existsSync(fresh), false, 'no file is created');
  assert.deepEqual(readdirSync(join(TMP, 'outside-refused')).sort(), ['data.sqlite']);
});

test('sqlite write: with the user\'s leave (--allow-execve) a file anywhere is written', async () => {
  const path = outsideDb('allowed');
  const fresh = join(TMP, 'outside-allowed', 'fresh.sqlite');
  const r = await query(engine({ allowed: true }), `
    SELECT * FROM chain(
      a={ SELECT * FROM sqlite(file=F, query='DELETE FROM t WHERE name = ?', args='a') },
      b={ SELECT * FROM sqlite(file=N, query='CREATE TABLE x(y)') },
      c={ SELECT * FROM sqlite(file=F, query='SELECT name FROM t') })`, { F: path, N: fresh });
  assert.deepEqual(problems(r.logs), []);
  assert.deepEqual(r.rows, [{ name: 'b' }]);
  assert.deepEqual(direct(path, 'SELECT name FROM t'), [{ name: 'b' }]);
  assert.deepEqual(direct(fresh, "SELECT name FROM sqlite_master WHERE type = 'table'"), [{ name: 'x' }]);
});

test('sqlite write: the workbench\'s local folder (<datastore>/local) is writable, created 0700; .. and links cannot lead out', async () => {
  const datastore = join(TMP, 'datastore');
  const local = join(datastore, 'local');
  const e = engine({ datastore });
  const r = await query(e, `
    SELECT * FROM chain(
      a={ SELECT * FROM sqlite(file=L + '/h.sqlite', query='CREATE TABLE t(x)') },
      b={ SELECT * FROM sqlite(file=L + '/h.sqlite', query='INSERT INTO t VALUES (7)') },
      c={ SELECT * FROM sqlite(file=L + '/h.sqlite', query='SELECT x FROM t') })`, { L: local });
  assert.deepEqual(problems(r.logs), []);
  assert.deepEqual(r.rows, [{ x: 7 }]);
  if (process.platform !== 'win32') assert.equal(statSync(local).mode & 0o777, 0o700);

  // Out of the local folder with .., and through a link in it (not on Windows: links need privileges): refused.
  const target = join(TMP, 'link-target');
  mkdirSync(target, { recursive: true });
  const links = process.platform !== 'win32';
  if (links) {
    symlinkSync(target, join(local, 'escape'));
    symlinkSync(join(target, 'f.sqlite'), join(local, 'file-link.sqlite'));
  }
  const out = await query(e, `
    SELECT * FROM chain(
      a={ SELECT * FROM sqlite(file=L + '/../elsewhere.sqlite', query='CREATE TABLE t(x)') },
      b={ SELECT * FROM if(condition=Links, then={ SELECT * FROM sqlite(file=L + '/escape/f.sqlite', query='CREATE TABLE t(x)') }) },
      c={ SELECT * FROM if(condition=Links, then={ SELECT * FROM sqlite(file=L + '/file-link.sqlite', query='CREATE TABLE t(x)') }) })`, { L: local, Links: links });
  const errors = out.logs.filter((l) => l.startsWith('error:'));
  assert.equal(errors.length, links ? 3 : 1, out.logs.join('\n'));
  assert.ok(errors.every((l) => l.includes('the database is readonly here')), errors.join('\n'));
  assert.equal(existsSync(join(datastore, 'elsewhere.sqlite')), false);
  assert.deepEqual(readdirSync(target), []);
});

test('sqlite write: only a file of this machine is written (accessor=data is refused)', async () => {
  const r = await query(engine({ allowed: true }), `SELECT * FROM sqlite(file=B, accessor='data', query='DELETE FROM t')`, {
    B: new Uint8Array(readFileSync(outsideDb('data'))),
  });
  assert.deepEqual(r.rows, []);
  assert.equal(r.logs.length, 1, r.logs.join('\n'));
  assert.match(r.logs[0]!, /^error: sqlite: file=<data: \d+ bytes>: query "DELETE FROM t" writes to the database: only a file of this machine can be written/);
});

test('sqlite write: a file that is not a database, or a corrupt one, is a clear error and is left as it is', async () => {
  const e = engine();
  const r = await query(e, `
    LET text <= tempfile(data='just text, not a database', extension='.sqlite')
    LET corrupt <= tempfile(data=C, extension='.sqlite')
    SELECT text, corrupt, {
        SELECT * FROM chain(
          a={ SELECT * FROM sqlite(file=text, query='CREATE TABLE t(x)') },
          b={ SELECT * FROM sqlite(file=corrupt, query='CREATE TABLE t(x)') })
      } AS Rows
    FROM scope()`, { C: 'SQLite format 3\0' + 'Z'.repeat(4000) });
  const row = r.rows[0]!;
  assert.equal(row.Rows, null, 'no row');
  const errors = r.logs.filter((l) => l.startsWith('error:'));
  assert.equal(errors.length, 2, r.logs.join('\n'));
  assert.ok(errors[0]!.includes(`sqlite: file=${String(row.text)}: query "CREATE TABLE t(x)" writes to the database: not an SQLite database`), errors[0]);
  assert.ok(errors[1]!.startsWith(`error: sqlite: file=${String(row.corrupt)}: query "CREATE TABLE t(x)": `), errors[1]);
  assert.equal(readFileSync(String(row.text), 'utf8'), 'just text, not a database');
  assert.equal(readFileSync(String(row.corrupt), 'latin1'), 'SQLite format 3\0' + 'Z'.repeat(4000));
});

test('sqlite write: a database another program holds (its lock) is retried, then a clear error', async () => {
  const e = engine();
  const r = await query(e, `
    LET f <= tempfile(extension='.sqlite')
    LET a <= SELECT * FROM sqlite(file=f, query='CREATE TABLE t(x)')
    SELECT f FROM scope()`);
  const file = String(r.rows[0]!.f);
  mkdirSync(file + '.lock'); // how node-sqlite3-wasm's VFS locks a database
  const t0 = Date.now();
  const busy = await query(e, `SELECT * FROM sqlite(file=F, query='INSERT INTO t VALUES (1)')`, { F: file });
  assert.ok(Date.now() - t0 >= 1000, 'retried for a while');
  assert.equal(busy.logs.length, 1, busy.logs.join('\n'));
  assert.match(busy.logs[0]!, /^error: sqlite: file=.*: query "INSERT INTO t VALUES \(1\)": database is locked \(another program holds it; if none does, remove .*\.lock\)/);
  rmSync(file + '.lock', { recursive: true });
  const ok = await query(e, `SELECT * FROM chain(a={ SELECT * FROM sqlite(file=F, query='INSERT INTO t VALUES (1)') }, b={ SELECT * FROM sqlite(file=F, query='SELECT count(*) AS n FROM t') })`, { F: file });
  assert.deepEqual(problems(ok.logs), []);
  assert.deepEqual(ok.rows, [{ n: 1 }]);
});

test('sqlite read: unchanged, a copy is queried and nothing is written beside the database', async () => {
  const path = outsideDb('read');
  const dir = join(TMP, 'outside-read');
  const before = readFileSync(path);
  const r = await query(engine(), `SELECT * FROM sqlite(file=F, query='SELECT id, name FROM t WHERE id > ? ORDER BY id', args=[0])`, { F: path });
  assert.deepEqual(problems(r.logs), []);
  assert.deepEqual(r.rows, [{ id: 1, name: 'a' }, { id: 2, name: 'b' }]);
  assert.deepEqual(readdirSync(dir), ['data.sqlite']);
  assert.deepEqual(readFileSync(path), before);
  // An empty file is still "not an SQLite database" for a read.
  writeFileSync(join(dir, 'empty.sqlite'), '');
  const empty = await query(engine(), `SELECT * FROM sqlite(file=F, query='SELECT 1')`, { F: join(dir, 'empty.sqlite') });
  assert.deepEqual(empty.logs, [`warn: sqlite: file=${join(dir, 'empty.sqlite')}: the file is empty: not an SQLite database`]);
});

/** Whether this process has `path` open (Linux: /proc/self/fd). */
function isOpenHere(path: string): boolean {
  return readdirSync('/proc/self/fd').some((fd) => {
    try {
      return readlinkSync(join('/proc/self/fd', fd)) === path;
    } catch {
      return false;
    }
  });
}

test('sqlite write: one read-write handle serves successive writes, the file is complete between them, and it is closed when idle and when the run ends', { skip: process.platform !== 'linux' && 'reads /proc/self/fd' }, async () => {
  const e = engine({ allowed: true });
  const path = join(TMP, 'kept-open.sqlite');
  const r = await query(e, `
    LET _ <= SELECT * FROM sqlite(file=F, query='CREATE TABLE t(n INTEGER)')
    SELECT * FROM foreach(row={ SELECT _value FROM range(start=0, end=50) }, query={
      SELECT * FROM sqlite(file=F, query='INSERT INTO t(n) VALUES (?)', args=_value) })`, { F: path });
  assert.deepEqual(problems(r.logs), []);
  assert.ok(isOpenHere(path), 'the handle is kept for the next write');
  // Another reader sees every row while the handle is open: each statement committed.
  assert.deepEqual(direct(path, 'SELECT count(*) AS n, sum(n) AS s FROM t'), [{ n: 50, s: 1225 }]);
  await finishRun(e.registry);
  assert.equal(isOpenHere(path), false, 'closed when the run ends');

  // A run nobody finishes: closed after WRITE_IDLE_MS without a write.
  const idle = engine({ allowed: true });
  await query(idle, `SELECT * FROM sqlite(file=F, query='INSERT INTO t(n) VALUES (1)')`, { F: path });
  assert.ok(isOpenHere(path));
  const deadline = Date.now() + 30_000;
  while (isOpenHere(path) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
  assert.equal(isOpenHere(path), false, `closed once idle for ${WRITE_IDLE_MS} ms`);
  assert.deepEqual(direct(path, 'SELECT count(*) AS n FROM t'), [{ n: 51 }]);
});
