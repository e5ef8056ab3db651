// Hostile CSV content, table-driven, through the whole import as the worker runs it (Blob
// pieces -> guard -> decoder -> record reader -> typed columns -> the page's store, via
// CsvImportJob): binary files, lines with no end, huge fields, broken quoting, every line
// ending, byte-order marks, bad UTF-8, formula-like cells. Each ends with a clear refusal
// (what and where: refusals come at the first sign, before the rest is read) or the exact rows,
// delivered while a timer keeps getting turns (the import never holds the thread for the file). VQL's parse_csv shares the record reader: its CR
// cases are checked too. Two heavy cases (a 2 GB sparse file, a 300 MB line) run in
// Chromium in test/e2e/csv-bounds.test.ts; here the sparse file is read through Node's Blob.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, openAsBlob, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CsvImportJob, type ImportState } from '../../renderer/lib/csv/import-job.ts';
import { InlineWorker, importFiles, type Imported } from '../renderer/csv-helpers.ts';
import { query } from '../host/files/query-runner.ts';
import type { Cell } from '../../renderer/lib/table/source.ts';

const TMP = mkdtempSync(join(tmpdir(), 'vql-security-csv-'));
after(() => rmSync(TMP, { recursive: true, force: true }));
const MiB = 2 ** 20;
const enc = (s: string) => new TextEncoder().encode(s);
const utf16le = (s: string) => new Uint8Array([0xff, 0xfe, ...Array.from(s).flatMap((c) => [c.charCodeAt(0) & 0xff, c.charCodeAt(0) >> 8])]);
const utf16be = (s: string) => new Uint8Array([0xfe, 0xff, ...Array.from(s).flatMap((c) => [c.charCodeAt(0) >> 8, c.charCodeAt(0) & 0xff])]);

interface CsvCase {
  readonly name: string;
  readonly data: () => string | Uint8Array;
  /** The import stops with this message (and keeps `rows` rows when given). */
  readonly refused?: RegExp;
  /** The table's rows (cells as the store gives them), or how many. */
  readonly rows?: Cell[][] | number;
  /** Column names (or `name:type`). */
  readonly columns?: readonly string[];
  /** One regex per problem the panel lists, in order. */
  readonly problems?: readonly RegExp[];
}

