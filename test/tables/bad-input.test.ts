// Bad input (issue: a file that is not what its extension says, a truncated gzip, a very long
// line, NUL bytes, a quote never closed, a file that grows while it is read, a full temp disk)
// and cancellation: each is a clear problem or error naming the file, nothing that was read is
// lost, the engine stays usable, nothing is written next to the evidence.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, createWriteStream, readdirSync, rmSync, truncateSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { bench } from './helpers.ts';
import { OpenTable } from '../../main/tables/table.ts';
import { MAX_LINE_BYTES } from '../../main/tables/load.ts';

const b = bench();
after(() => b.dispose());

/** A small file still opens afterwards: the engine is alive. */
async function stillWorks(): Promise<void> {
  const t = await b.open(b.file(`ok-${Math.random()}.csv`, 'a\n1\n'));
  assert.equal(t.state, 'ready');
  t.close();
}

async function writeRows(path: string, rows: number, row: (i: number) => string): Promise<void> {
  const out = createWriteStream(path);
  let s = '';
  for (let i = 0; i < rows; i++) {
    s += row(i);
    if (s.length > 1 << 20) {
      if (!out.write(s)) await new Promise<void>((r) => out.once('drain', () => r()));
      s = '';
    }
  }
  await new Promise<void>((r) => out.end(s, () => r()));
}

