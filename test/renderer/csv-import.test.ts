// The CSV import end to end in-process: Blob slices -> decoder -> papaparse -> typed columns ->
// the columnar store, through CsvImportJob. Pieces are small so every feature crosses chunk edges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CsvImportJob, type ImportState } from '../../renderer/lib/csv/import-job.ts';
import { InlineWorker, importFiles, importText } from './csv-helpers.ts';

test('column types: epoch seconds and ms (by name), ISO, numbers, booleans, JSON, text; empty columns stay text', async () => {
  const text = '_ts,EventTime,When,Count,Ratio,Ok,Data,Name,Nothing,Size\n' +
    '1704067200,1704067200123,2024-01-01T00:00:00Z,1,0.5,true,"{""a"": 1}",alice,,1704067200\n' +
    '1704067201.5,1704067201000,2024-01-01T00:00:01.5Z,-2,1e3,false,[1],bob,,7\n';
  const { types, rows } = await importText(text);
  assert.deepEqual(types, ['_ts:timestamp', 'EventTime:timestamp', 'When:timestamp', 'Count:number', 'Ratio:number', 'Ok:bool', 'Data:json', 'Name:text', 'Nothing:text', 'Size:number']);
  assert.deepEqual(rows[0], [1704067200000, 1704067200123, Date.UTC(2024, 0, 1), 1, 0.5, true, { a: 1 }, 'alice', null, 1704067200]);
  assert.deepEqual(rows[1], [1704067201500, 1704067201000, Date.UTC(2024, 0, 1, 0, 0, 1, 500), -2, 1000, false, [1], 'bob', null, 7]);
});

test('a typed column that meets other text later becomes text with every original text kept', async () => {
  const n = 3000;
  const nums = ['007', '1.50', '-', 'NaN', '', '42', '-0', '1e3', '+5'];
  const isos = ['2024-01-02T03:04:05Z', '2024-01-02T03:04:05.120Z', '2024-01-02T03:04:05+02:00', '2024-01-02T03:04:05.123456789Z', '2024-01-02'];
  const bools = ['True', 'False', 'true', 'FALSE'];
  let text = 'N,T,B,E_ts\n';
  const want: string[][] = [];
  for (let i = 0; i < n; i++) {
    const row = [nums[i % nums.length]!, isos[i % isos.length]!, bools[i % bools.length]!, String(1704067200 + i / 4)];
    if (i === n - 1) row.fill('oops');
    want.push(row);
    text += row.join(',') + '\n';
  }
  const { types, rows } = await importText(text);
  assert.deepEqual(types, ['N:text', 'T:text', 'B:text', 'E_ts:text']);
  assert.deepEqual(rows, want.map((r) => r.map((t) => (t === '' ? null : t))));
});

test('before it meets other text, a typed column shows values, and the texts values cannot hold', async () => {
  const { types, rows } = await importText('N,T\n007,2024-01-02T03:04:05+02:00\n-,-\nNaN,\n2.50,2024-01-02\n');
  assert.deepEqual(types, ['N:number', 'T:timestamp']);
  assert.deepEqual(rows, [[7, Date.UTC(2024, 0, 2, 1, 4, 5)], ['-', '-'], ['NaN', null], [2.5, Date.UTC(2024, 0, 2)]]);
});

test('ragged rows are kept and reported by data row and file line; extra fields go to _extra', async () => {
  const text = 'a,b,c\n1,"multi\nline",3\n4,5\n6,7,8,9,"x,y"\n10,11,12\n13,"bad,14\n15,16,17\n';
  const { types, rows, state } = await importText(text);
  assert.deepEqual(types, ['a:number', 'b:text', 'c:number', '_extra:text']);
  assert.deepEqual(rows, [
    [1, 'multi\nline', 3, null], [4, '5', null, null], [6, '7', 8, '9,"x,y"'], [10, '11', 12, null], [13, '"bad', 14, null], [15, '16', 17, null],
  ]);
  assert.deepEqual(state.problems.map((p) => [p.row, p.line, p.tableRow, p.kind, p.file]), [
    [2, 4, 1, 'short', 'data.csv'], [3, 5, 2, 'long', 'data.csv'], [5, 7, 4, 'quote', 'data.csv'],
  ]);
  assert.match(state.problems[0]!.message, /2 of 3 fields/);
  assert.match(state.problems[1]!.message, /5 fields, the header has 3: the extra 2 kept in _extra/);
  assert.match(state.problems[2]!.message, /malformed quotes/);
  assert.equal(state.problemCount, 3);
});

test('UTF-8 BOM, UTF-16 with BOM, CRLF, tab and semicolon files, sep= line', async () => {
  const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('Name,N\r\nzoë,1\r\n')]);
  assert.deepEqual((await importFiles([{ name: 'b.csv', data: bom }])).rows, [['zoë', 1]]);
  assert.deepEqual((await importFiles([{ name: 'b.csv', data: bom }])).types, ['Name:text', 'N:number']);
  const le = new Uint8Array([0xff, 0xfe, ...Array.from('a\tb\r\nx\t2\r\n').flatMap((c) => [c.charCodeAt(0), 0])]);
  const u16 = await importFiles([{ name: 'excel.txt', data: le }]);
  assert.deepEqual([u16.types, u16.rows, u16.state.files[0]!.delimiter], [['a:text', 'b:number'], [['x', 2]], '\t']);
  const semi = await importText('sep=;\na;b\n1,5;x\n2;3;4\n');
  assert.deepEqual(semi.rows, [['1,5', 'x', null], ['2', '3', '4']]);
  assert.deepEqual(semi.state.problems.map((p) => [p.row, p.line]), [[2, 4]]);
});

