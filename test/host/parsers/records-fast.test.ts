// The fast paths of split_records and parse_records_with_regex give the general paths' rows:
// generated files with CRLF, empty lines, a last line without a newline, multi-byte characters
// across read-chunk edges, invalid UTF-8 and records across window edges. Also the chunked
// UTF-8 decoder against a streaming TextDecoder, and the shared-column rows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { query } from './runner.ts';
import { ChunkDecoder } from '../../../main/host/parsers/common.ts';
import { prng } from '../../helpers/prng.ts';

let dir = '';
const rnd = prng(7_12_2026);
const int = (n: number) => Math.floor(rnd() * n);
const pick = <T>(a: readonly T[]): T => a[int(a.length)]!;

/** About `size` bytes of lines: tokens, runs of blanks, CRLF, empty lines, multi-byte and invalid UTF-8. */
function textFile(size: number, tokens: readonly string[], last: 'newline' | 'none'): Buffer {
  const parts: Buffer[] = [];
  let n = 0;
  while (n < size) {
    let line = '';
    for (let i = int(9); i > 0; i--) line += pick(tokens);
    const bytes = [Buffer.from(line)];
    if (rnd() < 0.05) bytes.push(Buffer.from(pick([[0xff], [0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xed, 0xa0, 0x80]])));
    bytes.push(Buffer.from(pick(['\n', '\n', '\n', '\r\n', '\n\n'])));
    const b = Buffer.concat(bytes);
    parts.push(b);
    n += b.length;
  }
  let out = Buffer.concat(parts);
  if (last === 'none') out = out.subarray(0, out.length - 1);
  return out;
}

const SPLIT_TOKENS = ['ab', 'x', ' ', '  ', '\t', 'é', '😀', '\r', ',', ',,', 'k1', '\u00a0', '\f', '0x', 'ünï'];
const MOUNT_TOKENS = ['/dev/sda1 ', '/mnt/p ', 'ext4 ', 'rw,relatime ', '0 ', ' ', 'é', '😀', 'x', '\t', 'none'];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vql-records-fast-'));
  // Over 256 KiB (split_records' read size) and 64 KiB (parse_records_with_regex's buffer).
  await writeFile(join(dir, 'split-1.txt'), textFile(320_000, SPLIT_TOKENS, 'newline'));
  await writeFile(join(dir, 'split-2.txt'), textFile(280_000, SPLIT_TOKENS, 'none'));
  await writeFile(join(dir, 'mounts-1.txt'), textFile(300_000, MOUNT_TOKENS, 'newline'));
  await writeFile(join(dir, 'mounts-2.txt'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), textFile(200_000, MOUNT_TOKENS, 'none')]));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Go's Split(s, -1) by [\t\n\f\r ]+ (the reference for the default columns). */
function goFields(s: string): string[] {
  if (s === '') return [''];
  return s.split(/[\t\n\f\r ]+/);
}

test('split_records: the default path gives the lines of the decoded file split as Go splits them', async () => {
  for (const name of ['split-1.txt', 'split-2.txt']) {
    const F = join(dir, name);
    const { rows } = await query(`SELECT * FROM split_records(filenames=F)`, { F });
    let text = new TextDecoder().decode(await import('node:fs').then((fs) => fs.readFileSync(F)));
    if (text.endsWith('\n')) text = text.slice(0, -1);
    const lines = text.split('\n');
    const width = goFields(lines[0]!).length;
    assert.equal(rows.length, lines.length, name);
    lines.forEach((line, i) => {
      const items = goFields(line);
      const want: Record<string, unknown> = {};
      for (let c = 0; c < width; c++) want[`Column${c}`] = c < items.length ? items[c] : null;
      assert.deepEqual(rows[i], want, `${name} line ${i}: ${JSON.stringify(line)}`);
    });
  }
});

/** `plugin(file=F, arg=A_arg...)` with the arguments passed as variables (no VQL escaping). */
async function run(plugin: string, fileArg: string, F: string, args: Record<string, unknown>) {
  const list = Object.keys(args).map((k) => `, ${k}=A_${k}`).join('');
  const vars = Object.fromEntries(Object.entries(args).map(([k, v]) => [`A_${k}`, v]));
  return query(`SELECT * FROM ${plugin}(${fileArg}=F${list})`, { F, ...vars });
}

