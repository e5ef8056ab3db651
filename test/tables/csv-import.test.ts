// What the page's CSV import guaranteed (renderer/lib/csv, removed: the log workbench opens files
// through the engine), run against the engine: column types (epoch times by name, ISO times,
// numbers, booleans, nested JSON), a typed column that meets other text later becoming text
// without losing a value, ragged and badly quoted records kept at their place and listed by row
// and file line (also past many chunks), byte-order marks, line ends, delimiters (the cases of
// the page's detectDelimiter), and dates. Where the engine does otherwise, a `todo` says how.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { bench } from './helpers.ts';
import type { OpenTable } from '../../main/tables/table.ts';
import type { TableCell } from '../../main/ipc/contract.ts';

const b = bench();
after(() => b.dispose());
let seq = 0;

/** Opens `data` as a CSV file of its own. */
const open = (data: string | Uint8Array, name = 'data.csv') => b.open(b.file(`${++seq}-${name}`, Buffer.from(data)));

/** Column `name:type`s (without `_raw`, which only problem rows fill) and every row's cells (without `_raw`). */
async function read(t: OpenTable): Promise<{ types: string[]; rows: TableCell[][]; raw: TableCell[] }> {
  assert.equal(t.state, 'ready', t.error?.message);
  const w = await t.window({ offset: 0, limit: 10_000 });
  const keep = w.columns.map((c, i) => (c.name === '_raw' ? -1 : i)).filter((i) => i >= 0);
  const rawAt = w.columns.findIndex((c) => c.name === '_raw');
  return {
    types: keep.map((i) => `${w.columns[i]!.name}:${w.columns[i]!.type}`),
    rows: w.cells.map((r) => keep.map((i) => r[i] ?? null)),
    raw: w.cells.map((r) => (rawAt < 0 ? null : r[rawAt] ?? null)),
  };
}

const problemsOf = (t: OpenTable) => [...t.problems].sort((x, y) => x.row - y.row).map((p) => [p.row, p.line, p.reason.replace(/:.*/s, '')]);

