// The CSV import's guard (guard.ts: NUL bytes, non-text starts, lines over MAX_LINE_BYTES, with
// exact offsets and line numbers across pieces), the line-ending rules of the record reader and
// the importer (a lone CR in an LF file is data, never a record separator; a CR just before a
// closing quote is data), and a long quoted field read back whole across pieces (the reader now
// re-parses it only when the text carried has doubled: 0.2 s here instead of 18 s).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteGuard, CsvRefusal, MAX_LINE_BYTES } from '../../renderer/lib/csv/guard.ts';
import { RecordReader } from '../../renderer/lib/csv/records.ts';
import { CsvImporter } from '../../renderer/lib/csv/importer.ts';
import { importFiles, importText } from './csv-helpers.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

/** Feeds `text` to a guard in pieces of `piece` bytes; the refusal's message, or '' when it passes. */
function guard(data: Uint8Array, piece: number, maxLine?: number, encoding: 'utf-8' | 'utf-16le' = 'utf-8'): string {
  const g = new ByteGuard('f.csv', encoding, maxLine);
  try {
    for (let off = 0; off < data.length; off += piece) g.check(data.subarray(off, off + piece), off);
  } catch (e) {
    assert.ok(e instanceof CsvRefusal);
    return e.message;
  }
  return '';
}

test('the line limit is 16 MiB', () => assert.equal(MAX_LINE_BYTES, 16 * 2 ** 20));

test('a NUL byte is found at its exact offset, in any piece', () => {
  const data = bytes('a,b\n1,2\n3,4\n');
  const withNul = new Uint8Array([...data, 0x35, 0x00, 0x0a]);
  for (const piece of [1, 3, 7, 100]) {
    assert.equal(guard(withNul, piece), 'file f.csv looks binary: NUL byte at offset 13 (a text file has none): it is not a CSV file, so the import stopped there', `piece ${piece}`);
  }
  assert.equal(guard(data, 5), '');
});

test('a line over the limit: its number, where it starts and the byte where it passed the limit, across pieces', () => {
  const text = bytes('h1,h2\n' + 'x'.repeat(10) + '\n' + 'y'.repeat(21) + '\nz\n');
  for (const piece of [1, 4, 9, 64]) {
    assert.equal(guard(text, piece, 20), 'file f.csv: line 3 is longer than 20 bytes at byte 37 (it starts at byte 17): this is not a line-oriented CSV file, so the import stopped there', `piece ${piece}`);
  }
  // Exactly at the limit passes; so does a file with no line break that is not longer.
  assert.equal(guard(bytes('h\n' + 'y'.repeat(20) + '\n'), 3, 20), '');
  assert.equal(guard(bytes('y'.repeat(20)), 6, 20), '');
  assert.match(guard(bytes('y'.repeat(21)), 6, 20), /line 1 is longer than 20 bytes at byte 20 \(it starts at byte 0\)/);
});

test('a classic Mac file (CR only) has its lines counted at CR', () => {
  assert.equal(guard(bytes('a\rb\r' + 'c'.repeat(30) + '\r'), 4, 20).slice(0, 60), 'file f.csv: line 3 is longer than 20 bytes at byte 24 (it st');
  assert.equal(guard(bytes('a\r'.repeat(50)), 7, 20), '');
});

test('a start that is mostly control characters or invalid UTF-8 is not text; a few odd bytes are fine', () => {
  const junk = new Uint8Array(2000).map((_, i) => [0x01, 0x02, 0x80, 0xff, 0x41, 0x42, 0x0a][i % 7]!);
  assert.match(guard(junk, 500), /^file f\.csv does not look like text: \d+ of its first \d+ characters are control characters or invalid UTF-8 \(the first at byte 0\)/);
  const latin1 = new Uint8Array([...bytes('name,city\nJos'), 0xe9, ...bytes(',Montr'), 0xe9, ...bytes('al\n')]);
  assert.equal(guard(latin1, 8), '');
  assert.equal(guard(bytes('\x1b[31mred\x1b[0m,2\n'), 4), '', 'colour escapes in logs are text');
});