test('split_records: the one-character fast path and the general (searched) path give the same rows', async () => {
  // The general path is taken by a pattern outside the scanned table: a group around it.
  const general = { record_regex: '(?:\\n)', regex: '(?:\\s+)' };
  const cases: Array<[Record<string, unknown>, Record<string, unknown>]> = [
    [{}, general],
    [{ count: 3 }, { ...general, count: 3 }],
    [{ regex: ',' }, { ...general, regex: '(?:,)' }],
    [{ regex: '\\t', columns: ['a', 'b', 'a'] }, { ...general, regex: '(?:\\t)', columns: ['a', 'b', 'a'] }],
    [{ buffer_size: 50 }, { ...general, buffer_size: 50 }],
    [{ buffer_size: 7, count: 2 }, { ...general, buffer_size: 7, count: 2 }],
    [{ first_row_is_headers: true, regex: ' ' }, { ...general, first_row_is_headers: true, regex: '(?: )' }],
    [{ record_regex: ',', regex: '\\s' }, { record_regex: '(?:,)', regex: '(?:\\s)' }],
  ];
  for (const name of ['split-1.txt', 'split-2.txt']) {
    // The second file (no newline at its end) with the defaults and with cut records.
    for (const [fast, slow] of name === 'split-1.txt' ? cases : [cases[0]!, cases[5]!]) {
      const F = join(dir, name);
      const a = await run('split_records', 'filenames', F, fast);
      const b = await run('split_records', 'filenames', F, slow);
      assert.ok(a.rows.length > 100, `${name} ${JSON.stringify(fast)}: ${a.rows.length} rows`);
      assert.deepEqual(a.rows, b.rows, `${name}: ${JSON.stringify(fast)} vs ${JSON.stringify(slow)}`);
    }
  }
});

/**
 * The records of a whole text as split_records defines them, whatever its window: up to the next
 * `sep` if that lies within `bufferSize` characters, else `bufferSize` characters, and the
 * rest of the file as the last record.
 */
function modelRecords(text: string, sep: string, bufferSize: number): string[] {
  const out: string[] = [];
  for (let pos = 0; pos < text.length; ) {
    const next = text.indexOf(sep, pos);
    if (next >= 0 && next + 1 - pos <= bufferSize) {
      out.push(text.slice(pos, next));
      pos = next + 1;
    } else if (text.length - pos > bufferSize) {
      out.push(text.slice(pos, pos + bufferSize));
      pos += bufferSize;
    } else {
      out.push(text.slice(pos));
      pos = text.length;
    }
  }
  return out;
}

test('split_records: records longer than a read chunk or than buffer_size, in both paths, are cut where the whole text says', async () => {
  // Lengths around the 32 KiB window chunk, the 64 KiB default buffer_size and the 256 KiB
  // read size; two-byte and surrogate-pair characters make the window a two-byte string, and a cut
  // may fall inside a pair (both sides count UTF-16 units). The last line has no newline.
  const lengths = [0, 10, 32_767, 32_768, 32_769, 47_000, 49_152, 3, 60_000, 65_535, 65_536, 65_537, 70_000, 0, 130_000, 5, 200_000, 280_000, 12, 100_000];
  const alphabet = ['a', 'b', ' ', '  ', 'é', '€', '😀', '\t', 'xyz'];
  const lines = lengths.map((n) => {
    let l = '';
    while (l.length < n) l += pick(alphabet);
    return l;
  });
  const text = lines.join('\n');
  const F = join(dir, 'long-lines.txt');
  await writeFile(F, text);
  for (const bufferSize of [65_536, 1000, 50_000, 100_000, 300_000]) {
    const want = modelRecords(text, '\n', bufferSize);
    const extra = bufferSize === 65_536 ? {} : { buffer_size: bufferSize };
    // One column, the record itself (\x00 never occurs); then the default columns.
    for (const record_regex of ['\\n', '(?:\\n)']) {
      const whole = await run('split_records', 'filenames', F, { ...extra, record_regex, regex: '\\x00', columns: ['L'] });
      assert.deepEqual(whole.rows.map((r) => r.L), want, `buffer_size=${bufferSize} record_regex=${record_regex}`);
      const { rows } = await run('split_records', 'filenames', F, { ...extra, record_regex });
      const width = goFields(want[0]!).length;
      assert.equal(rows.length, want.length);
      want.forEach((rec, i) => {
        const items = goFields(rec);
        const row: Record<string, unknown> = {};
        for (let c = 0; c < width; c++) row[`Column${c}`] = c < items.length ? items[c] : null;
        assert.deepEqual(rows[i], row, `buffer_size=${bufferSize} record_regex=${record_regex} record ${i}`);
      });
    }
  }
});

