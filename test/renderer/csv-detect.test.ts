// Sniffing a CSV file's delimiter, Excel's sep= line, bare-CR line ends and its encoding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectDelimiter, encodingOf, sepLine, usesBareCR } from '../../renderer/lib/csv/detect.ts';

test('detectDelimiter picks the delimiter that splits the records consistently', () => {
  assert.equal(detectDelimiter('a,b,c\n1,2,3\n4,5,6\n'), ',');
  assert.equal(detectDelimiter('a\tb\tc\n1\t2,5\t3\n'), '\t');
  assert.equal(detectDelimiter('Name;Value\nx;1,5\ny;2,25\n'), ';'); // European decimals
  assert.equal(detectDelimiter('a|b\n"x|y"|1\n2|3\n'), '|');
  assert.equal(detectDelimiter('a,b;c\n1,2;3\n'), ','); // tie: more fields wins, then the list order
  assert.equal(detectDelimiter('one column\nvalue\n'), ',');
  assert.equal(detectDelimiter('a;b;c\n"1;x"'), ';'); // an unfinished last line is not held against it
  assert.equal(detectDelimiter('t,msg\n1,"a;b;c;d"\n2,"e;f;g;h"\n'), ',');
});

test('sep= line, bare CR line ends, encodings by BOM', () => {
  assert.deepEqual(sepLine('sep=;\r\na;b\n'), { delimiter: ';', length: 7 });
  assert.equal(sepLine('a,b\n'), null);
  assert.ok(usesBareCR('a,b\r1,2\r'));
  assert.ok(!usesBareCR('a,b\r\n1,2\r\n'));
  assert.equal(encodingOf(new Uint8Array([0xff, 0xfe, 0x61, 0])), 'utf-16le');
  assert.equal(encodingOf(new Uint8Array([0xfe, 0xff, 0, 0x61])), 'utf-16be');
  assert.equal(encodingOf(new Uint8Array([0xef, 0xbb, 0xbf, 0x61])), 'utf-8');
});
