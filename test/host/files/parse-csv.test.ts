// parse_csv reads files with its chunked record reader (main/host/files/csv-records.ts): any
// mix of CRLF/LF (CRLF inside quotes is data), a BOM, ragged records kept (nulls, `_extra`) and
// malformed quotes confined to their line; and the collector's own day files read back whole.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { query } from './query-runner.ts';
import { headerLine, readDayFile, rowLines } from '../../../main/collector/csv-file.ts';
import { VDict, VTime, parseCsvCell, toJSON } from '../../../main/vql/index.ts';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vql-parse-csv-'));
});
after(async () => rm(dir, { recursive: true, force: true }));

async function csv(name: string, text: string | Buffer): Promise<{ rows: Array<Record<string, unknown>>; logs: string[] }> {
  await writeFile(join(dir, name), text);
  return query(`SELECT * FROM parse_csv(filename=D + '/${name}')`, { D: dir });
}

test('an LF file with CRLF inside a quoted field, and a file mixing CRLF and LF', async () => {
  const { rows } = await csv('lf.csv', 'a,b\n1,"x\r\ny"\n2,z\n');
  assert.deepEqual(rows, [{ a: '1', b: 'x\r\ny' }, { a: '2', b: 'z' }]);
  const mixed = await csv('mixed.csv', 'a,b\r\n1,x\n2,"y"\r\n3,z');
  assert.deepEqual(mixed.rows, [{ a: '1', b: 'x' }, { a: '2', b: 'y' }, { a: '3', b: 'z' }]);
});

test('a UTF-8 BOM is not part of the first column name', async () => {
  const { rows } = await csv('bom.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Name,N\nann,1\n')]));
  assert.deepEqual(rows, [{ Name: 'ann', N: '1' }]);
});

test('ragged records are kept: nulls for missing columns, extra fields in _extra, each logged with its line', async () => {
  const { rows, logs } = await csv('ragged.csv', 'a,b,c\n1,"two\nlines",3\n4\n5,6,7,8,9\n');
  assert.deepEqual(rows, [{ a: '1', b: 'two\nlines', c: '3' }, { a: '4', b: null, c: null }, { a: '5', b: '6', c: '7', _extra: ['8', '9'] }]);
  assert.deepEqual(logs.filter((l) => l.startsWith('warn')), ['warn: parse_csv: line 4: 1 fields, the header has 3', 'warn: parse_csv: line 5: 5 fields, the header has 3']);
});

test('an unterminated quote only costs its own line', async () => {
  const { rows, logs } = await csv('quote.csv', 'a,b\n1,"oops\n2,x\n3,"y"\n');
  assert.deepEqual(rows, [{ a: '1', b: '"oops' }, { a: '2', b: 'x' }, { a: '3', b: 'y' }]);
  assert.ok(logs.includes('warn: parse_csv: line 2: malformed quotes: the line was read with its quotes as plain text'));
});

test("the collector's day files: parse_csv gives the same cells the store's strict reader reads", async () => {
  const rows = [
    new VDict([['_ts', 1704067200], ['Name', '123'], ['Args', new VDict([['cmd', 'a "b"\r\nc']])], ['When', VTime.fromMillis(1704067200500)], ['Ok', true], ['Note', ' lead']]),
    new VDict([['_ts', 1704067201.25], ['Name', 'x,y'], ['Args', [1, 'two']], ['When', null], ['Ok', false], ['Note', 'two\r\nlines']]),
  ];
  const path = join(dir, '2024-01-01.csv');
  await writeFile(path, headerLine([...rows[0]!.map.keys()]) + rowLines(rows));
  const strict = JSON.parse(toJSON(await readDayFile(path))) as Array<Record<string, unknown>>;
  const { rows: got, logs } = await query(`SELECT * FROM parse_csv(filename=P)`, { P: path });
  assert.deepEqual(logs.filter((l) => l.startsWith('warn')), []);
  const cells = got.map((r) => JSON.parse(toJSON(new VDict(Object.entries(r).map(([k, v]) => [k, parseCsvCell(v as string)])))) as Record<string, unknown>);
  assert.deepEqual(cells, strict);
  assert.equal(got[0]!.Name, ' 123'); // the protective space is there for parseCsvCell to strip
});
