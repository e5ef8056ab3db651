import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, realpathSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { testRun, type TestRun } from './helpers.ts';
import { parseCsvCell, toJSON } from '../../../main/vql/index.ts';

const linux = process.platform === 'linux';
const posix = process.platform !== 'win32';
const DISABLED = /writing outside the query's temp folder is disabled: it needs --allow-execve/;

/** The run's temp folder, made as the run makes it (0700, ours). */
function tempFolder(t: TestRun): string {
  mkdirSync(t.files.tempDir, { recursive: true, mode: 0o700 });
  return t.files.tempDir;
}

/** The file's text, or '' while it does not exist. */
function textOf(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

/** Polls until `fn` gives something truthy (30 s at most: a loaded machine can be slow, never wrong). */
async function waitFor<T>(what: string, fn: () => T | undefined | null | false): Promise<T> {
  const end = Date.now() + 30_000;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** How many descriptors of this process are open on `path` (Linux; 0 elsewhere). */
function openFds(path: string): number {
  if (!linux) return 0;
  const real = realpathSync(path);
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === real;
    } catch {
      return false;
    }
  }).length;
}

const TRICKY = `SELECT Comma, Quote, NL, dict(x=1, y=dict(z='q', l=[1, 'two'])) AS Nested, 42 AS Num, '42' AS NumText, ' lead' AS Lead, TRUE AS Yes, NULL AS Nothing FROM scope()`;
const VARS = { Comma: 'a,b', Quote: 'say "hi"', NL: 'line1\nline2\r\nline3' };

test('write_csv: rows written with the header of the first row, passed on, and read back by parse_csv', async () => {
  const t = testRun();
  try {
    const F = join(tempFolder(t), 'out.csv');
    const direct = await t.query(TRICKY, VARS);
    const written = await t.query(`SELECT * FROM write_csv(filename=F, query={ ${TRICKY} })`, { ...VARS, F });
    assert.deepEqual(written.logs, []);
    assert.deepEqual(written.rows, direct.rows, 'the rows are passed on unchanged');
    const text = readFileSync(F, 'utf8');
    assert.ok(text.startsWith('Comma,Quote,NL,Nested,Num,NumText,Lead,Yes,Nothing\n"a,b","say ""hi""","line1\nline2\r\nline3",'), text);
    // parse_csv gives the cells' text (Velociraptor's encoding: a leading space keeps '42' a
    // string, dicts are indented JSON); parseCsvCell, as the collector reads its files, gives the values back.
    const back = await t.query(`SELECT * FROM parse_csv(filename=F)`, { F });
    assert.equal(back.rows.length, 1);
    const cells = back.rows[0] as Record<string, string>;
    assert.deepEqual({ ...cells, Nested: JSON.parse(cells.Nested!) }, { ...VARS, Nested: direct.rows[0]!.Nested, Num: '42', NumText: ' 42', Lead: '  lead', Yes: 'true', Nothing: '' });
    const decoded = Object.fromEntries(Object.entries(cells).map(([k, v]) => [k, JSON.parse(toJSON(parseCsvCell(v)))]));
    assert.deepEqual(decoded, direct.rows[0]);
    if (posix) assert.equal(statSync(F).mode & 0o777, 0o600);
  } finally {
    await t.close();
  }
});

test('write_csv: later rows go under the first row\'s columns; the file is truncated at the start', async () => {
  const t = testRun();
  try {
    const F = join(tempFolder(t), 'out.csv');
    await t.query(`SELECT * FROM write_csv(filename=F, query={ SELECT * FROM range(end=50) })`, { F });
    const q = `SELECT * FROM write_csv(filename=F, query={ SELECT * FROM chain(a={SELECT 1 AS A, 2 AS B FROM scope()}, b={SELECT 3 AS B, 4 AS C FROM scope()}) })`;
    const { rows } = await t.query(q, { F });
    assert.deepEqual(rows, [{ A: 1, B: 2 }, { B: 3, C: 4 }]);
    assert.equal(readFileSync(F, 'utf8'), 'A,B\n1,2\n,3\n');
  } finally {
    await t.close();
  }
});