test("Velociraptor's cells: protective spaces, JSON values, RFC 3339 times, 2018 JSON-quoted cells and '-'", async () => {
  const ours = '_ts,Pid,Name,Args,Start\n1704067200," 12"," true","{\n ""a"": [1]\n}",2024-01-01T00:00:00.5Z\n1704067201," 13",x,[],2024-01-01T00:00:01Z\n';
  const a = await importText(ours);
  assert.deepEqual(a.types, ['_ts:timestamp', 'Pid:number', 'Name:text', 'Args:json', 'Start:timestamp']);
  assert.deepEqual(a.rows, [[1704067200000, 12, 'true', { a: [1] }, Date.UTC(2024, 0, 1, 0, 0, 0, 500)], [1704067201000, 13, 'x', [], Date.UTC(2024, 0, 1, 0, 0, 1)]]);
  const old = 'Timestamp,CPU,Exe\n1544363561.8001275,14.91,"""C:\\\\x.exe"""\n"""2018-11-06T00:40:11Z""",-,-\n';
  const b = await importText(old);
  assert.deepEqual(b.types, ['Timestamp:text', 'CPU:number', 'Exe:text']);
  assert.deepEqual(b.rows, [['1544363561.8001275', 14.91, 'C:\\x.exe'], ['2018-11-06T00:40:11Z', '-', '-']]);
});

test('a folder of daily files is one table in order with a _file column; columns are the union of headers', async () => {
  const { types, rows, state, store } = await importFiles([
    { name: 'day/2024-01-01.csv', data: 'T,N\n2024-01-01T10:00:00Z,1\n2024-01-01T11:00:00Z,2\n' },
    { name: 'day/2024-01-02.csv', data: 'T,N,Extra\n2024-01-02T10:00:00Z,3,x\n2024-01-02T11:00:00Z\n' },
  ]);
  assert.deepEqual(types, ['_file:text', 'T:timestamp', 'N:number', 'Extra:text']);
  assert.deepEqual(rows.map((r) => [r[0], r[2], r[3]]), [['day/2024-01-01.csv', 1, null], ['day/2024-01-01.csv', 2, null], ['day/2024-01-02.csv', 3, 'x'], ['day/2024-01-02.csv', null, null]]);
  assert.deepEqual(state.problems.map((p) => [p.file, p.row, p.line, p.tableRow]), [['day/2024-01-02.csv', 2, 3, 3]]);
  assert.deepEqual(store.files, [{ name: 'day/2024-01-01.csv', firstRow: 0 }, { name: 'day/2024-01-02.csv', firstRow: 2 }]);
});

test('text columns: a dictionary while values repeat, strings once they do not; every value kept', async () => {
  let text = 'Low,High\n';
  for (let i = 0; i < 20000; i++) text += `v${i % 7},u${i}\n`;
  const { store, rows } = await importText(text, { read: 1 << 16, piece: 8000, first: 2000 });
  assert.equal(rows.length, 20000);
  assert.ok(rows.every((r, i) => r[0] === `v${i % 7}` && r[1] === `u${i}`));
  assert.deepEqual([store.storage(0).rep, store.storage(1).rep], ['dict', 'str']);
});

test('problems keep their row numbers across many chunks', async () => {
  let text = 'id,name,value\n';
  const bad = new Set([3, 1234, 19998]);
  for (let i = 1; i <= 20000; i++) text += bad.has(i) ? `${i},x\n` : `${i},n${i},${i * 2}\n`;
  const { rows, state } = await importText(text);
  assert.equal(rows.length, 20000);
  assert.deepEqual(state.problems.map((p) => [p.row, p.line]), [[3, 4], [1234, 1235], [19998, 19999]]);
  assert.equal(rows[1233]![0], 1234);
});

test('Cancel stops the import and keeps the rows read so far', async () => {
  let text = 'id,name\n';
  for (let i = 0; i < 200000; i++) text += `${i},n${i}\n`;
  const worker = new InlineWorker({ read: 1 << 16, piece: 1 << 14, first: 1 << 12 });
  const final = await new Promise<ImportState>((resolve) => {
    const job: CsvImportJob = new CsvImportJob([{ name: 'big.csv', file: new Blob([text]) }], worker, (state) => {
      if (state.phase === 'running' && state.rows > 0) job.cancel();
      else if (state.phase !== 'running') resolve(state);
    });
  });
  assert.equal(final.phase, 'cancelled');
  assert.ok(worker.terminated);
  assert.ok(final.rows > 0 && final.rows < 200000, `${final.rows} rows kept`);
});