describe('column types', () => {
  test('epoch seconds and ms (by name), ISO, numbers, booleans, nested JSON as text, text; an empty column stays text', async () => {
    const t = await open('_ts,EventTime,When,Count,Ratio,Ok,Data,Name,Nothing,Size\n' +
      '1704067200,1704067200123,2024-01-01T00:00:00Z,1,0.5,true,"{""a"": 1}",alice,,1704067200\n' +
      '1704067201.5,1704067201000,2024-01-01T00:00:01.5Z,-2,1e3,false,[1],bob,,7\n');
    const { types, rows } = await read(t);
    assert.deepEqual(types, ['_ts:timestamp', 'EventTime:timestamp', 'When:timestamp', 'Count:number', 'Ratio:number', 'Ok:bool', 'Data:text', 'Name:text', 'Nothing:text', 'Size:number']);
    assert.deepEqual(rows, [
      [1704067200000, 1704067200123, Date.UTC(2024, 0, 1), 1, 0.5, true, '{"a": 1}', 'alice', null, 1704067200],
      [1704067201500, 1704067201000, Date.UTC(2024, 0, 1, 0, 0, 1, 500), -2, 1000, false, '[1]', 'bob', null, 7],
    ]);
    t.close();
  });

  test('a typed column that meets other text 3,000 rows down becomes text with every original text kept', async () => {
    const n = 3000;
    const nums = ['007', '1.50', '-', 'NaN', '', '42', '-0', '1e3', '+5'];
    const isos = ['2024-01-02T03:04:05Z', '2024-01-02T03:04:05.120Z', '2024-01-02T03:04:05+02:00', '2024-01-02T03:04:05.123456789Z', '2024-01-02'];
    const bools = ['True', 'False', 'true', 'FALSE'];
    let text = 'N,T,B,E_ts\n';
    const want: TableCell[][] = [];
    for (let i = 0; i < n; i++) {
      const row = [nums[i % nums.length]!, isos[i % isos.length]!, bools[i % bools.length]!, String(1704067200 + i / 4)];
      if (i === n - 1) row.fill('oops');
      want.push(row.map((x) => (x === '' ? null : x)));
      text += row.join(',') + '\n';
    }
    const t = await open(text);
    const { types, rows } = await read(t);
    assert.deepEqual(types, ['N:text', 'T:text', 'B:text', 'E_ts:text']);
    assert.deepEqual(rows, want);
    t.close();
  });

  test('a column of numbers with a few words in it keeps every text as written', async () => {
    const t = await open('N,T\n007,2024-01-02T03:04:05+02:00\n-,-\nNaN,\n2.50,2024-01-02\n');
    const { rows } = await read(t);
    assert.deepEqual(rows, [['007', '2024-01-02T03:04:05+02:00'], ['-', '-'], ['NaN', null], ['2.50', '2024-01-02']]);
    t.close();
  });

  test('times with offsets, dates, and Go\'s zero time read as UTC instants; a date that does not exist keeps the column text', async () => {
    const t = await open('T\n2024-01-02T03:04:05+02:00\n2024-01-02T03:04:05.120Z\n2024-02-29\n0001-01-01T00:00:00Z\n2024-01-02 03:04:05\n');
    const { types, rows } = await read(t);
    assert.deepEqual(types, ['T:timestamp']);
    assert.deepEqual(rows.map((r) => r[0]), [Date.UTC(2024, 0, 2, 1, 4, 5), Date.UTC(2024, 0, 2, 3, 4, 5, 120), Date.UTC(2024, 1, 29), -62135596800000, Date.UTC(2024, 0, 2, 3, 4, 5)]);
    t.close();
    const bad = await open('T\n2024-01-02T03:04:05Z\n2023-02-29\n');
    assert.deepEqual(await read(bad).then((r) => [r.types, r.rows]), [['T:text'], [['2024-01-02T03:04:05Z'], ['2023-02-29']]]);
    bad.close();
  });

  test('a time to the minute with an offset (2024-01-02T03:04-01:30) is a time', async () => {
    const t = await open('T\n2024-01-02T03:04-01:30\n');
    assert.deepEqual((await read(t)).rows, [[Date.UTC(2024, 0, 2, 4, 34)]]);
    t.close();
    // Beside times with seconds, Z and +hhmm; a column of them that meets other text further down stays text, every text kept.
    const mixed = await open('T,U,N\n2024-01-02T03:04Z,2024-01-02 03:04+0100,1\n2024-01-02T03:04:05.5Z,2024-01-02T03:04-01:30,2\n');
    assert.deepEqual(await read(mixed).then((r) => [r.types, r.rows]), [['T:timestamp', 'U:timestamp', 'N:number'], [
      [Date.UTC(2024, 0, 2, 3, 4), Date.UTC(2024, 0, 2, 2, 4), 1],
      [Date.UTC(2024, 0, 2, 3, 4, 5, 500), Date.UTC(2024, 0, 2, 4, 34), 2],
    ]]);
    mixed.close();
    let text = 'T\n';
    for (let i = 0; i < 1500; i++) text += `2024-01-02T03:${String(i % 60).padStart(2, '0')}+02:00\n`;
    const late = await open(`${text}2024-01-02T03:04+02:00 or so\n2023-02-29T00:00Z\n`);
    const rl = await read(late);
    assert.deepEqual([rl.types, rl.rows[0], rl.rows.at(-2), rl.rows.at(-1)], [['T:text'], ['2024-01-02T03:00+02:00'], ['2024-01-02T03:04+02:00 or so'], ['2023-02-29T00:00Z']]);
    late.close();
  });
});