test('split_records: repeated column names keep one column each, where it first appears, with the last value', async () => {
  const { rows } = await query(`SELECT * FROM split_records(filenames='1 2 3\n4', accessor='data', columns=['a', 'b', 'a'])`);
  assert.deepEqual(rows, [{ a: '3', b: '2' }, { a: null, b: null }]);
  assert.deepEqual(Object.keys(rows[0]!), ['a', 'b']);
  const { rows: picked } = await query(`SELECT b, a FROM split_records(filenames='1 2 3', accessor='data', columns=['a', 'b', 'a'])`);
  assert.deepEqual(picked, [{ b: '2', a: '3' }]);
});

test('parse_records_with_regex: the native searches and re2js give the same rows (window edges, CRLF, short lines)', async () => {
  const patterns: Array<[string, string]> = [
    // The line class (Linux.Mounts), and the same pattern in a group, which keeps it on re2js.
    ['(?m)^(?P<Device>[^ ]+) (?P<Mount>[^ ]+) (?P<FSType>[^ ]+) (?P<Opts>[^ ]+)', '(?m)(?:^(?P<Device>[^ ]+) (?P<Mount>[^ ]+) (?P<FSType>[^ ]+) (?P<Opts>[^ ]+))'],
    ['(?m)^(?P<A>[^ \\t]+)\\t?', '(?m)(?:^(?P<A>[^ \\t]+)\\t?)'],
    // The runs-end class (strings carving, client ids).
    ['(?P<Strings>[ -~]+)', '(?:(?P<Strings>[ -~]+))'],
    ['(?P<Id>x[0-9a-z-]+)', '(?:(?P<Id>x[0-9a-z-]+))'],
  ];
  for (const name of ['mounts-1.txt', 'mounts-2.txt']) {
    for (const [fast, general] of patterns) {
      for (const size of [0, 4096]) {
        const F = join(dir, name);
        const extra = size ? { buffer_size: size } : {};
        const a = await run('parse_records_with_regex', 'file', F, { regex: fast, ...extra });
        const b = await run('parse_records_with_regex', 'file', F, { regex: general, ...extra });
        assert.ok(a.rows.length > 100, `${name} ${fast}: ${a.rows.length} rows`);
        assert.deepEqual(a.rows, b.rows, `${name}: ${fast}${size}`);
      }
    }
  }
});