const GOOD_300 = 'n,s\n' + Array.from({ length: 300 }, (_, i) => `${i},row${i}\n`).join('');
const quotedBig = ('0123456789'.repeat(99) + '\n').repeat(10_000);
const cases: CsvCase[] = [
  // Not text.
  { name: 'a NUL byte at the very start', data: () => new Uint8Array([0, 0x61, 0x2c, 0x62, 0x0a]), refused: /^file data\.csv looks binary: NUL byte at offset 0 \(a text file has none\): it is not a CSV file, so the import stopped there$/ },
  {
    name: 'a NUL byte after 300 good lines: the rows read before it are kept',
    data: () => new Uint8Array([...enc(GOOD_300), 0x00, ...enc('9,x\n')]),
    refused: new RegExp(`NUL byte at offset ${GOOD_300.length} .*; the \\d+ rows before it are kept$`),
  },
  { name: 'a NUL inside a quoted field', data: () => new Uint8Array([...enc('a,b\n1,"x'), 0, ...enc('y"\n')]), refused: /NUL byte at offset 8/ },
  { name: 'a file of NUL bytes after one CSV line', data: () => new Uint8Array([...enc('id,name\n1,x\n'), ...new Uint8Array(3 * MiB)]), refused: /NUL byte at offset 12/ },
  { name: 'random binary without a NUL (not text)', data: () => new Uint8Array(20_000).map((_, i) => 0x80 + ((i * 7919) % 127) + 1), refused: /^file data\.csv does not look like text: \d+ of its first \d+ characters are control characters or invalid UTF-8/ },
  { name: 'a PNG header', data: () => new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), refused: /NUL byte at offset 8/ },
  { name: 'a UTF-16 file with a NUL character', data: () => utf16le('a,b\n1,\0\n'), refused: /NUL byte at offset 14 / },
  // Lines with no end.
  { name: 'no newline at all in 17 MiB', data: () => 'x'.repeat(17 * MiB), refused: /^file data\.csv: line 1 is longer than 16 MiB at byte 16777216 \(it starts at byte 0\): this is not a line-oriented CSV file/ },
  { name: 'a header, then a line of 17 MiB', data: () => 'a,b\n1,' + 'y'.repeat(17 * MiB), refused: /line 2 is longer than 16 MiB at byte 16777220 \(it starts at byte 4\)/ },
  { name: 'a quoted field of 17 MiB with no line break in it', data: () => 'a,b\n1,"' + 'q'.repeat(17 * MiB) + '"\n', refused: /line 2 is longer than 16 MiB/ },
  // Big but fine.
  { name: 'a line just under 16 MiB is read whole', data: () => 'a,b\n1,' + 'z'.repeat(16 * MiB - 8) + '\n', rows: 1, columns: ['a:number', 'b:text'] },
  { name: 'a 10 MB quoted field with 10,000 line breaks', data: () => `id,blob\n1,"${quotedBig}"\n2,b\n`, rows: [[1, quotedBig], [2, 'b']] },
  { name: 'a 10 MB unquoted field', data: () => `id,blob\n1,${'u'.repeat(10 * MiB)}\n`, rows: [[1, 'u'.repeat(10 * MiB)]] },
  { name: 'a million doubled quotes in one field', data: () => `a\n"${'""'.repeat(MiB)}"\n`, rows: [['"'.repeat(MiB)]] },
  { name: '2,000 columns', data: () => Array.from({ length: 2000 }, (_, i) => `c${i}`).join(',') + '\n' + Array.from({ length: 2000 }, (_, i) => i).join(',') + '\n', rows: 1 },
  // Quoting.
  { name: 'a quote never closed mid-file: its line alone is read as text, reported', data: () => 'a,b\n1,"open\n2,ok\n', rows: [[1, '"open'], [2, 'ok']], problems: [/row 1 .*malformed quotes/] },
  { name: 'a quote never closed before the end', data: () => 'a,b\n1,x\n2,"never', rows: [[1, 'x'], [2, '"never']], problems: [/malformed quotes/] },
  { name: 'text after a closing quote', data: () => 'a,b\n1,"x"y\n2,z\n', rows: [[1, '"x"y'], [2, 'z']], problems: [/malformed quotes/] },
  { name: 'a header of quotes only', data: () => '"""",""""""\n1,2\n', columns: ['":number', '"":number'], rows: [[1, 2]] },
  // Line endings.
  { name: 'CRLF, LF and CRLF mixed in one file', data: () => 'a,b\r\n1,x\n2,y\r\n3,"z\r\nw"\n', rows: [[1, 'x'], [2, 'y'], [3, 'z\r\nw']] },
  { name: 'a lone CR outside quotes in an LF file is data, not a new record', data: () => 'a,b\n1,x\ry\n2,z\n', rows: [[1, 'x\ry'], [2, 'z']] },
  { name: 'a lone CR inside quotes is data', data: () => 'a,b\n1,"x\ry"\n', rows: [[1, 'x\ry']] },
  { name: 'a CR just before the closing quote is data', data: () => 'a,b\n1,"x\r"\n2,"y\r"\r\n', rows: [[1, 'x\r'], [2, 'y\r']] },
  { name: 'an LF file whose first line (with a CR in it) is longer than the first piece', data: () => `a,b\r${'c'.repeat(3000)}\n1,2\n`, columns: ['a', `b\r${'c'.repeat(3000)}`], rows: [[1, 2]] },
  { name: 'a classic Mac file (CR only)', data: () => 'a,b\r1,x\r2,y\r', rows: [[1, 'x'], [2, 'y']] },
  { name: 'a file of nothing but 100,000 line feeds', data: () => '\n'.repeat(100_000), rows: 0 },
  { name: 'an empty file', data: () => '', rows: 0, columns: [] },
  // Encodings.
  { name: 'a UTF-8 BOM is not part of the first column name', data: () => new Uint8Array([0xef, 0xbb, 0xbf, ...enc('Name,N\nann,1\n')]), columns: ['Name:text', 'N:number'], rows: [['ann', 1]] },
  { name: 'UTF-16 LE with its BOM', data: () => utf16le('Name,Città\nann,Roma\n'), columns: ['Name:text', 'Città:text'], rows: [['ann', 'Roma']] },
  { name: 'UTF-16 BE with its BOM', data: () => utf16be('Name,N\nbob,2\n'), rows: [['bob', 2]] },
  { name: 'Latin-1 bytes (invalid UTF-8) become U+FFFD and the file is read', data: () => new Uint8Array([...enc('name,city\nJos'), 0xe9, ...enc(',Montr'), 0xe9, ...enc('al\n')]), rows: [['Jos\ufffd', 'Montr\ufffdal']] },
  { name: 'a UTF-8 sequence cut between pieces is decoded whole', data: () => 'a\n' + 'é'.repeat(2000) + '\n', rows: [['é'.repeat(2000)]] },
  // Cells a spreadsheet would run: kept as the text they are.
  {
    name: 'formula-like cells are plain text',
    data: () => 'f,g\n"=cmd|\' /C calc\'!A0",+SUM(1;2)\n@SUM(A1),-2+3\n"=HYPERLINK(""http://x"")",=1+1\n',
    columns: ['f:text', 'g:text'],
    rows: [["=cmd|' /C calc'!A0", '+SUM(1;2)'], ['@SUM(A1)', '-2+3'], ['=HYPERLINK("http://x")', '=1+1']],
  },
  { name: 'terminal escape sequences are kept, not interpreted', data: () => 'msg\n\x1b[31mred\x1b[0m\n\x1b]0;title\x07\n', rows: [['\x1b[31mred\x1b[0m'], ['\x1b]0;title\x07']] },
];