describe('bad input', () => {
  test('a truncated gzip: the rows before the cut are loaded, the cut line is a problem row, a note names the file', async () => {
    const text = 'a,b\n' + Array.from({ length: 20000 }, (_, i) => `${i},row ${i}`).join('\n') + '\n';
    const whole = gzipSync(Buffer.from(text));
    const p = b.file('cut.csv.gz', whole.subarray(0, Math.floor(whole.length / 2)));
    const t = await b.open(p);
    assert.equal(t.state, 'ready', JSON.stringify(t.error));
    const note = t.notes.find((n) => /cut\.csv\.gz is damaged or truncated/.test(n));
    assert.ok(note, t.notes.join('\n'));
    // DuckDB's gzip reader stops at the cut without a word: the cut line would be a short row.
    const last = t.problems.at(-1)!;
    assert.equal(last.row, t.rowCount);
    assert.match(last.reason, /cut short: the gzip data ends inside this line/);
    assert.equal(last.file, p);
    const good = t.rowCount - 1;
    assert.ok(good > 1000, `${good} rows before the cut`);
    assert.equal(last.line, good + 2);
    const w = await t.window({ offset: 0, limit: 10_000, columns: ['a', 'b', '_raw'] });
    w.cells.slice(0, good).forEach((c, i) => assert.deepEqual(c, [i, `row ${i}`, null]));
    const raw = String((await t.window({ offset: good, limit: 1, columns: ['_raw'] })).cells[0]![0]);
    assert.ok(`${good},row ${good}`.startsWith(raw), raw);
    await stillWorks();
  });

  test('JSON lines in a truncated gzip: the lines before the cut are rows, the cut line a problem row; a JSON array cut short is an error', async () => {
    const jl = gzipSync(Array.from({ length: 20000 }, (_, i) => JSON.stringify({ i, s: `row ${i}` })).join('\n') + '\n');
    const p = b.file('cut.jsonl.gz', jl.subarray(0, Math.floor(jl.length / 2)));
    const t = await b.open(p);
    assert.equal(t.state, 'ready', JSON.stringify(t.error));
    assert.ok(t.notes.some((n) => /cut\.jsonl\.gz is damaged or truncated/.test(n)), t.notes.join('\n'));
    const last = t.problems.at(-1)!;
    assert.deepEqual([last.file, last.row, last.line], [p, t.rowCount, t.rowCount]);
    const w = await t.window({ offset: 0, limit: 10_000, columns: ['i', 's'] });
    w.cells.slice(0, t.rowCount - 1).forEach((c, i) => assert.deepEqual(c, [i, `row ${i}`]));
    const arr = gzipSync(JSON.stringify(Array.from({ length: 20000 }, (_, i) => ({ i }))));
    const a = await b.open(b.file('cut.json.gz', arr.subarray(0, Math.floor(arr.length / 2))));
    assert.equal(a.state, 'failed');
    assert.match(a.error!.message, /cut\.json\.gz is damaged or truncated .*a JSON array cut short cannot be read/);
    await stillWorks();
  });

  test('a gzip file damaged from its start: a clear error naming the file', async () => {
    const whole = gzipSync(Buffer.from('a,b\n1,2\n'));
    const p = b.file('garbled.csv.gz', Buffer.concat([whole.subarray(0, 10), Buffer.alloc(40, 0xff)]));
    const t = await b.open(p);
    assert.equal(t.state, 'failed');
    assert.equal(t.error!.code, 'LoadError');
    assert.match(t.error!.message, /garbled\.csv\.gz is not a readable gzip file/);
    await stillWorks();
  });

  test('a file that is not what its name says', async () => {
    const pq = b.file('fake.parquet', Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(100, 7)]));
    const t = await b.open(pq);
    assert.equal(t.state, 'failed');
    assert.match(t.error!.message, /fake\.parquet.*(Parquet|parquet)/);
    const bin = Buffer.alloc(5000);
    for (let i = 0; i < bin.length; i++) bin[i] = (i * 131 + 7) % 256;
    const t2 = await b.open(b.file('binary.csv', bin));
    assert.ok(t2.state === 'failed' ? /binary\.csv/.test(t2.error!.message) : t2.problems.length > 0 || t2.rowCount >= 0);
    const j = await b.open(b.file('broken.json', '[{"a":1},{"a":'));
    assert.equal(j.state, 'failed');
    assert.match(j.error!.message, /broken\.json/);
    await stillWorks();
  });

  test('failed loads one after another never crash the process (the preview ends before its connection closes)', async () => {
    // A preview runs beside the load on a second connection; closing it under a running
    // statement crashed DuckDB (a segfault within a dozen of these, before the fix).
    const bin = Buffer.alloc(5000);
    for (let i = 0; i < bin.length; i++) bin[i] = (i * 131 + 7) % 256;
    for (let k = 0; k < 15; k++) {
      const pq = await b.open(b.file(`again${k}.parquet`, Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(100, 7)])));
      assert.equal(pq.state, 'failed');
      await b.open(b.file(`again${k}.csv`, bin));
    }
    await stillWorks();
  });

  test('NUL bytes in a CSV: the rows load', async () => {
    const t = await b.open(b.file('nul.csv', Buffer.from('a,b\n1,x\u0000y\n2,z\n', 'latin1')));
    assert.equal(t.state, 'ready', JSON.stringify(t.error));
    assert.equal(t.rowCount + t.problems.length >= 2, true);
  });

  test('a line longer than the limit is a problem row, its text kept (cut to 64 KiB)', async () => {
    const long = 'x'.repeat(MAX_LINE_BYTES + 1024);
    const lines = ['a,b'];
    for (let i = 1; i <= 2000; i++) lines.push(i === 1000 ? `1000,${long}` : `${i},v${i}`);
    const t = await b.open(b.file('long.csv', lines.join('\n') + '\n'));
    assert.equal(t.state, 'ready', JSON.stringify(t.error));
    assert.deepEqual(t.problems.map((x) => [x.line, x.row]), [[1001, 1000]]);
    assert.match(t.problems[0]!.reason, /longer than/);
    const w = await t.window({ offset: 999, limit: 1, columns: ['_raw'] });
    assert.equal(String(w.cells[0]![0]).length, 64 * 1024);
    assert.equal(t.rowCount, 2000);
  });

  test('a file that grows while it is read loads what was there, and a note says it changed', async () => {
    const p = join(b.dir, 'src', 'grows.csv');
    await writeRows(p, 400_000, (i) => (i === 0 ? 'n,s\n' : `${i},row ${i}\n`));
    const t = await OpenTable.open(b.engine, 'grow', 'grows', { kind: 'file', path: p }, [p], () => {});
    for (let i = 0; i < 20; i++) appendFileSync(p, `${400_000 + i},late\n`);
    await t.loaded;
    assert.equal(t.state, 'ready', JSON.stringify(t.error));
    assert.ok(t.rowCount >= 399_999);
    const w = await t.window({ offset: 0, limit: 10_000, columns: ['n'] });
    assert.deepEqual(w.cells.map((c) => c[0]), w.rows);
    assert.ok(t.notes.some((n) => /grows\.csv changed while it was read/.test(n)), t.notes.join('\n'));
    t.close();
    await stillWorks();
  });
});