test('write_jsonl: one JSON object per line, passed on, and read back by parse_jsonl', async () => {
  const t = testRun();
  try {
    const F = join(tempFolder(t), 'out.jsonl');
    const direct = await t.query(`SELECT * FROM chain(a={ ${TRICKY} }, b={ SELECT _value AS N FROM range(end=3) })`, VARS);
    const written = await t.query(`SELECT * FROM write_jsonl(filename=F, query={ SELECT * FROM chain(a={ ${TRICKY} }, b={ SELECT _value AS N FROM range(end=3) }) })`, { ...VARS, F });
    assert.deepEqual(written.logs, []);
    assert.deepEqual(written.rows, direct.rows);
    const lines = readFileSync(F, 'utf8').split('\n');
    assert.equal(lines.length, 5, 'four lines, each ending in a newline');
    assert.equal(lines[4], '');
    assert.deepEqual(lines.slice(0, 4).map((l) => JSON.parse(l)), direct.rows);
    const back = await t.query(`SELECT * FROM parse_jsonl(filename=F)`, { F });
    assert.deepEqual(back.rows, direct.rows);
  } finally {
    await t.close();
  }
});

test('write_csv: the file of an endless query can be read while it runs; cancelling closes it', async () => {
  const t = testRun();
  try {
    const F = join(tempFolder(t), 'events.csv');
    const ac = new AbortController();
    const running = t.query(`SELECT * FROM write_csv(filename=F, query={ SELECT Unix FROM clock(ms=20) })`, { F }, ac.signal);
    // Flushed within a second of the first row, long before the query ends.
    const text = await waitFor('rows in the file', () => {
      const s = textOf(F);
      return s.split('\n').length >= 3 && s;
    });
    assert.match(text, /^Unix\n\d+\n/);
    assert.equal(openFds(F), 1, 'open while the query runs');
    ac.abort();
    await running;
    assert.equal(openFds(F), 0, 'closed when the query is cancelled');
    assert.match(readFileSync(F, 'utf8'), /^Unix\n(\d+\n)+$/, 'whole lines only');
  } finally {
    await t.close();
  }
});

test('write_jsonl: buffer_size=1 writes each row at once; LIMIT closes the file, writing what was buffered', async () => {
  const t = testRun();
  try {
    const F = join(tempFolder(t), 'events.jsonl');
    const ac = new AbortController();
    const running = t.query(`SELECT * FROM write_jsonl(filename=F, buffer_size=1, query={ SELECT Unix FROM clock(ms=20) })`, { F }, ac.signal);
    await waitFor('a row in the file', () => textOf(F).includes('\n'));
    ac.abort();
    await running;
    assert.equal(openFds(F), 0);

    const G = join(tempFolder(t), 'limited.jsonl');
    const { rows } = await t.query(`SELECT * FROM write_jsonl(filename=G, max_time=3600, query={ SELECT Unix FROM clock(ms=10) }) LIMIT 3`, { G });
    assert.equal(rows.length, 3);
    assert.equal(openFds(G), 0, 'closed when LIMIT stops the query');
    const lines = readFileSync(G, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { Unix: number });
    assert.ok(lines.length >= 3, 'buffered rows are written when the file is closed');
    assert.deepEqual(lines.slice(0, 3), rows);
  } finally {
    await t.close();
  }
});

