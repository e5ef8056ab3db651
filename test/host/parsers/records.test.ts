import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { query } from './runner.ts';
import { SCANNED_PATTERNS, regexFinderFor, scanFinderFor, splitN } from '../../../main/host/parsers/splitters.ts';
import { compileRegex } from '../../../main/vql/regex/engine.ts';

let dir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vql-records-'));
  await writeFile(join(dir, 'modules'), 'snd 163840 1 - Live 0x0000000000000000\next4 1003520 2 jbd2,mbcache, Live 0x0\n');
  await writeFile(join(dir, 'headers.txt'), 'Name,Na me,Name,x-y\n1,2,3,4\n5\n');
  await writeFile(join(dir, 'second.txt'), 'a,b,c,d\n');
  await writeFile(join(dir, 'crlf.txt'), 'a b\r\nc d\r\n');
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('split_records: default whitespace columns, generated names, blank lines and leading space', async () => {
  const { rows } = await query(`SELECT * FROM split_records(filenames=' a b\nc d e\n\nx', accessor='data')`);
  assert.deepEqual(rows, [
    { Column0: '', Column1: 'a', Column2: 'b' },
    { Column0: 'c', Column1: 'd', Column2: 'e' },
    { Column0: '', Column1: null, Column2: null },
    { Column0: 'x', Column1: null, Column2: null },
  ]);
});

test('split_records: columns, regex, count (the last item keeps the rest)', async () => {
  const cols = `columns=['Name', 'Size', 'UseCount', 'UsedBy', 'Status', 'Address']`;
  const { rows } = await query(`SELECT * FROM split_records(filenames=D + '/modules', regex='\\\\s+', ${cols})`, { D: dir });
  assert.deepEqual(rows[1], { Name: 'ext4', Size: '1003520', UseCount: '2', UsedBy: 'jbd2,mbcache,', Status: 'Live', Address: '0x0' });
  const { rows: c } = await query(`SELECT * FROM split_records(filenames=D + '/modules', count=2, columns=['Name', 'Rest'])`, { D: dir });
  assert.deepEqual(c[0], { Name: 'snd', Rest: '163840 1 - Live 0x0000000000000000' });
  const { rows: r } = await query(`SELECT * FROM split_records(filenames='a1b22c', accessor='data', regex='[0-9]+')`);
  assert.deepEqual(r, [{ Column0: 'a', Column1: 'b', Column2: 'c' }]);
  // A record with more items than columns: the extra ones are dropped (the split's array is
  // the row's values, cut to the columns), in both paths; a short one gets NULLs.
  for (const R of ['\\n', '(?:\\n)']) {
    const { rows: long } = await query(`SELECT * FROM split_records(filenames='a b c d\ne\nf g h', accessor='data', columns=['x', 'y'], record_regex=R)`, { R });
    assert.deepEqual(long, [{ x: 'a', y: 'b' }, { x: 'e', y: null }, { x: 'f', y: 'g' }], R);
    const { rows: gen } = await query(`SELECT * FROM split_records(filenames='a b\nc d e f\ng', accessor='data', record_regex=R)`, { R });
    assert.deepEqual(gen, [{ Column0: 'a', Column1: 'b' }, { Column0: 'c', Column1: 'd' }, { Column0: 'g', Column1: null }], R);
  }
});

test('split_records: first_row_is_headers numbers repeats and sanitises; names persist across files', async () => {
  const { rows } = await query(`SELECT * FROM split_records(filenames=[D + '/headers.txt', D + '/second.txt'], regex=',', first_row_is_headers=true)`, { D: dir });
  assert.deepEqual(rows, [
    { Name: '1', Na_me: '2', Name1: '3', x_y: '4' },
    { Name: '5', Na_me: null, Name1: null, x_y: null },
    // The second file's first line is data: the names were decided by the first file.
    { Name: 'a', Na_me: 'b', Name1: 'c', x_y: 'd' },
  ]);
});

test('split_records: record_regex, CRLF kept (a trailing empty item), buffer_size cuts long records', async () => {
  const { rows } = await query(`SELECT * FROM split_records(filenames='a,b;c,d;', accessor='data', record_regex=';', regex=',')`);
  assert.deepEqual(rows, [{ Column0: 'a', Column1: 'b' }, { Column0: 'c', Column1: 'd' }]);
  const { rows: crlf } = await query(`SELECT * FROM split_records(filenames=D + '/crlf.txt')`, { D: dir });
  assert.deepEqual(crlf, [{ Column0: 'a', Column1: 'b', Column2: '' }, { Column0: 'c', Column1: 'd', Column2: '' }]);
  const { rows: cut } = await query(`SELECT * FROM split_records(filenames='abcdefghij\nxy', accessor='data', buffer_size=4, columns='L')`);
  assert.deepEqual(cut.map((r) => r.L), ['abcd', 'efgh', 'ij', 'xy']);
});