describe('cancel', () => {
  test('cancelling a load interrupts it, drops its database, and says so', async () => {
    const p = join(b.dir, 'src', 'cancel.csv');
    await writeRows(p, 1_000_000, (i) => (i === 0 ? 'n,s\n' : `${i},row ${i}\n`));
    const before = readdirSync(b.engine.folder).length;
    let last = '';
    const t = await OpenTable.open(b.engine, 'c', 'cancel', { kind: 'file', path: p }, [p], (_ph, _f, _r, info) => {
      if (info) last = info.state;
    });
    t.cancel();
    await t.loaded;
    // Cancelled while loading, or it finished first on a fast machine: then it is simply ready.
    assert.ok(t.state === 'cancelled' || t.state === 'ready', t.state);
    if (t.state === 'cancelled') {
      assert.equal(last, 'cancelled');
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(readdirSync(b.engine.folder).length, before, 'its folder is gone');
    }
    t.close();
  });
});

/** `n` data lines `i,name i,when,2i` under a header, `broken[i]` in place of line i. */
function lines(n: number, broken: Record<number, string>, quoted = false): string {
  const out = ['id,name,when,n'];
  for (let i = 1; i <= n; i++) out.push(broken[i] ?? `${i},${quoted ? `"name ${i}"` : `name ${i}`},2024-01-01 00:00:${String(i % 60).padStart(2, '0')},${i * 2}`);
  return out.join('\n') + '\n';
}

/** Asserts that every row but the problem rows holds its own line's id, and that problem rows hold their line's text. */
async function everyLineInPlace(t: OpenTable, n: number, broken: Record<number, string>): Promise<void> {
  assert.equal(t.state, 'ready', JSON.stringify(t.error));
  assert.equal(t.rowCount, n);
  for (let o = 0; o < n; o += 10_000) {
    const w = await t.window({ offset: o, limit: 10_000, columns: ['id', '_raw'] });
    for (let k = 0; k < w.rows.length; k++) {
      const line = w.rows[k]!;
      const want = broken[line] ? [null, broken[line]] : [line, null];
      if (w.cells[k]![0] !== want[0] || w.cells[k]![1] !== want[1]) assert.fail(`row ${line}: ${JSON.stringify(w.cells[k])}, not ${JSON.stringify(want)}`);
    }
  }
}

describe('a quote that is never closed costs its own line only', () => {
  test('row 199,990 of a 200,000-row CSV: a problem row with its text, the 10 lines after it are rows', async () => {
    const broken = { 199_990: '199990,"unterminated,2024-01-01 00:00:00,7' };
    const p = b.file('unclosed-late.csv', lines(200_000, broken));
    const t = await b.open(p);
    // DuckDB alone reads the 10 lines after it into the same record: 199,990 rows.
    await everyLineInPlace(t, 200_000, broken);
    assert.deepEqual(t.problems.map((x) => [x.file, x.line, x.row]), [[p, 199_991, 199_990]]);
    assert.match(t.problems[0]!.reason, /quote that is not closed on its line.*: this line is kept as text and reading goes on with the next line/);
    t.close();
  });

  test('early, with no other quote for megabytes (DuckDB skips most of the file unlisted): every line after it is a row', async () => {
    const broken = { 1000: '1000,"unterminated,2024-01-01 00:00:00,7' };
    const t = await b.open(b.file('unclosed-early.csv', lines(200_000, broken)));
    await everyLineInPlace(t, 200_000, broken);
    assert.deepEqual(t.problems.map((x) => [x.line, x.row]), [[1001, 1000]]);
    assert.deepEqual(t.notes.filter((n) => /end of the table/.test(n)), []);
    t.close();
  });

  test('several in a gzip file with quoted fields, one closed in the wrong place two lines down: each costs its own line', async () => {
    const broken = {
      10: '10,"never closed,2024-01-01 00:00:00,7',
      30_000: '30000,"closed "late,2024-01-01 00:00:00,7',
      30_001: '30001,"a\tb',
      59_999: '59999,"at the end',
    };
    const t = await b.open(b.file('unclosed-many.csv.gz', gzipSync(lines(60_000, broken, true))));
    await everyLineInPlace(t, 60_000, broken);
    assert.deepEqual(t.problems.map((x) => [x.line, x.row]), [[11, 10], [30_001, 30_000], [30_002, 30_001], [60_000, 59_999]]);
    assert.equal(t.columns.find((c) => c.name === 'id')!.type, 'number');
    t.close();
  });
});

