// watch_syslog() and watch_jsonl() on files this test writes, appends to, truncates and
// rotates in a temp folder, reading rows as they arrive (waiting for them, never sleeping).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistry } from '../../../main/vql/index.ts';
import { WAIT_MS, follow as followQuery } from './follow.ts';
import { registerFiles } from '../../../main/host/files/index.ts';
import { registerEvents } from '../../../main/host/events/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'vql-watch-'));
after(() => rmSync(dir, { recursive: true, force: true }));


function registry() {
  const r = createRegistry();
  registerFiles(r, {});
  registerEvents(r, {});
  return r;
}

/** An event query running in the background (follow.ts). */
function follow(text: string, vars: Record<string, unknown> = {}) {
  return followQuery(registry, text, vars);
}

test('watch_syslog starts after the last complete line, finishes a partial one, keeps \\r, and ends on cancel', async () => {
  const file = join(dir, 'auth.log');
  writeFileSync(file, 'old 1\nold 2\npartial');
  const w = follow('SELECT * FROM watch_syslog(filename=F)', { F: file });
  await w.waitLog(/^debug: watch_syslog: following .*auth\.log$/);
  appendFileSync(file, ' line\nnew 1\r\n');
  await w.waitRows(2);
  appendFileSync(file, 'new 2\n');
  await w.waitRows(3);
  await w.stop();
  assert.deepEqual(w.rows.map((r) => r.Line), ['partial line', 'new 1\r', 'new 2']);
  assert.deepEqual(Object.keys(w.rows[0]!), ['OSPath', 'Line']);
  assert.equal(w.rows[0]!.OSPath, file);
});

test('watch_syslog follows a rotated file: the rest of the old one, then the new one from its start', async () => {
  const file = join(dir, 'syslog');
  writeFileSync(file, 'before\n');
  const w = follow('SELECT Line FROM watch_syslog(filename=F)', { F: file });
  await w.waitLog(/following .*syslog$/);
  appendFileSync(file, 'a\n');
  await w.waitRows(1);
  // logrotate: rename away (a late write still lands in the old file), then a new file.
  renameSync(file, file + '.1');
  appendFileSync(file + '.1', 'b (late, old file)\n');
  writeFileSync(file, 'c (new file)\nd\n');
  await w.waitRows(4);
  await w.waitLog(/^info: watch_syslog: .*syslog was rotated/);
  appendFileSync(file, 'e\n');
  await w.waitRows(5);
  await w.stop();
  assert.deepEqual(w.rows.map((r) => r.Line), ['a', 'b (late, old file)', 'c (new file)', 'd', 'e']);
});

test('watch_syslog notices truncation (copytruncate) and reads again from the start', async () => {
  const file = join(dir, 'truncated.log');
  writeFileSync(file, 'x'.repeat(100) + '\n');
  const w = follow('SELECT Line FROM watch_syslog(filename=F)', { F: file });
  await w.waitLog(/following .*truncated\.log$/);
  appendFileSync(file, 'one\n');
  await w.waitRows(1);
  truncateSync(file, 0);
  appendFileSync(file, 'two\n');
  await w.waitRows(2);
  await w.stop();
  assert.deepEqual(w.rows.map((r) => r.Line), ['one', 'two']);
  assert.ok(w.logs.some((l) => /^info: watch_syslog: .*truncated\.log was truncated/.test(l)), w.logs.join('\n'));
});

test('a file that does not exist yet is read from its start once it appears; an overlong line comes in 16 KiB pieces', async () => {
  const file = join(dir, 'later.log');
  const w = follow('SELECT Line FROM watch_syslog(filename=F)', { F: file });
  await w.waitLog(/later\.log does not exist yet/);
  writeFileSync(file, `first\n${'y'.repeat(16 * 1024 + 10)}\n`);
  await w.waitRows(3);
  await w.stop();
  assert.deepEqual(w.rows.map((r) => r.Line.length), [5, 16 * 1024, 10]);
});