test('split_records: a large file streams in chunks; records across chunk edges are whole', async () => {
  // Lines of varying length so that records straddle the 256 KiB read chunks.
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < 3 * 1024 * 1024; i++) {
    const l = `${i} ${'x'.repeat(i % 97)} é${i % 7}`;
    lines.push(l);
    size += l.length + 1;
  }
  await writeFile(join(dir, 'big.txt'), lines.join('\n') + '\n');
  const { rows } = await query(`SELECT count() AS N, sum(item=len(list=Column1)) AS L FROM split_records(filenames=D + '/big.txt') GROUP BY 1`, { D: dir });
  // len() of a string counts UTF-8 bytes.
  const expectedL = lines.reduce((s, l) => s + Buffer.byteLength(l.split(/ +/)[1]!), 0);
  assert.deepEqual(rows, [{ N: lines.length, L: expectedL }]);
  const { rows: last } = await query(`SELECT * FROM split_records(filenames=D + '/big.txt') WHERE Column0 = '${lines.length - 1}'`, { D: dir });
  const parts = lines[lines.length - 1]!.split(/ +/);
  // The first record ("0  é0") has two items: every row has two columns.
  assert.deepEqual(last, [{ Column0: parts[0], Column1: parts[1] }]);
});

test('split_records: a bad regex is logged (naming the argument), a missing file is skipped', async () => {
  const bad = await query(`SELECT * FROM split_records(filenames='a b', accessor='data', regex='(')`);
  assert.deepEqual(bad.rows, []);
  assert.ok(bad.logs.some((l) => l.includes('split_records: argument regex') && l.includes('missing closing )')), bad.logs.join('\n'));
  const badRecord = await query(`SELECT * FROM split_records(filenames='a b', accessor='data', record_regex='[')`);
  assert.ok(badRecord.logs.some((l) => l.includes('argument record_regex')), badRecord.logs.join('\n'));
  const missing = await query(`SELECT * FROM split_records(filenames=[D + '/none', D + '/second.txt'], regex=',')`, { D: dir });
  assert.deepEqual(missing.rows, [{ Column0: 'a', Column1: 'b', Column2: 'c', Column3: 'd' }]);
  assert.ok(missing.logs.some((l) => l.includes(`split_records: filenames=${join(dir, 'none')}: no such file`)), missing.logs.join('\n'));
  // A directory (Linux.Sys.Crontab globs them) is a warning, not an error, and the next file is read.
  const directory = await query(`SELECT * FROM split_records(filenames=[D, D + '/second.txt'], regex=',')`, { D: dir });
  assert.equal(directory.rows.length, 1);
  assert.ok(directory.logs.some((l) => l.startsWith('warn: ') && l.includes(`filenames=${dir}: is a directory`)), directory.logs.join('\n'));
  const empty = await query(`SELECT * FROM split_records(filenames='abc', accessor='data', record_regex='x*')`);
  assert.ok(empty.logs.some((l) => l.includes('matches the empty string')), empty.logs.join('\n'));
});

test('split_records: the scanned separators split exactly as the RE2 engine does', () => {
  const alphabet = ['a', 'b', ' ', '\t', '\n', '\r', '\f', '\v', ',', ';', ':', '|', '\0', 'é', '\u00a0', '\u2028', '😀'];
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (const pattern of SCANNED_PATTERNS) {
    const scan = scanFinderFor(pattern);
    const re2 = regexFinderFor(compileRegex(pattern, false));
    for (let k = 0; k < 300; k++) {
      let s = '';
      const len = rand(12);
      for (let i = 0; i < len; i++) s += alphabet[rand(alphabet.length)];
      for (const n of [-1, 1, 2, 3]) {
        assert.deepEqual(splitN(scan, s, n), splitN(re2, s, n), `pattern ${pattern} on ${JSON.stringify(s)} n=${n}`);
      }
    }
  }
});

test('parse_records_with_regex: named groups pre-set, unnamed as gN, regexes in order, case-insensitive', async () => {
  // The first regex that matches anywhere wins: "other=x" is skipped while key= matches later.
  const regexes = `regex=['key=(?P<V>\\\\d)', '(\\\\w+)=(?P<W>x)']`;
  const { rows } = await query(`SELECT * FROM parse_records_with_regex(file='KEY=1 other=x\nkey=2 more=x', accessor='data', ${regexes})`);
  assert.deepEqual(rows.map((r) => ({ ...r, FullPath: undefined })), [
    { FullPath: undefined, V: '1', W: '' },
    { FullPath: undefined, V: '2', W: '' },
    { FullPath: undefined, V: '', W: 'x', g1: 'more' },
  ]);
});