describe('malformed records', () => {
  test('ragged rows are kept at their place, their text in _raw, and listed by data row and file line', async () => {
    const t = await open('a,b,c\n1,"multi\nline",3\n4,5\n6,7,8,9,"x,y"\n10,11,12\n');
    const { rows, raw } = await read(t);
    assert.deepEqual(rows, [[1, 'multi\nline', 3], [null, null, null], [null, null, null], [10, '11', 12]]);
    assert.deepEqual(raw, [null, '4,5', '6,7,8,9,"x,y"', null]);
    assert.deepEqual(problemsOf(t), [[2, 4, 'too few fields'], [3, 5, 'too many fields']]);
    assert.ok(t.problems.every((p) => p.file.endsWith('data.csv')));
    t.close();
  });

  test('a quote never closed mid-file: its line alone is a problem row, and the rows after it are rows', async () => {
    const t = await open('a,b,c\n10,11,12\n13,"bad,14\n15,16,17\n');
    const { rows } = await read(t);
    assert.deepEqual(rows, [[10, 11, 12], [null, null, null], [15, 16, 17]]);
    assert.deepEqual(problemsOf(t).map((p) => p.slice(0, 2)), [[2, 3]]);
    t.close();
  });

  test('problems keep their row numbers and lines across many chunks (20,000 rows)', async () => {
    let text = 'id,name,value\n';
    const bad = new Set([3, 1234, 19998]);
    for (let i = 1; i <= 20000; i++) text += bad.has(i) ? `${i},x\n` : `${i},n${i},${i * 2}\n`;
    const t = await open(text);
    assert.equal(t.rowCount, 20000);
    assert.deepEqual(problemsOf(t).map((p) => p.slice(0, 2)), [[3, 4], [1234, 1235], [19998, 19999]]);
    const w = await t.window({ offset: 1233, limit: 2, columns: ['id', '_raw'] });
    assert.deepEqual(w.cells, [[null, '1234,x'], [1235, null]]);
    t.close();
  });
});

