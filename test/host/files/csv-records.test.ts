// The chunked record reader of VQL's parse_csv() (main/host/files/csv-records.ts): records and
// their file lines whatever the chunking, line ends (a lone CR is data), quoted fields across
// lines (one of 10 MB), and recovery from malformed quotes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordReader } from '../../../main/host/files/csv-records.ts';

interface Read {
  records: string[][];
  lines: number[];
  quote: number[];
}

/** Reads `text` in pieces of `size` characters (Infinity = one piece). */
function read(text: string, size = Infinity, expected = 0, max?: number): Read {
  const r = new RecordReader(',', { maxRecordChars: max });
  r.expectedFields = expected;
  const out: Read = { records: [], lines: [], quote: [] };
  for (let i = 0; i === 0 || i < text.length; i += size) {
    const final = i + size >= text.length;
    const chunk = r.push(text.slice(i, i + size), final);
    for (const q of chunk.quoteProblems) out.quote.push(out.records.length + q.index);
    chunk.records.forEach((rec, k) => {
      out.records.push(rec);
      out.lines.push(chunk.lines ? chunk.lines[k]! : chunk.firstLine + k);
    });
    if (final) break;
  }
  return out;
}

/** The same result at every chunk size from 1 character up. */
function readAllSizes(text: string, expected = 0): Read {
  const whole = read(text, Infinity, expected);
  for (let size = 1; size <= text.length; size++) assert.deepEqual(read(text, size, expected), whole, `chunk size ${size}`);
  return whole;
}

test('records and lines, with a quoted field spanning lines, at every chunk size', () => {
  const text = 'a,b,c\n1,"two\nlines",3\n4,"say ""hi""",6\n7,8,9';
  const r = readAllSizes(text, 3);
  assert.deepEqual(r.records, [['a', 'b', 'c'], ['1', 'two\nlines', '3'], ['4', 'say "hi"', '6'], ['7', '8', '9']]);
  assert.deepEqual(r.lines, [1, 2, 4, 5]);
  assert.deepEqual(r.quote, []);
});

test('CRLF, LF and a mix end records; CRLF inside quotes is data; blank lines are skipped but counted', () => {
  const r = readAllSizes('a,b\r\n1,"x\r\ny"\r\n\r\n2,z\n3,"q"\r\n', 2);
  assert.deepEqual(r.records, [['a', 'b'], ['1', 'x\r\ny'], ['2', 'z'], ['3', 'q']]);
  assert.deepEqual(r.lines, [1, 2, 5, 6]);
});

test('an unterminated quote mid-file is re-read as its line alone, and parsing resumes on the next line', () => {
  const text = 'a,b,c\n1,"oops,3\n4,5,6\n7,"x",9\n10,11,12\n';
  const r = readAllSizes(text, 3);
  assert.deepEqual(r.records, [['a', 'b', 'c'], ['1', '"oops', '3'], ['4', '5', '6'], ['7', 'x', '9'], ['10', '11', '12']]);
  assert.deepEqual(r.lines, [1, 2, 3, 4, 5]);
  assert.deepEqual(r.quote, [1]);
});

test('text after a closing quote, and a quote never closed before the end, are reported and kept', () => {
  const r = readAllSizes('a,b\n"x"y,1\n2,3\n4,"never\n', 2);
  assert.deepEqual(r.records, [['a', 'b'], ['"x"y', '1'], ['2', '3'], ['4', '"never']]);
  assert.deepEqual(r.lines, [1, 2, 3, 4]);
  assert.deepEqual(r.quote, [1, 3]);
});

test('a record still open after maxRecordChars is taken as a runaway quote', () => {
  const body = Array.from({ length: 50 }, (_, i) => `${i},x`).join('\n');
  const r = read(`a,b\n1,"open\n${body}\n`, 64, 2, 100);
  assert.equal(r.quote.length, 1);
  assert.deepEqual(r.records[1], ['1', '"open']);
  assert.deepEqual(r.records.at(-1), ['49', 'x']);
  assert.equal(r.records.length, 52);
  assert.equal(r.lines.at(-1), 52);
});

test('ragged rows stay as they are (parse_csv reports them); a last record without newline is read', () => {
  const r = readAllSizes('a,b,c\n1\n2,3,4,5\n6,7,8', 3);
  assert.deepEqual(r.records, [['a', 'b', 'c'], ['1'], ['2', '3', '4', '5'], ['6', '7', '8']]);
  assert.deepEqual(r.quote, []);
});

test('a lone CR in an LF file is data, outside quotes and in; a CR before the closing quote is kept', () => {
  const text = 'a,b\n1,x\ry\n2,"p\rq"\n3,"ends\r"\n4,"crlf\r"\r\n5,plain\r\n6,last\r';
  const want = [['a', 'b'], ['1', 'x\ry'], ['2', 'p\rq'], ['3', 'ends\r'], ['4', 'crlf\r'], ['5', 'plain'], ['6', 'last']];
  for (const chunk of [1, 2, 5, 1000]) assert.deepEqual(read(text, chunk).records, want, `chunk ${chunk}`);
  // A quoted field that ends with the CR of a CRLF written inside the quotes keeps both.
  assert.deepEqual(read('a\n"x\r\n"\n').records, [['a'], ['x\r\n']]);
});

test('a 10 MB quoted field with line breaks, fed in 4 KB pieces, reads back whole, and the lines after it are counted', () => {
  const field = ('0123456789abcdef'.repeat(63) + '\n').repeat(10_000);
  const r = read(`id,blob,tail\n1,"${field}",end\n2,short,end\n`, 4096);
  assert.equal(r.records.length, 3);
  assert.equal(r.records[1]![1], field);
  assert.deepEqual(r.records[2], ['2', 'short', 'end']);
  assert.deepEqual(r.lines, [1, 2, 10_003]);
});
