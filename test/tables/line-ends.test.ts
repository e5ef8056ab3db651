// Line ends DuckDB's CSV reader cannot take (main/tables/line-ends.ts): records ending with both
// CR LF and LF, and CRs outside quotes that are data. The copy DuckDB reads instead, and files
// opened by the engine with such line ends near their start (the sniffer sees them) and far down
// (DuckDB fails on them, or reads records wrongly and the placement scan sees why): every row at
// its place, problems at the file's own lines. A file with regular line ends is read as it is.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { bench } from './helpers.ts';
import { LineEnds } from '../../main/tables/line-ends.ts';
import type { OpenTable } from '../../main/tables/table.ts';

/** The copy of `text` (written in pieces of `piece` bytes; 0: at once), and what was seen. */
function copied(text: string, piece = 0): { text: string; mixedAt: number; loneCrAt: number } {
  const out: Buffer[] = [];
  const ends = new LineEnds(',', out);
  const buf = Buffer.from(text);
  if (piece) for (let i = 0; i < buf.length; i += piece) ends.write(buf.subarray(i, i + piece));
  else ends.write(buf);
  ends.end();
  return { text: Buffer.concat(out).toString(), mixedAt: ends.mixedAt, loneCrAt: ends.loneCrAt };
}

describe('the copy with regular line ends', () => {
  const cases: Array<[string, string, string, number, number]> = [
    ['CR LF and LF mixed; a CR LF inside quotes stays', 'a,b\r\n1,x\n2,y\r\n3,"z\r\nw"\n', 'a,b\n1,x\n2,y\n3,"z\r\nw"\n', 2, 0],
    ['a CR that is data: its field quoted', 'a,b\n1,x\ry\n2,z\n', 'a,b\n1,"x\ry"\n2,z\n', 0, 2],
    ['a CR before a closing quote, then CR LF', 'a,b\n1,"x\r"\n2,"y\r"\r\n', 'a,b\n1,"x\r"\n2,"y\r"\n', 3, 0],
    ['quotes in a field quoted are doubled; a CR at a field start or at the end', 'a,b\n1,x"y\rz,\r\n\r2,3\r', 'a,b\n1,"x""y\rz",\n"\r2","3\r"', 2, 2],
    ['text after a closing quote is copied as it is', 'a,b\n1,"x"\ry\n2,ab\rc\r\n', 'a,b\n1,"x"\ry\n2,"ab\rc"\n', 3, 2],
    ['regular CR LF: only the line ends change', 'a,b\r\n1,x\r\n', 'a,b\n1,x\n', 0, 0],
    ['regular LF: nothing changes', 'a,b\n1,"x\r\ny"\n', 'a,b\n1,"x\r\ny"\n', 0, 0],
  ];
  for (const [name, input, want, mixedAt, loneCrAt] of cases) {
    test(name, () => {
      for (const piece of [0, 1, 2, 3, 7]) assert.deepEqual(copied(input, piece), { text: want, mixedAt, loneCrAt }, `in pieces of ${piece}`);
    });
  }

  test('no line feed is added or removed', () => {
    const input = 'h\r\n' + Array.from({ length: 500 }, (_, i) => (i % 3 ? `${i},a\rb\n` : `${i},"q\r\nq"\r\n`)).join('');
    const out = copied(input, 4096).text;
    assert.equal(out.split('\n').length, input.split('\n').length);
  });
});

