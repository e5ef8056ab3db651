import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { query, value } from './query-runner.ts';

let dir = '';
const big = Buffer.alloc(3 * 1024 * 1024 + 17, 0x61);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vql-read-'));
  await writeFile(join(dir, 'hello.txt'), 'hello world\n');
  await writeFile(join(dir, 'big.bin'), big);
  await writeFile(join(dir, 'lines.txt'), 'one\r\ntwo\n\nthree');
  await writeFile(join(dir, 'rows.jsonl'), '{"A":1,"B":"x"}\n\n[1]\n{"A":2.5}\n{"A":\n');
  // A multi-byte character straddles papaparse's chunk edge only if decoding is done there:
  // make the file larger than one 1 MiB read chunk.
  const filler = 'é'.repeat(600_000);
  await writeFile(join(dir, 'data.csv'), `Name,Note\nann,"a, b"\nbob,${filler}\n# comment\nzed\n`);
  await writeFile(join(dir, 'semi.csv'), 'x;y\n1;2\n');
  await writeFile(join(dir, 'doc.yaml'), 'b: 1\na: [x, 2.5]\n');
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('read_file(): file, data and scope accessors; offset and length', async () => {
  const vars = { D: dir, Secret: 'from scope' };
  assert.equal(await value(`read_file(filename=D + '/hello.txt')`, vars), 'hello world\n');
  assert.equal(await value(`read_file(filename=D + '/hello.txt', offset=6, length=5)`, vars), 'world');
  assert.equal(await value(`read_file(accessor='data', filename='inline')`, vars), 'inline');
  assert.equal(await value(`read_file(accessor='scope', filename='Secret')`, vars), 'from scope');
  // A member of a variable, as Generic.Detection.Yara.Glob uploads a hit's String.Data.
  assert.equal(await value(`read_file(accessor='scope', filename='Hit.String.Data')`, { Hit: { String: { Data: 'the match' } } }), 'the match');
  assert.equal(await value(`read_file(accessor='scope', filename='Hit.String.Nope')`, { Hit: { String: { Data: 'x' } } }), '');
  assert.equal(await value(`len(list=read_file(filename=D + '/big.bin'))`, vars), 4 * 1024 * 1024 > big.length ? big.length : 4 * 1024 * 1024);
  const { rows, logs } = await query(`SELECT read_file(filename=D + '/none') AS X, read_file(accessor='bogus', filename='x') AS Y FROM scope()`, vars);
  assert.deepEqual(rows, [{ X: '', Y: null }]);
  assert.ok(logs.some((l) => l.includes('unknown accessor "bogus"')));
});

test('read_file plugin: chunks with offsets; max_length', async () => {
  const { rows } = await query(`SELECT len(list=Data) AS L, Offset, Filename.Basename AS F FROM read_file(filenames=D + '/big.bin', chunk=1048576)`, { D: dir });
  assert.deepEqual(rows.map((r) => r.Offset), [0, 1048576, 2097152, 3145728]);
  assert.equal(rows[3]!.L, 17);
  assert.equal(rows[0]!.F, 'big.bin');
  const { rows: m } = await query(`SELECT Data FROM read_file(filenames=[D + '/hello.txt'], chunk=4, max_length=6)`, { D: dir });
  assert.deepEqual(m.map((r) => r.Data), ['hell', 'o ']);
});

test('hash(): streaming MD5/SHA1/SHA256 and hashselect', async () => {
  const h = (await value(`hash(path=D + '/big.bin')`, { D: dir })) as Record<string, string>;
  for (const [k, algo] of [['MD5', 'md5'], ['SHA1', 'sha1'], ['SHA256', 'sha256']] as const) {
    assert.equal(h[k], createHash(algo).update(big).digest('hex'));
  }
  assert.deepEqual(await value(`hash(path='abc', accessor='data', hashselect='SHA1')`), {
    MD5: '', SHA1: 'a9993e364706816aba3e25717850c26c9cd0d89d', SHA256: '',
  });
  assert.equal(await value(`hash(path=D + '/none')`, { D: dir }), null);
});