test('parse_records_with_regex: ^ anchors at the file start, (?m)^ at line starts (not where the last match ended)', async () => {
  const file = `file='a1\na2\nb3 a4\na5\n', accessor='data'`;
  assert.deepEqual((await query(`SELECT N FROM parse_records_with_regex(${file}, regex='^a(?P<N>\\\\d)')`)).rows, [{ N: '1' }]);
  assert.deepEqual((await query(`SELECT N FROM parse_records_with_regex(${file}, regex='(?m)^a(?P<N>\\\\d)')`)).rows, [{ N: '1' }, { N: '2' }, { N: '5' }]);
});

test('parse_records_with_regex: /proc/mounts as Linux.Mounts reads it (ground truth)', { skip: !existsSync('/proc/mounts') && 'no /proc/mounts here' }, async () => {
  const { rows } = await query(`SELECT Device, Mount, FSType, Opts FROM parse_records_with_regex(file='/proc/mounts', regex='(?m)^(?P<Device>[^ ]+) (?P<Mount>[^ ]+) (?P<FSType>[^ ]+) (?P<Opts>[^ ]+)')`);
  const expected = (await readFile('/proc/mounts', 'utf8')).split('\n').filter((l) => l).map((l) => {
    const [Device, Mount, FSType, Opts] = l.split(' ');
    return { Device, Mount, FSType, Opts };
  });
  assert.deepEqual(rows, expected);
});

test('parse_records_with_regex: records across window edges are found; buffer_size bounds a record', async () => {
  const records: string[] = [];
  let size = 0;
  for (let i = 0; size < 2 * 1024 * 1024; i++) {
    const r = `Package: p${i}\nVersion: ${i}.${'0'.repeat(i % 300)}\n\n`;
    records.push(r);
    size += r.length;
  }
  await writeFile(join(dir, 'status'), records.join(''));
  const { rows } = await query(`SELECT count() AS N FROM parse_records_with_regex(file=D + '/status', regex='(?sm)^(?P<Record>Package:.+?)\\n\\n') GROUP BY 1`, { D: dir });
  assert.deepEqual(rows, [{ N: records.length }]);
  const long = `<${'x'.repeat(100)}>`;
  const small = await query(`SELECT * FROM parse_records_with_regex(file=T, accessor='data', buffer_size=10, regex='<(?P<X>x+)>')`, { T: long });
  assert.equal(small.rows.length, 0);
  const dflt = await query(`SELECT X FROM parse_records_with_regex(file=T, accessor='data', regex='<(?P<X>x+)>')`, { T: long });
  assert.deepEqual(dflt.rows, [{ X: 'x'.repeat(100) }]);
});

test('parse_records_with_regex: ^ matches at the file start and (?m)^ at line starts only, not where a refill starts the window', async () => {
  // 400 KB with no line break: many refills, each starting at the last match's end or at a
  // kept tail; none is the start of the file or of a line.
  const T = 'a1' + 'a5'.repeat(200_000) + '\nb c\n';
  for (const R of ['^a(?P<N>\\d)', '(?m)^a(?P<N>\\d)', '(?:^a(?P<N>\\d))']) {
    const { rows } = await query(`SELECT N FROM parse_records_with_regex(file=T, accessor='data', regex=R)`, { T, R });
    assert.deepEqual(rows, [{ N: '1' }], R);
  }
  const { rows } = await query(`SELECT N FROM parse_records_with_regex(file=T, accessor='data', regex='(?m)^(?P<N>[^ ]+) ')`, { T });
  assert.deepEqual(rows, [{ N: 'b' }]);
});

test('parse_records_with_regex: a bad regex and a missing file are logged; the query goes on', async () => {
  const bad = await query(`SELECT * FROM parse_records_with_regex(file='x', accessor='data', regex=['a', '(b'])`);
  assert.deepEqual(bad.rows, []);
  assert.ok(bad.logs.some((l) => l.includes('parse_records_with_regex: argument regex') && l.includes('(b')), bad.logs.join('\n'));
  const missing = await query(`SELECT FullPath, Line FROM parse_records_with_regex(file=[D + '/none', D + '/second.txt'], regex='(?P<Line>.+)')`, { D: dir });
  assert.deepEqual(missing.rows, [{ FullPath: join(dir, 'second.txt'), Line: 'a,b,c,d' }]);
  assert.ok(missing.logs.some((l) => l.includes(`parse_records_with_regex: file=${join(dir, 'none')}: no such file`)), missing.logs.join('\n'));
});