test('parse_records_with_regex: records across the 32 KiB read chunks, up to buffer_size long, multi-byte, are those of the whole text; ^ anchors at the file start only', async () => {
  // Lines around the 32 KiB window chunk and the 64 KiB default buffer_size, each no longer than
  // the buffer_size used, of one- and two-byte characters and surrogate pairs (the window is then
  // a two-byte string). The rows must be those of a search over the whole text: the window's
  // edges and starts (each refill) must not show, neither in a match nor in where ^ matches.
  const base = [0, 10, 32_767, 32_768, 32_769, 47_000, 49_152, 3, 60_000, 65_535, 65_536, 5, 12, 40_000, 999, 1000, 1, 64, 65_000];
  const alphabet = ['a', 'b', ' ', 'é', '€', '😀', '\t', 'xyz', '/dev/sda1'];
  const line = (n: number) => {
    let l = '';
    while (l.length < n) l += pick(alphabet);
    return l.slice(0, n).replace(/[\ud800-\udbff]$/, 'q');
  };
  // Each pattern: native (one of record-subset.ts's classes or not), re2js (in a group), and the
  // same search by V8 over the whole text.
  const patterns: Array<[string, string, RegExp]> = [
    ['(?P<L>[^\n]+)', '(?:(?P<L>[^\n]+))', /[^\n]+/gu],
    ['(?m)^(?P<L>[^ \n]+) ', '(?m)(?:^(?P<L>[^ \n]+) )', /^([^ \n]+) /gmu],
    ['^(?P<L>[^\n]+)', '(?:^(?P<L>[^\n]+))', /^[^\n]+/gu],
    ['(?P<L>[^ \n]+)$', '(?:(?P<L>[^ \n]+)$)', /[^ \n]+$/gu],
  ];
  for (const bufferSize of [65_536, 50_000, 1000]) {
    const lengths = [...base.filter((n) => n <= bufferSize), ...(bufferSize < 32_768 ? Array.from({ length: 300 }, () => int(bufferSize + 1)) : [])];
    const text = ['first line', ...lengths.map(line)].join('\n');
    const F = join(dir, `chunks-${bufferSize}.txt`);
    await writeFile(F, text);
    const extra = bufferSize === 65_536 ? {} : { buffer_size: bufferSize };
    for (const [fast, general, js] of patterns) {
      const want: string[] = [];
      js.lastIndex = 0;
      for (let m; (m = js.exec(text)); ) want.push(m[1] ?? m[0]);
      for (const regex of [fast, general]) {
        const { rows } = await run('parse_records_with_regex', 'file', F, { regex, ...extra });
        const got = rows.map((r) => r.L as string);
        assert.equal(got.length, want.length, `buffer_size=${bufferSize} ${regex}`);
        got.forEach((g, i) => assert.ok(g === want[i], `buffer_size=${bufferSize} ${regex} row ${i}: ${g.length} vs ${want[i]!.length} characters`));
      }
    }
  }
});

test('parse_records_with_regex: an unnamed group is a column only when it took part (rows stay dicts there)', async () => {
  const { rows } = await query(`SELECT * FROM parse_records_with_regex(file='a=1 b c=2', accessor='data', regex='(?P<K>[a-z])(=[0-9])?')`);
  assert.deepEqual(rows.map((r) => ({ ...r, FullPath: undefined })), [
    { FullPath: undefined, K: 'a', g2: '=1' },
    { FullPath: undefined, K: 'b' },
    { FullPath: undefined, K: 'c', g2: '=2' },
  ]);
});

test('the chunked UTF-8 decoder gives a streaming TextDecoder\'s text, whatever the chunk edges', () => {
  const pieces = [[0x41], [0x0a], [0xef, 0xbb, 0xbf], [0xc3, 0xa9], [0xe2, 0x82, 0xac], [0xf0, 0x9f, 0x98, 0x80], [0x80], [0xbf], [0xc0], [0xc1, 0x80], [0xe0, 0x80], [0xe0, 0xa0], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf5], [0xff], [0xe2], [0xf0, 0x9f], [0xf0, 0x9f, 0x98], [0xef], [0xef, 0xbb]];
  for (let k = 0; k < 30_000; k++) {
    const bytes = Uint8Array.from(Array.from({ length: int(8) }, () => pick(pieces)).flat());
    const want = new TextDecoder().decode(bytes);
    const d = new ChunkDecoder();
    let got = '';
    for (let o = 0; o < bytes.length; ) {
      const c = 1 + int(5);
      got += d.decode(bytes.subarray(o, o + c));
      o += c;
    }
    got += d.finish();
    assert.equal(got, want, JSON.stringify([...bytes]));
  }
});

test('parse_records_with_regex: after an empty match the search steps over a whole character', async () => {
  // Before: a search from the middle of 😀 (a surrogate pair) found an extra empty match there,
  // and V8's search from there went back to the pair's start, over and over.
  for (const R of ['(?P<x>[a-z]*)', '(?:(?P<x>[a-z]*))']) {
    const { rows } = await query(`SELECT x FROM parse_records_with_regex(file=T, accessor='data', regex=R) LIMIT 10`, { T: 'a😀b😀', R });
    assert.deepEqual(rows, [{ x: 'a' }, { x: '' }, { x: 'b' }, { x: '' }], R);
  }
});