test('write_csv / write_jsonl: outside the temp folder only with the opt-in; only the file accessor', async () => {
  const t = testRun();
  try {
    const F = join(t.dir, 'outside.csv');
    for (const plugin of ['write_csv', 'write_jsonl']) {
      const { rows, logs } = await t.query(`SELECT * FROM ${plugin}(filename=F, query={ SELECT 1 AS A FROM scope() })`, { F });
      assert.deepEqual(rows, []);
      assert.ok(logs.some((l) => l.startsWith(`error: ${plugin}: `) && DISABLED.test(l) && l.includes(F)), logs.join('\n'));
      assert.equal(existsSync(F), false);
    }
    const inside = join(tempFolder(t), 'x.csv');
    const viaData = await t.query(`SELECT * FROM write_csv(filename=F, accessor='data', query={ SELECT 1 AS A FROM scope() })`, { F: inside });
    assert.deepEqual(viaData.rows, []);
    assert.ok(viaData.logs.some((l) => /accessor "data" cannot be written to: only file/.test(l)), viaData.logs.join('\n'));
    if (posix) {
      // A link in the temp folder cannot lead the file out of it.
      symlinkSync(t.dir, join(t.files.tempDir, 'link'));
      const viaLink = await t.query(`SELECT * FROM write_csv(filename=F, query={ SELECT 1 AS A FROM scope() })`, { F: join(t.files.tempDir, 'link', 'out.csv') });
      assert.deepEqual(viaLink.rows, []);
      assert.ok(viaLink.logs.some((l) => DISABLED.test(l) && l.includes('leads out of the temp folder')), viaLink.logs.join('\n'));
      assert.equal(existsSync(join(t.dir, 'out.csv')), false);
    }
  } finally {
    await t.close();
  }
  const allowed = testRun({ allowExecve: true });
  try {
    const F = join(allowed.dir, 'outside.jsonl');
    const { rows, logs } = await allowed.query(`SELECT * FROM write_jsonl(filename=F, accessor='file', query={ SELECT 1 AS A FROM scope() })`, { F });
    assert.deepEqual(logs, []);
    assert.deepEqual(rows, [{ A: 1 }]);
    assert.equal(readFileSync(F, 'utf8'), '{"A":1}\n');
  } finally {
    await allowed.close();
  }
});

test('mkdir(): makes a folder and its missing parents; outside the temp folder only with the opt-in', async () => {
  const t = testRun();
  try {
    const nested = join(t.files.tempDir, 'a', 'b', 'c');
    const { rows, logs } = await t.query(`SELECT mkdir(path=P) AS Made, mkdir(path=P) AS Again FROM scope()`, { P: nested });
    assert.deepEqual(logs, []);
    assert.deepEqual(rows, [{ Made: true, Again: true }], 'the temp folder itself is made on first use; an existing folder is fine');
    assert.ok(statSync(nested).isDirectory());
    if (posix) assert.equal(statSync(nested).mode & 0o777, 0o700);

    const outside = join(t.dir, 'new');
    const refused = await t.query(`SELECT mkdir(path=P) AS Made FROM scope()`, { P: outside });
    assert.deepEqual(refused.rows, [{ Made: false }]);
    assert.ok(refused.logs.some((l) => l.startsWith('error: mkdir: ') && DISABLED.test(l)), refused.logs.join('\n'));
    assert.equal(existsSync(outside), false);

    const file = join(t.files.tempDir, 'a', 'f.csv');
    await t.query(`SELECT * FROM write_csv(filename=F, query={ SELECT 1 AS A FROM scope() })`, { F: file });
    const notDir = await t.query(`SELECT mkdir(path=P) AS Made, mkdir(path=P, accessor='zip') AS Zip FROM scope()`, { P: file });
    assert.deepEqual(notDir.rows, [{ Made: false, Zip: false }]);
    assert.ok(notDir.logs.some((l) => l.includes('exists and is not a folder')), notDir.logs.join('\n'));
    assert.ok(notDir.logs.some((l) => l.includes('accessor "zip" cannot be written to')), notDir.logs.join('\n'));

    if (posix) {
      symlinkSync(t.dir, join(t.files.tempDir, 'link'));
      const viaLink = await t.query(`SELECT mkdir(path=P) AS Made FROM scope()`, { P: join(t.files.tempDir, 'link', 'x', 'y') });
      assert.deepEqual(viaLink.rows, [{ Made: false }]);
      assert.ok(viaLink.logs.some((l) => l.includes('leads out of the temp folder')), viaLink.logs.join('\n'));
      assert.equal(existsSync(join(t.dir, 'x')), false);
    }
  } finally {
    await t.close();
  }
  const allowed = testRun({ allowExecve: true });
  try {
    const outside = join(allowed.dir, 'p', 'q');
    const { rows, logs } = await allowed.query(`SELECT mkdir(path=P) AS Made FROM scope()`, { P: outside });
    assert.deepEqual(logs, []);
    assert.deepEqual(rows, [{ Made: true }]);
    assert.ok(statSync(outside).isDirectory());
  } finally {
    await allowed.close();
  }
});