test('watch_syslog(query=): files of the first run are tailed, later ones read from the start, dropped ones no longer followed', async () => {
  const sub = mkdtempSync(join(dir, 'q-'));
  writeFileSync(join(sub, 'a.log'), 'a old\n');
  const w = follow("SELECT OSPath, Line FROM watch_syslog(query={ SELECT OSPath FROM glob(globs='*.log', root=D) })", { D: sub });
  await w.waitLog(/following .*a\.log$/);
  appendFileSync(join(sub, 'a.log'), 'a new\n');
  await w.waitRows(1);
  writeFileSync(join(sub, 'b.log'), 'b existing\n');
  await w.waitRows(2);
  assert.ok(w.logs.some((l) => /following .*b\.log from its start$/.test(l)), w.logs.join('\n'));
  // a.log leaves the query's rows: what is appended to it is no longer read.
  renameSync(join(sub, 'a.log'), join(sub, 'a.txt'));
  appendFileSync(join(sub, 'a.txt'), 'ignored\n');
  writeFileSync(join(sub, 'c.log'), 'c\n');
  await w.waitRows(3);
  await w.stop();
  assert.deepEqual(w.rows.map((r) => r.Line), ['a new', 'b existing', 'c']);
  assert.equal(w.rows[1]!.OSPath, join(sub, 'b.log'));
});

test('watch_jsonl emits each new object as a row; empty lines are skipped; invalid lines are logged with the file', async () => {
  const file = join(dir, 'events.jsonl');
  writeFileSync(file, '{"old":1}\n');
  const w = follow('SELECT * FROM watch_jsonl(filename=F)', { F: file });
  await w.waitLog(/following .*events\.jsonl$/);
  appendFileSync(file, '{"A":1,"B":"x"}\n\nnot json\n[1,2]\n{"A":2,"C":{"D":true}}\n');
  await w.waitRows(2);
  await w.waitLog(/\[1,2\]/);
  await w.stop();
  assert.deepEqual(w.rows, [{ A: 1, B: 'x' }, { A: 2, C: { D: true } }]);
  assert.equal(w.logs.filter((l) => /^warn: watch_jsonl: Invalid jsonl: .*events\.jsonl/.test(l)).length, 2, w.logs.join('\n'));
});

test('a bad accessor is an error naming the argument; the query ends', async () => {
  const w = follow("SELECT * FROM watch_syslog(filename='x', accessor='nope')");
  await w.waitLog(/^error: watch_syslog: argument accessor: unknown accessor "nope"/);
  await w.stop();
  assert.deepEqual(w.rows, []);
});

test('fifo(query=watch_syslog) keeps the latest rows of the event query running in the background (max_rows), without rerunning it', async () => {
  const file = join(dir, 'fifo.log');
  writeFileSync(file, '');
  const w = follow(`
    LET src = SELECT Line FROM watch_syslog(filename=F)
    LET cache = SELECT * FROM fifo(query=src, max_rows=2)
    LET _ <= SELECT * FROM cache
    SELECT * FROM foreach(row={ SELECT * FROM clock(ms=20) }, query={ SELECT join(array=cache.Line, sep=',') AS Lines FROM scope() })`, { F: file });
  await w.waitLog(/following .*fifo\.log$/);
  appendFileSync(file, 'one\ntwo\nthree\n');
  const end = Date.now() + WAIT_MS;
  while (!w.rows.some((r) => r.Lines === 'two,three') && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  await w.stop();
  assert.ok(w.rows.some((r) => r.Lines === 'two,three'), JSON.stringify(w.rows.slice(-3)));
  assert.equal(w.logs.filter((l) => /following .*fifo\.log$/.test(l)).length, 1, 'the source query runs once');
});

test('watch_syslog() without filename or query is an error, not a silent wait', async () => {
  const w = follow('SELECT * FROM watch_syslog()');
  await w.waitLog(/^error: watch_syslog: argument filename: no file to follow/);
  await w.stop();
});