test('sparse accessor: ranges of a delegate, zeros between', async () => {
  const { rows } = await query(`
    LET F <= pathspec(path_type='pathspec', DelegateAccessor='data', DelegatePath='0123456789abcdef', Path=[dict(Offset=2, Length=3), dict(Offset=8, Length=2)])
    SELECT format(format='%x', args=read_file(accessor='sparse', filename=F)) AS H FROM scope()`);
  assert.deepEqual(rows, [{ H: '00003233340000003839' }]);
});

test('parse_lines and parse_jsonl', async () => {
  const { rows } = await query(`SELECT Line FROM parse_lines(filename=D + '/lines.txt')`, { D: dir });
  assert.deepEqual(rows.map((r) => r.Line), ['one', 'two', '', 'three']);
  const { rows: j } = await query(`SELECT * FROM parse_jsonl(filename=D + '/rows.jsonl')`, { D: dir });
  assert.deepEqual(j, [{ A: 1, B: 'x' }, { A: 2.5 }]);
});

test('parse_csv: header row, quotes, comments, multi-byte text across chunks, separators, auto_headers', async () => {
  const { rows } = await query(`SELECT Name, len(list=Note) AS L, Note FROM parse_csv(filename=D + '/data.csv', comment='#')`, { D: dir });
  assert.equal(rows.length, 3);
  assert.deepEqual(rows[0], { Name: 'ann', L: 4, Note: 'a, b' });
  assert.equal(rows[1]!.L, 1_200_000);
  assert.equal(rows[1]!.Note, 'é'.repeat(600_000));
  assert.deepEqual(rows[2], { Name: 'zed', L: 0, Note: null });
  const { rows: s } = await query(`SELECT * FROM parse_csv(filename=D + '/semi.csv', separator=';')`, { D: dir });
  assert.deepEqual(s, [{ x: '1', y: '2' }]);
  const { rows: a } = await query(`SELECT * FROM parse_csv(accessor='data', filename='1,2\n3,4', auto_headers=TRUE)`);
  assert.deepEqual(a, [{ Col0: '1', Col1: '2' }, { Col0: '3', Col1: '4' }]);
  const { rows: crlf } = await query(`SELECT * FROM parse_csv(accessor='data', filename='a,b\r\n1,"x\r\ny"\r\n')`);
  assert.deepEqual(crlf, [{ a: '1', b: 'x\r\ny' }]);
  const { rows: lim } = await query(`SELECT * FROM parse_csv(filename=D + '/data.csv') LIMIT 1`, { D: dir });
  assert.equal(lim.length, 1);
});

test('parse_json, parse_json_array (function and plugin), parse_yaml', async () => {
  assert.deepEqual(await value(`parse_json(data='{"b": 1, "a": [2.5, null]}')`), { b: 1, a: [2.5, null] });
  const { rows, logs } = await query(`SELECT parse_json(data='{bad') AS X FROM scope()`);
  assert.deepEqual(rows, [{ X: null }]);
  assert.ok(logs.some((l) => l.startsWith('warn: parse_json')));
  assert.deepEqual(await value(`parse_json_array(data='[1, "two"]')`), [1, 'two']);
  assert.equal(await value(`parse_json_array(data='{}')`), null);
  const { rows: p } = await query(`SELECT * FROM parse_json_array(data='[{"A": 1}, 2]')`);
  assert.deepEqual(p, [{ A: 1 }, { _value: 2 }]);
  assert.deepEqual(await value(`parse_yaml(filename=D + '/doc.yaml')`, { D: dir }), { b: 1, a: ['x', 2.5] });
});

test('a NULL or empty path names no file: it is not the working directory', async () => {
  const { rows, logs } = await query(`SELECT hash(path=NULL) AS H, read_file(filename='') AS R FROM scope()`);
  assert.deepEqual(rows, [{ H: null, R: '' }]);
  assert.ok(logs.some((l) => /path is empty/.test(l)), logs.join('\n'));
  assert.ok(!logs.some((l) => /EISDIR/.test(l)), 'nothing tried to read the working directory');
});