describe('encodings, line ends, delimiters', () => {
  test('a UTF-8 BOM is not part of the first name; CRLF line ends', async () => {
    const t = await open(new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('Name,N\r\nzoë,1\r\n')]));
    assert.deepEqual(await read(t).then((r) => [r.types, r.rows]), [['Name:text', 'N:number'], [['zoë', 1]]]);
    t.close();
  });

  test('UTF-16 with a BOM (Excel\'s "Unicode text"), tab-separated', async () => {
    const le = new Uint8Array([0xff, 0xfe, ...Array.from('a\tb\r\nx\t2\r\n').flatMap((c) => [c.charCodeAt(0), 0])]);
    const t = await open(le, 'excel.txt');
    assert.deepEqual(await read(t).then((r) => [r.types, r.rows]), [['a:text', 'b:number'], [['x', 2]]]);
    assert.equal(t.format, 'csv (UTF-16 LE)');
    t.close();
  });

  test('UTF-16 big-endian and gzipped, text past the BMP, a ragged row listed at its line of the source', async () => {
    const text = 'Name\tN\r\nzoë 🦖\t1\r\n"two\r\nlines"\t2\r\nshort\r\n日本語\t4\r\n';
    const be = Buffer.from(text, 'utf16le').swap16();
    for (const [name, data] of [['be.txt', Buffer.concat([Buffer.from([0xfe, 0xff]), be])], ['le.txt.gz', gzipSync(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]))]] as const) {
      const t = await open(data, name);
      const r = await read(t);
      assert.deepEqual([r.types, r.rows, r.raw], [['Name:text', 'N:number'], [['zoë 🦖', 1], ['two\r\nlines', 2], [null, null], ['日本語', 4]], [null, null, 'short', null]], name);
      assert.deepEqual(problemsOf(t), [[3, 5, 'too few fields']], name);
      assert.ok(t.problems.every((p) => p.file.endsWith(name)), name);
      assert.ok(t.notes.some((n) => /UTF-16 text \((big|little)-endian\), read from a UTF-8 copy/.test(n)), JSON.stringify(t.notes));
      t.close();
    }
  });

  test('UTF-16: an unpaired surrogate is read as U+FFFD and a note says from which line; JSON lines in UTF-16 open too', async () => {
    const units = Buffer.from('a,b\nx,1\ny,2\n', 'utf16le');
    // An unpaired high surrogate in place of the `y` of line 3.
    units.writeUInt16LE(0xd800, 16);
    const t = await open(Buffer.concat([Buffer.from([0xff, 0xfe]), units]));
    assert.deepEqual((await read(t)).rows, [['x', 1], ['\uFFFD', 2]]);
    assert.ok(t.notes.some((n) => /1 code unit is not UTF-16 .* from line 3 on: each is read as U\+FFFD/.test(n)), JSON.stringify(t.notes));
    t.close();
    const j = await open(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"a":1,"s":"é"}\n{"a":2,"s":"x"}\n', 'utf16le')]), 'rows.jsonl');
    assert.deepEqual(await read(j).then((r) => [j.format, r.rows]), ['jsonl (UTF-16 LE)', [[1, 'é'], [2, 'x']]]);
    j.close();
  });

  test("Excel's sep= line names the delimiter", async () => {
    const t = await open('sep=;\na;b\n1,5;x\n2;3;4\n');
    const { types, rows, raw } = await read(t);
    assert.deepEqual(types.map((x) => x.split(':')[0]), ['a', 'b']);
    assert.deepEqual(rows.slice(0, 1), [['1,5', 'x']]);
    // Every row kept: the malformed one at its place, listed at its line of the file (the sep= line counted).
    assert.deepEqual(raw, [null, '2;3;4']);
    assert.deepEqual(problemsOf(t), [[2, 4, 'too many fields']]);
    assert.ok(t.problems.every((p) => p.file.endsWith('data.csv')));
    t.close();
    // Whatever the other lines suggest (a comma splits them as well), with a BOM and CRLF, gzipped; a bare quote listed at its line.
    const g = await open(gzipSync('\ufeffSEP=|\r\nx|y,z\r\n1|a,b\r\n2|c"d\r\n'), 'excel.csv.gz');
    const rg = await read(g);
    assert.deepEqual([rg.types, rg.rows], [['x:number', 'y,z:text'], [[1, 'a,b'], [2, 'c"d']]]);
    assert.deepEqual(problemsOf(g), [[2, 4, 'a quote inside an unquoted field']]);
    g.close();
  });

  test('a classic Mac file (CR only) is read by its CRs', async () => {
    const t = await open('a,b\r1,x\r2,y\r');
    assert.deepEqual((await read(t)).rows, [[1, 'x'], [2, 'y']]);
    t.close();
  });

  test('an LF file with a CR in its first line is not taken for a CR file', async () => {
    // The CR is part of the second name; the header has three fields, so `1,2` is a record with too few (a problem row, as elsewhere).
    const n = 'n'.repeat(5000);
    const t = await open(`id,note\r${n},x\n1,2\n`);
    const r = await read(t);
    assert.deepEqual(r.types.map((x) => x.replace(/:.*/s, '')), ['id', `note\r${n}`, 'x']);
    assert.deepEqual([r.rows, r.raw], [[[null, null, null]], ['1,2']]);
    assert.deepEqual(problemsOf(t), [[1, 2, 'too few fields']]);
    t.close();
    // The page's importer's case: the CR in a name, rows under it (CRLF too), a malformed row listed at its line.
    for (const eol of ['\n', '\r\n']) {
      const u = await open(`a,b\r${'c'.repeat(3000)}${eol}1,2${eol}3${eol}4,5${eol}`);
      const ru = await read(u);
      assert.deepEqual([ru.types, ru.rows], [['a:number', `b\r${'c'.repeat(3000)}:number`], [[1, 2], [null, null], [4, 5]]], JSON.stringify(eol));
      assert.deepEqual(problemsOf(u), [[2, 3, 'too few fields']]);
      u.close();
    }
  });

  test('the delimiter that splits the records consistently', async () => {
    for (const [text, want] of [
      ['a,b,c\n1,2,3\n4,5,6\n', [['a', 'b', 'c'], [1, 2, 3]]],
      ['a\tb\tc\n1\t2,5\t3\n', [['a', 'b', 'c'], [1, '2,5', 3]]],
      ['Name;Value\nx;1,5\ny;2,25\n', [['Name', 'Value'], ['x', '1,5']]], // European decimals
      ['a|b\n"x|y"|1\n2|3\n', [['a', 'b'], ['x|y', 1]]],
      ['one column\nvalue\n', [['one column'], ['value']]],
      ['t,msg\n1,"a;b;c;d"\n2,"e;f;g;h"\n', [['t', 'msg'], [1, 'a;b;c;d']]],
    ] as const) {
      const t = await open(text);
      const { types, rows } = await read(t);
      assert.deepEqual([types.map((x) => x.split(':')[0]), rows[0]], want, JSON.stringify(text));
      t.close();
    }
  });
});