describe('long lines', () => {
  test(`the limit: a line of ${MAX_LINE_BYTES} bytes (16 MiB) is a row, one of ${MAX_LINE_BYTES + 1} bytes is a problem row`, async () => {
    const at = (bytes: number) => `5,${'y'.repeat(bytes - 2)}`;
    const body = (line5: string) => ['a,b', '1,x', '2,x', '3,x', '4,x', line5, '6,x'].join('\n') + '\n';
    const fits = await b.open(b.file('fits.csv', body(at(MAX_LINE_BYTES))));
    assert.deepEqual([fits.rowCount, fits.problems.length], [6, 0]);
    assert.equal(String((await fits.window({ offset: 4, limit: 1, columns: ['b'] })).cells[0]![0]).length, MAX_LINE_BYTES - 2);
    const over = await b.open(b.file('over.csv', body(at(MAX_LINE_BYTES + 1))));
    assert.deepEqual([over.rowCount, over.problems.map((x) => [x.line, x.row])], [6, [[6, 5]]]);
    assert.match(over.problems[0]!.reason, new RegExp(`a line longer than 16 MiB \\(${(MAX_LINE_BYTES + 1).toLocaleString('en-US')} bytes\\)`));
    // With CR LF line ends, the CR counts (as DuckDB counts it).
    const crlf = await b.open(b.file('fits-crlf.csv', body(at(MAX_LINE_BYTES - 1)).replace(/\n/g, '\r\n')));
    assert.deepEqual([crlf.rowCount, crlf.problems.length], [6, 0]);
    const crlfOver = await b.open(b.file('over-crlf.csv', body(at(MAX_LINE_BYTES)).replace(/\n/g, '\r\n')));
    assert.deepEqual(crlfOver.problems.map((x) => [x.line, x.row]), [[6, 5]]);
    assert.equal((await crlfOver.window({ offset: 4, limit: 1, columns: ['_raw'] })).cells[0]![0], at(MAX_LINE_BYTES).slice(0, 64 * 1024));
    crlf.close();
    crlfOver.close();
    fits.close();
    over.close();
  });

  for (const gz of [false, true]) {
    test(`records of 2 to 16 MiB among short ones are rows, whole; the problems after them keep their lines${gz ? ' (gzip)' : ''}`, async () => {
      // DuckDB reads with its 2 MiB limit first, then (these records seen) again with 16 MiB.
      const MiB = 2 ** 20;
      const wide = 'p'.repeat(5 * MiB);
      const multi = ('q'.repeat(1023) + '\n').repeat(3 * 1024);
      const huge = 'h'.repeat(17 * MiB);
      const record = (i: number) => (i === 1000 ? `1000,${wide},1` : i === 2000 ? `2000,"${multi}",2` : i === 2500 ? '2500,short' : i === 2800 ? `2800,${huge},3` : `${i},name ${i},${i * 2}`);
      const text = ['id,name,n', ...Array.from({ length: 3000 }, (_, k) => record(k + 1))].join('\n') + '\n';
      const t = await b.open(b.file(`mid-long-${gz}.csv${gz ? '.gz' : ''}`, gz ? gzipSync(text) : text));
      assert.equal(t.state, 'ready', JSON.stringify(t.error));
      assert.equal(t.rowCount, 3000);
      // Record 2000 spans 3,073 lines.
      assert.deepEqual(t.problems.map((x) => [x.line, x.row]), [[2501 + 3072, 2500], [2801 + 3072, 2800]]);
      assert.match(t.problems[0]!.reason, /^too few fields/);
      assert.match(t.problems[1]!.reason, /^a line longer than 16 MiB \(17,825,799 bytes\)/);
      assert.equal(t.columns.find((c) => c.name === 'id')!.type, 'number');
      const at = async (row: number) => (await t.window({ offset: row - 1, limit: 1, columns: ['id', 'name', 'n', '_raw'] })).cells[0];
      assert.deepEqual(await at(1000), [1000, wide, 1, null]);
      assert.deepEqual(await at(2000), [2000, multi, 2, null]);
      assert.deepEqual(await at(2001), [2001, 'name 2001', 4002, null]);
      assert.deepEqual(await at(2500), [null, null, null, '2500,short']);
      assert.deepEqual(await at(2800), [null, null, null, `2800,${huge}`.slice(0, 64 * 1024)]);
      assert.deepEqual(await at(3000), [3000, 'name 3000', 6000, null]);
      t.close();
    });
  }

  test('a header line of 3 MiB names the columns', async () => {
    const name = 'h'.repeat(3 * 2 ** 20);
    const t = await b.open(b.file('wide-header.csv', `a,${name}\n1,2\n`));
    assert.equal(t.state, 'ready', JSON.stringify(t.error));
    assert.deepEqual(t.columns.map((c) => c.name), ['a', name]);
    assert.deepEqual((await t.window({ offset: 0, limit: 1 })).cells, [[1, 2]]);
    assert.deepEqual(t.problems, []);
    t.close();
  });

  test("a line past DuckDB's 32 MiB buffer (which it drops without listing it): a problem row at its line, its start kept", async () => {
    const path = join(b.dir, 'src', 'huge-line.csv');
    const out = createWriteStream(path);
    out.write('id,data\n');
    for (let i = 1; i <= 1000; i++) out.write(`${i},row ${i}\n`);
    out.write('1001,');
    const mib = Buffer.alloc(2 ** 20, 0x61);
    for (let i = 0; i < 40; i++) if (!out.write(mib)) await new Promise<void>((r) => out.once('drain', () => r()));
    out.write('\n');
    for (let i = 1002; i <= 2000; i++) out.write(`${i},row ${i}\n`);
    await new Promise<void>((r) => out.end(() => r()));
    const t = await b.open(path);
    assert.equal(t.state, 'ready', JSON.stringify(t.error));
    assert.equal(t.rowCount, 2000);
    assert.deepEqual(t.problems.map((x) => [x.line, x.row]), [[1002, 1001]]);
    assert.match(t.problems[0]!.reason, /a line longer than 16 MiB \(41,943,045 bytes\): its first 64 KiB are kept in _raw/);
    const w = await t.window({ offset: 999, limit: 3, columns: ['id', '_raw'] });
    assert.deepEqual(w.cells.map((c) => c[0]), [1000, null, 1002]);
    assert.equal(w.cells[1]![1], `1001,${'a'.repeat(64 * 1024 - 5)}`);
    t.close();
  });

  test('a file of one line with no line end: one problem row at line 1, "not a line-oriented file", its start kept', async () => {
    const p = b.file('one-line.txt', Buffer.alloc(17 * 2 ** 20, 0x62));
    const t = await b.open(p);
    assert.equal(t.state, 'ready', JSON.stringify(t.error));
    assert.equal(t.rowCount, 1);
    assert.deepEqual(t.columns.map((c) => c.name), ['_raw']);
    assert.deepEqual(t.problems, [{ file: p, line: 1, row: 1, reason: `a line longer than 16 MiB (${(17 * 2 ** 20).toLocaleString('en-US')} bytes): not a line-oriented file; its first 64 KiB are kept in _raw` }]);
    assert.equal((await t.window({ offset: 0, limit: 1 })).cells[0]![0], 'b'.repeat(64 * 1024));
    t.close();
    await stillWorks();
  });

  test('a header then one 40 MiB line with no line end: the line is a problem row, not lost', async () => {
    const p = b.file('header-then-line.csv', Buffer.concat([Buffer.from('id,data\n1,'), Buffer.alloc(40 * 2 ** 20, 0x61)]));
    const t = await b.open(p);
    assert.equal(t.state, 'ready', JSON.stringify(t.error));
    assert.equal(t.rowCount, 1);
    assert.deepEqual(t.problems.map((x) => [x.line, x.row]), [[2, 1]]);
    assert.match(t.problems[0]!.reason, /longer than 16 MiB/);
    t.close();
  });
});