test('UTF-16: the zero bytes of ASCII are not NULs; a NUL character is, at its byte offset', async () => {
  assert.equal(guard(new Uint8Array([0xff, 0xfe, 0x61, 0x00, 0x0a, 0x00]), 2, undefined, 'utf-16le'), '');
  const utf16 = (s: string) => new Uint8Array([0xff, 0xfe, ...Array.from(s).flatMap((c) => [c.charCodeAt(0), 0])]);
  const fine = await importFiles([{ name: 'u16.csv', data: utf16('a,b\n1,2\n') }]);
  assert.equal(fine.state.phase, 'done');
  assert.deepEqual(fine.rows, [[1, 2]]);
  const bad = await importFiles([{ name: 'u16.csv', data: utf16('a,b\n1,\0\n') }]);
  assert.equal(bad.state.phase, 'failed');
  // The BOM (2 bytes) and 6 characters (12 bytes) come before the NUL.
  assert.match(bad.state.error!, /^file u16\.csv looks binary: NUL byte at offset 14 /);
});

test('record reader: a lone CR in an LF file is data, outside quotes and in; a CR before the closing quote is kept', () => {
  const read = (text: string, chunk = text.length) => {
    const r = new RecordReader(',');
    const out: string[][] = [];
    for (let i = 0; i < text.length; i += chunk) out.push(...r.push(text.slice(i, i + chunk), i + chunk >= text.length).records);
    if (text.length === 0) out.push(...r.push('', true).records);
    return out;
  };
  const text = 'a,b\n1,x\ry\n2,"p\rq"\n3,"ends\r"\n4,"crlf\r"\r\n5,plain\r\n6,last\r';
  const want = [['a', 'b'], ['1', 'x\ry'], ['2', 'p\rq'], ['3', 'ends\r'], ['4', 'crlf\r'], ['5', 'plain'], ['6', 'last']];
  for (const chunk of [1, 2, 5, 1000]) assert.deepEqual(read(text, chunk), want, `chunk ${chunk}`);
  // A quoted field that ends with the CR of a CRLF written inside the quotes keeps both.
  assert.deepEqual(read('a\n"x\r\n"\n'), [['a'], ['x\r\n']]);
});

test('importer: an LF file whose first line feed comes late is not taken for a CR file because of a CR before it', async () => {
  // The CR sits in the first piece (300 bytes), the first LF far after it.
  const text = `id,note\r${'n'.repeat(5000)},x\n1,2\n`;
  const { types, rows, state } = await importText(text);
  assert.equal(state.phase, 'done');
  assert.deepEqual(types.map((t) => t.split(':')[0]), ['id', `note\r${'n'.repeat(5000)}`, 'x']);
  assert.deepEqual(rows, [[1, 2, null]]);
  // A real classic Mac file is still read by its CRs.
  const mac = await importText('a,b\r1,x\r2,y\r');
  assert.deepEqual(mac.rows, [[1, 'x'], [2, 'y']]);
  // The importer holds the start back until it has an LF (or the file ends).
  const imp = new CsvImporter();
  imp.beginFile('f');
  assert.equal(imp.push('a,b\rc', false), null);
  assert.equal(imp.detected, false);
  imp.push(',d\n1,2\n', false);
  assert.equal(imp.detected, true);
});

test('a 10 MB quoted field with line breaks, fed in 4 KB pieces, reads back whole, and the lines after it are counted', () => {
  const field = ('0123456789abcdef'.repeat(63) + '\n').repeat(10_000);
  const text = `id,blob,tail\n1,"${field}",end\n2,short,end\n`;
  const r = new RecordReader(',');
  const records: string[][] = [];
  const lines: number[] = [];
  for (let i = 0; i < text.length; i += 4096) {
    const c = r.push(text.slice(i, i + 4096), i + 4096 >= text.length);
    c.records.forEach((rec, k) => {
      records.push(rec);
      lines.push(c.lines ? c.lines[k]! : c.firstLine + k);
    });
  }
  assert.equal(records.length, 3);
  assert.equal(records[1]![1], field);
  assert.deepEqual(records[2], ['2', 'short', 'end']);
  assert.deepEqual(lines, [1, 2, 10_003]);
});