describe('files with irregular line ends', () => {
  const b = bench();
  after(() => b.dispose());
  let seq = 0;
  const open = (data: string | Buffer, name = 'data.csv') => b.open(b.file(`${++seq}-${name}`, Buffer.from(data)));
  /** More than the sniffer looks at (64 KiB), so that what follows is found while loading. */
  const GOOD = 'n,s\n' + '1,x\n'.repeat(30_000);
  const READ_FROM_COPY = /read from a copy in the table's folder whose records all end with LF/;

  async function rowsFrom(t: OpenTable, offset: number, limit: number) {
    assert.equal(t.state, 'ready', t.error?.message);
    const w = await t.window({ offset, limit });
    return w.cells;
  }
  const listed = (t: OpenTable) => [...t.problems].sort((x, y) => x.row - y.row).map((p) => `line ${p.line} row ${p.row} ${p.reason.replace(/:.*/s, '')}`);

  test('far down: CR LF after LF lines (DuckDB fails on them), a CR that is data, problems at their lines', async () => {
    const t = await open(GOOD + '2,y\r\n3,a\rb\r\n4,z,z\n5,"w"\r\n');
    assert.deepEqual(await rowsFrom(t, 29_999, 10), [[1, 'x', null], [2, 'y', null], [3, 'a\rb', null], [null, null, '4,z,z'], [5, 'w', null]]);
    assert.equal(t.rowCount, 30_004);
    assert.deepEqual(listed(t), ['line 30004 row 30003 too many fields']);
    assert.ok(t.notes.some((n) => READ_FROM_COPY.test(n)), JSON.stringify(t.notes));
    t.close();
  });

  test('far down: a closing quote then CR LF in an LF file (DuckDB lists the record as malformed) is a row', async () => {
    const t = await open(GOOD + '2,"y\r"\r\n3,z\n');
    assert.deepEqual(await rowsFrom(t, 30_000, 10), [[2, 'y\r'], [3, 'z']]);
    assert.deepEqual(listed(t), []);
    t.close();
  });

  test('far down: a CR at the start of a field (DuckDB cuts the record there) is data', async () => {
    const t = await open(GOOD + '2,\ry\n3,z\n');
    assert.deepEqual(await rowsFrom(t, 30_000, 10), [[2, '\ry'], [3, 'z']]);
    assert.equal(t.rowCount, 30_002);
    assert.deepEqual(listed(t), []);
    t.close();
  });

  test('gzipped, with a byte order mark, a quote inside an unquoted field listed once', async () => {
    const t = await open(gzipSync('\ufeff' + GOOD + '2,y\r\n3,q"q\n'), 'data.csv.gz');
    assert.deepEqual(await rowsFrom(t, 30_000, 10), [[2, 'y'], [3, 'q"q']]);
    assert.deepEqual(t.columns.map((c) => c.name).filter((n) => n !== '_row'), ['n', 's']);
    assert.deepEqual(listed(t), ['line 30003 row 30002 a quote inside an unquoted field']);
    t.close();
  });

  test('near the start, after Excel\'s sep= line: read from the copy at once', async () => {
    const t = await open('sep=;\r\na;b\r\n1;x\n2;y\ry\r\n3;z;z\n');
    assert.deepEqual(await rowsFrom(t, 0, 10), [[1, 'x', null], [2, 'y\ry', null], [null, null, '3;z;z']]);
    assert.deepEqual(listed(t), ['line 5 row 3 too many fields']);
    t.close();
  });

  test('a CR in the header and another in a value: both are data', async () => {
    const t = await open('a,b\rc\n1,x\n2,y\rz\n');
    assert.deepEqual(t.columns.map((c) => c.name).filter((n) => n !== '_row'), ['a', 'b\rc']);
    assert.deepEqual(await rowsFrom(t, 0, 10), [[1, 'x'], [2, 'y\rz']]);
    t.close();
  });

  test('regular line ends (CR LF throughout, or LF with CRs inside quotes) are read as they are', async () => {
    for (const text of ['a,b\r\n1,x\r\n2,"y\r\nz"\r\n', 'a,b\n1,x\n2,"y\rz"\n']) {
      const t = await open(text);
      assert.equal(t.rowCount, 2);
      assert.ok(!t.notes.some((n) => READ_FROM_COPY.test(n)), JSON.stringify(t.notes));
      t.close();
    }
  });

  test('a file of blank lines (LF, CR LF) has no row', async () => {
    const t = await open('\r\n\n'.repeat(40_000));
    assert.equal(t.state, 'ready', t.error?.message);
    assert.equal(t.rowCount, 0);
    t.close();
  });
});