describe('binary content', () => {
  test('a 2 GB file of zero bytes (truncate -s 2G): refused at once, naming the file and the offset', async () => {
    const p = b.file('zeros.csv', '');
    truncateSync(p, 2 * 2 ** 30);
    const t = await b.open(p);
    assert.equal(t.state, 'failed');
    assert.deepEqual(t.error, { code: 'LoadError', message: `${p} looks binary: NUL byte at offset 0; not a CSV, JSON or Parquet file` });
    rmSync(p);
    await stillWorks();
  });

  test('a NUL byte in the first line, in a gzip file too: binary; a NUL byte further down is a CSV that loads', async () => {
    const exe = b.file('tool.csv', Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'), Buffer.alloc(5000, 7)]));
    const t = await b.open(exe);
    assert.match(t.error!.message, /tool\.csv looks binary: NUL byte at offset 3; not a CSV/);
    const gz = b.file('tool.csv.gz', gzipSync(Buffer.from('name\x00x\n1\n', 'latin1')));
    const t2 = await b.open(gz);
    assert.match(t2.error!.message, /tool\.csv\.gz looks binary: NUL byte at offset 4 of its decompressed data/);
    const ok = await b.open(b.file('tail.csv', Buffer.concat([Buffer.from('id,name\n1,x\n'), Buffer.alloc(1000, 0)])));
    assert.equal(ok.state, 'ready', JSON.stringify(ok.error));
    assert.equal(ok.rowCount, 2);
  });

  test('a Parquet file (binary, PAR1) and a gzip file still open', async () => {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const pq = join(b.dir, 'src', 'rows.parquet');
    const inst = await DuckDBInstance.create(':memory:');
    const c = await inst.connect();
    await c.run(`COPY (SELECT range AS id, 'x' || range AS s FROM range(500)) TO '${pq.replace(/'/g, "''")}' (FORMAT parquet)`);
    c.closeSync();
    inst.closeSync();
    const t = await b.open(pq);
    assert.equal(t.state, 'ready', JSON.stringify(t.error));
    assert.deepEqual([t.format, t.rowCount], ['parquet', 500]);
    const g = await b.open(b.file('rows.csv.gz', gzipSync('id,s\n1,a\n2,b\n')));
    assert.deepEqual([g.state, g.format, g.rowCount], ['ready', 'csv (gzip)', 2]);
  });

  test('UTF-16 text is read from a UTF-8 copy in the table\'s folder, named as such; nothing is written next to the source', async () => {
    const p = b.file('excel16.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a\tb\r\n1\t2\r\n', 'utf16le')]));
    const t = await b.open(p);
    assert.equal(t.state, 'ready', JSON.stringify(t.error));
    assert.deepEqual([t.format, t.rowCount], ['csv (UTF-16 LE)', 1]);
    assert.ok(t.info().notes.some((n) => /^excel16\.txt: UTF-16 text \(little-endian\), read from a UTF-8 copy in the table's folder$/.test(n)), JSON.stringify(t.info().notes));
    assert.ok(!readdirSync(join(b.dir, 'src')).some((n) => n.startsWith('excel16') && n !== 'excel16.txt'));
    t.close();
  });
});
