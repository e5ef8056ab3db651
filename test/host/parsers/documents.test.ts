import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, buildBinary } from 'plist';
import { query, value } from './runner.ts';
import { BUILTIN_PATTERN_NAMES, onigurumaToRe2 } from '../../../main/host/parsers/grok.ts';

const { Database } = createRequire(import.meta.url)('node-sqlite3-wasm') as typeof import('node-sqlite3-wasm');

let dir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vql-documents-'));
  const db = new Database(join(dir, 'places.sqlite'));
  db.exec(`CREATE TABLE urls (id INTEGER PRIMARY KEY, url TEXT, visits INTEGER, favicon BLOB, score REAL);
    INSERT INTO urls (url, visits, favicon, score) VALUES ('https://a.example/', 3, x'414243', 1.5), ('https://b.example/', 9007199254740993, x'00ff', NULL)`);
  db.close();
  await writeFile(join(dir, 'corrupt.sqlite'), Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(4000, 0x5a)]));
  await writeFile(join(dir, 'text.sqlite'), 'just text, not a database');
  const doc = { Name: 'app', Count: 3, When: new Date('2023-12-21T15:54:24Z'), Blob: new Uint8Array([0, 1, 2]), List: ['a', 'b'], Nested: { Z: true, A: 1.5 } };
  await writeFile(join(dir, 'info.plist'), build(doc as never));
  await writeFile(join(dir, 'info.bplist'), buildBinary(doc as never));
  await writeFile(join(dir, 'list.bplist'), buildBinary([{ B: 1, A: 2 }] as never));
  await writeFile(join(dir, 'strings.bplist'), buildBinary(['x', 'y'] as never));
  const full = buildBinary(doc as never);
  await writeFile(join(dir, 'truncated.bplist'), full.subarray(0, full.length - 20));
  await writeFile(join(dir, 'task.xml'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<?xml version="1.0" encoding="UTF-16"?><Task><Actions><Exec><Command>cmd.exe</Command></Exec></Actions></Task>', 'utf16le')]));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('sqlite: rows with SQLite\'s column names, args bound to ?, blobs as strings, big integers kept', async () => {
  const { rows, logs } = await query(`SELECT * FROM sqlite(file=F, query='SELECT url, visits, favicon, score, visits > ? AS many FROM urls ORDER BY id', args=[5])`, { F: join(dir, 'places.sqlite') });
  assert.deepEqual(logs, []);
  assert.deepEqual(rows[0], { url: 'https://a.example/', visits: 3, favicon: 'ABC', score: 1.5, many: 0 });
  assert.equal(rows[1]!.url, 'https://b.example/');
  assert.equal(rows[1]!.many, 1);
  // The big integer stays exact in the engine (JSON.parse in the runner rounds it).
  const big = await query(`SELECT str(str=visits) AS V FROM sqlite(file=F, query='SELECT visits FROM urls WHERE id = 2')`, { F: join(dir, 'places.sqlite') });
  assert.deepEqual(big.rows, [{ V: '9007199254740993' }]);
  const one = await query(`SELECT * FROM sqlite(file=F, query='SELECT ? AS x', args='single')`, { F: join(dir, 'places.sqlite') });
  assert.deepEqual(one.rows, [{ x: 'single' }]);
});

test('sqlite: reads a copy (nothing is written beside the database), refuses writes, other accessors', async () => {
  const before = (await readdir(dir)).sort();
  await query(`SELECT * FROM sqlite(file=F, query='SELECT count(*) AS n FROM urls')`, { F: join(dir, 'places.sqlite') });
  assert.deepEqual((await readdir(dir)).sort(), before);
  const write = await query(`SELECT * FROM sqlite(file=F, query='DELETE FROM urls')`, { F: join(dir, 'places.sqlite') });
  assert.ok(write.logs.some((l) => l.includes('readonly')), write.logs.join('\n'));
  assert.deepEqual((await query(`SELECT n FROM sqlite(file=F, query='SELECT count(*) AS n FROM urls')`, { F: join(dir, 'places.sqlite') })).rows, [{ n: 2 }]);
  // accessor=data: the database's bytes as a value.
  const bytes = new Uint8Array(await (await import('node:fs/promises')).readFile(join(dir, 'places.sqlite')));
  assert.deepEqual((await query(`SELECT n FROM sqlite(file=B, accessor='data', query='SELECT count(*) AS n FROM urls')`, { B: bytes })).rows, [{ n: 2 }]);
});

test('sqlite: a WAL database in use (its -wal file not yet checkpointed) is read with its recent rows', async (t) => {
  // The WASM build cannot write a WAL (no shared memory): Python's sqlite3 makes one, and
  // exits without closing so that the rows stay in the -wal file, as in a running browser.
  const path = join(dir, 'wal.sqlite');
  try {
    execFileSync('python3', ['-c', `import sqlite3, os
c = sqlite3.connect(${JSON.stringify(path)})
c.execute('PRAGMA journal_mode=WAL'); c.execute('PRAGMA wal_autocheckpoint=0')
c.execute('CREATE TABLE t (x)'); c.execute('INSERT INTO t VALUES (1), (2), (3)'); c.commit()
os._exit(0)`], { stdio: 'ignore' });
  } catch {
    return t.skip('python3 with sqlite3 is not available to make a WAL database');
  }
  assert.ok(existsSync(path + '-wal'));
  assert.deepEqual((await query(`SELECT n FROM sqlite(file=F, query='SELECT count(*) AS n FROM t')`, { F: path })).rows, [{ n: 3 }]);
});

test('sqlite: corrupt, non-database and missing files and SQL errors are logged with the file', async () => {
  const { rows, logs } = await query(`SELECT * FROM chain(
    a={ SELECT * FROM sqlite(file=D + '/corrupt.sqlite', query='SELECT * FROM sqlite_master') },
    b={ SELECT * FROM sqlite(file=D + '/text.sqlite', query='SELECT 1') },
    c={ SELECT * FROM sqlite(file=D + '/none.sqlite', query='SELECT 1') },
    d={ SELECT * FROM sqlite(file=D + '/places.sqlite', query='SELECT nope FROM urls') },
    e={ SELECT 'still here' AS X FROM scope() })`, { D: dir });
  assert.deepEqual(rows, [{ X: 'still here' }]);
  const has = (s: string) => assert.ok(logs.some((l) => l.includes(s)), `${s}\n${logs.join('\n')}`);
  has(`sqlite: file=${join(dir, 'corrupt.sqlite')}: `);
  has(`sqlite: file=${join(dir, 'text.sqlite')}: not an SQLite database`);
  has(`sqlite: file=${join(dir, 'none.sqlite')}: no such file`);
  has(`sqlite: file=${join(dir, 'places.sqlite')}: query "SELECT nope FROM urls": no such column: nope`);
});

test('plist function: XML and binary give Velociraptor\'s JSON round trip (sorted keys, RFC 3339 dates, base64 data)', async () => {
  const expected = { Blob: 'AAEC', Count: 3, List: ['a', 'b'], Name: 'app', Nested: { A: 1.5, Z: true }, When: '2023-12-21T15:54:24Z' };
  assert.deepEqual(await value(`plist(file=D + '/info.plist')`, { D: dir }), expected);
  assert.deepEqual(await value(`plist(file=D + '/info.bplist')`, { D: dir }), expected);
  // One object in an array collapses to it; an array of strings stays as it is.
  assert.deepEqual(await value(`plist(file=D + '/list.bplist')`, { D: dir }), { A: 2, B: 1 });
  assert.deepEqual(await value(`plist(file=D + '/strings.bplist')`, { D: dir }), ['x', 'y']);
  assert.deepEqual(await value(`plist(file='{ Name = "x"; N = 2; }', accessor='data')`), { N: '2', Name: 'x' });
});

test('plist plugin: one row per file, times stay times and data stays bytes', async () => {
  const { rows } = await query(`SELECT Name, When.Unix AS T, format(format='%x', args=Blob) AS B FROM plist(file=[D + '/info.bplist', D + '/info.plist'])`, { D: dir });
  assert.deepEqual(rows, [{ Name: 'app', T: 1703174064, B: '000102' }, { Name: 'app', T: 1703174064, B: '000102' }]);
  const { rows: other } = await query(`SELECT * FROM plist(file=D + '/strings.bplist')`, { D: dir });
  assert.deepEqual(other, [{ _value: ['x', 'y'] }]);
});

test('plist: truncated, empty and non-plist files are logged naming the file', async () => {
  const { rows, logs } = await query(`SELECT plist(file=D + '/truncated.bplist') AS A, plist(file='', accessor='data') AS B, plist(file='<plist><dict><key>x</dict>', accessor='data') AS C FROM scope()`, { D: dir });
  assert.deepEqual(rows, [{ A: null, B: null, C: null }]);
  const has = (s: string) => assert.ok(logs.some((l) => l.includes(s)), `${s}\n${logs.join('\n')}`);
  has(`plist: file=${join(dir, 'truncated.bplist')}: corrupt or truncated binary plist`);
  has('plist: file=<data: 0 bytes>: the file is empty');
  has('plist: file=<data: 26 bytes>: invalid XML plist: Opening and ending tag mismatch');
  const plugin = await query(`SELECT * FROM plist(file=[D + '/truncated.bplist', D + '/list.bplist'])`, { D: dir });
  assert.deepEqual(plugin.rows, [{ _value: [{ A: 2, B: 1 }] }]);
});

test('parse_xml: Velociraptor\'s shape: Attr prefix, #text, lists for repeats, strings, sorted keys, no namespaces', async () => {
  const xml = `<?xml version="1.0"?><!-- c --><ns:root xmlns:ns="urn:x" id="7"><x>1</x><x> 2 </x><y/><z b="2">t</z><w> hi <q>k</q></w></ns:root>`;
  assert.deepEqual(await value(`parse_xml(file=X, accessor='data')`, { X: xml }), {
    root: { Attrid: '7', w: { '#text': 'hi', q: 'k' }, x: ['1', '2'], y: '', z: { '#text': 't', Attrb: '2' } },
  });
  assert.deepEqual(await value(`parse_xml(file=D + '/task.xml')`, { D: dir }), { Task: { Actions: { Exec: { Command: 'cmd.exe' } } } });
});

test('parse_xml: invalid XML and a missing file are logged with the file, NULL', async () => {
  const { rows, logs } = await query(`SELECT parse_xml(file='<a><b></a>', accessor='data') AS A, parse_xml(file=D + '/none.xml') AS B FROM scope()`, { D: dir });
  assert.deepEqual(rows, [{ A: null, B: null }]);
  assert.ok(logs.some((l) => l.includes("parse_xml: file=<data: 10 bytes>: invalid XML at line 1, column 7: Expected closing tag 'b'")), logs.join('\n'));
  assert.ok(logs.some((l) => l.includes(`parse_xml: file=${join(dir, 'none.xml')}: Unable to open file: no such file`)), logs.join('\n'));
});

const APACHE = '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326';

test('grok: built-in patterns (Velociraptor\'s golden COMMONAPACHELOG), sorted string captures, no match is {}', async () => {
  assert.equal(BUILTIN_PATTERN_NAMES.length, 77);
  assert.deepEqual(await value(`grok(grok='%{COMMONAPACHELOG}', data=L)`, { L: APACHE }), {
    auth: 'frank', bytes: '2326', clientip: '127.0.0.1', httpversion: '1.0', ident: '-', rawrequest: '',
    request: '/apache_pb.gif', response: '200', timestamp: '10/Oct/2000:13:55:36 -0700', verb: 'GET',
  });
  assert.deepEqual(await value(`grok(grok='%{SYSLOGBASE} %{GREEDYDATA:message}', data=S)`, { S: 'Dec 21 15:54:24 host sshd[1234]: Accepted password for bob' }), {
    facility: '', logsource: 'host', message: 'Accepted password for bob', pid: '1234', priority: '', program: 'sshd', timestamp: 'Dec 21 15:54:24',
  });
  assert.deepEqual(await value(`grok(grok='%{INT:n:int}', data='abc')`), {});
  assert.deepEqual(await value(`grok(grok='%{INT:n:int}', data='x 42')`), { n: '42' });
});

test('grok: patterns, all_captures, duplicate and odd names', async () => {
  assert.deepEqual(await value(`grok(grok='%{KEY:k}=%{INT}', data='user=12', patterns=dict(KEY='[a-z]+', Ignored=3))`), { k: 'user' });
  assert.deepEqual(await value(`grok(grok='%{WORD:k}=%{INT}', data='user=12', all_captures=true)`), { INT: '12', k: 'user' });
  assert.deepEqual(await value(`grok(grok='(?:%{INT:v}|%{WORD:v})', data='abc')`), { v: 'abc' });
  assert.deepEqual(await value(`grok(grok='%{WORD:a-b.c}', data='xyz')`), { 'a-b.c': 'xyz' });
});

test('grok: Oniguruma patterns are translated; what RE2 cannot express is reported', async () => {
  assert.equal(onigurumaToRe2('(?>a+)(?<n>b)c*+[+]+\\h'), '(?:a+)(?P<n>b)c*[+]+[0-9a-fA-F]');
  assert.equal(onigurumaToRe2('%{INT}+x{2}+'), '%{INT}+x{2}');
  const { rows, logs } = await query(`SELECT grok(grok='%{X:x}', data='ab', patterns=dict(X='(?<=a)b')) AS A, grok(grok='%{NOPE}', data='x') AS B,
    grok(grok='%{LOOP}', data='x', patterns=dict(LOOP='%{LOOP}')) AS C, grok(grok='(a)\\\\1', data='aa') AS D FROM scope()`);
  assert.deepEqual(rows, [{ A: null, B: null, C: null, D: null }]);
  const has = (s: string) => assert.ok(logs.some((l) => l.includes(s)), `${s}\n${logs.join('\n')}`);
  has('grok: pattern X: lookbehind (?<=...) is not supported by RE2');
  has('grok: unknown pattern %{NOPE}');
  has('grok: pattern %{LOOP} refers to itself');
  has('grok: argument grok: backreference \\1 is not supported by RE2');
});