interface Run extends Imported {
  turns: number;
}

/** Imports `data` as data.csv with small pieces (every edge crossed), counting the timer's turns. */
async function run(data: string | Uint8Array): Promise<Run> {
  let turns = 0;
  let ticking = true;
  const tick = () => {
    if (!ticking) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  const sizes = typeof data === 'string' ? data.length : data.length;
  // Small pieces for small files; big files in big pieces (the worker's sizes) to keep the test quick.
  const pieces = sizes < 100_000 ? { read: 4096, piece: 1000, first: 300 } : undefined;
  try {
    return { ...(await importFiles([{ name: 'data.csv', data }], pieces)), turns };
  } finally {
    ticking = false;
  }
}

test(`at least 30 hostile CSV files (${cases.length})`, () => assert.ok(cases.length >= 30));

for (const c of cases) {
  test(`hostile CSV: ${c.name}`, async () => {
    const r = await run(c.data());
    const { state } = r;
    if (c.refused) {
      assert.equal(state.phase, 'failed', `expected a refusal, got ${state.phase} with ${state.rows} rows`);
      assert.match(state.error!, c.refused);
      return;
    }
    {
      assert.equal(state.phase, 'done', state.error);
      if (typeof c.rows === 'number') assert.equal(state.rows, c.rows);
      else if (c.rows) assert.deepEqual(r.rows, c.rows);
      if (c.columns) assert.deepEqual(c.columns.every((x) => x.includes(':')) ? r.types : r.types.map((t) => t.slice(0, t.lastIndexOf(':'))), c.columns);
      assert.equal(state.problems.length, c.problems?.length ?? 0, JSON.stringify(state.problems.slice(0, 3)));
      c.problems?.forEach((p, i) => assert.match(`row ${state.problems[i]!.row} (line ${state.problems[i]!.line}) ${state.problems[i]!.message}`, p));
    }
    // The rows reached the page in messages of their own: the thread ran other work in between.
    assert.ok(r.turns > 0, 'the timer had no turn while the file was read');
  });
}

test('hostile CSV: a 2 GB sparse file (truncate -s 2G) read through a real file Blob is refused at byte 0', async () => {
  const path = join(TMP, 'sparse.csv');
  writeFileSync(path, '');
  truncateSync(path, 2 * 2 ** 30);
  const blob = await openAsBlob(path);
  const state = await new Promise<ImportState>((resolve) => {
    const job: CsvImportJob = new CsvImportJob([{ file: blob, name: 'sparse.csv' }], new InlineWorker(), (s) => {
      if (s.phase !== 'running') resolve(s);
    });
    void job;
  });
  assert.equal(state.phase, 'failed');
  assert.equal(state.error, 'file sparse.csv looks binary: NUL byte at offset 0 (a text file has none): it is not a CSV file, so the import stopped there');
  assert.equal(state.bytesDone, 0);
});

const parseCsvCases: Array<[string, string, Array<Record<string, unknown>>]> = [
  ['a lone CR outside quotes in an LF file', 'a,b\n1,x\ry\n2,z\n', [{ a: '1', b: 'x\ry' }, { a: '2', b: 'z' }]],
  ['a lone CR inside quotes', 'a,b\n1,"x\ry"\n', [{ a: '1', b: 'x\ry' }]],
  ['a CR just before the closing quote', 'a,b\n1,"x\r"\n2,"y\r"\r\n3,z\r\n', [{ a: '1', b: 'x\r' }, { a: '2', b: 'y\r' }, { a: '3', b: 'z' }]],
];
for (const [name, text, rows] of parseCsvCases) {
  test(`hostile CSV in VQL parse_csv(): ${name}`, async () => {
    const file = join(TMP, `parse-${name.replace(/\W+/g, '-')}.csv`);
    writeFileSync(file, text);
    const r = await query('SELECT * FROM parse_csv(filename=F)', { F: file });
    assert.deepEqual(r.rows, rows);
  });
}
