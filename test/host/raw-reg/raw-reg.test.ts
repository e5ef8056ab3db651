/**
 * The raw_reg accessor and read_reg_key over real hive files: hives written by hivex
 * (`hivexregedit --merge`, Debian's libwin-hivex-perl) from a .reg text, checked against that
 * text and against hivex's own reading (`hivexregedit --export`); hives with the structures
 * hivex does not write (lf, li and ri subkey lists, big data, UTF-16 names) from the test's
 * writer (hive-builder.ts), also checked against hivex; Velociraptor's Windows.Registry.RecentDocs
 * over an NTUSER-like hive; and damaged hives. No mocks.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collect, toJSON } from '../../../main/vql/index.ts';
import { createHostRegistry } from '../../../main/host/index.ts';
import { Repository, installArtifactPlugins } from '../../../main/artifacts/index.ts';
import { DEFAULT_TIME, REG, buildHive, emptyHive, type BuildKey } from './hive-builder.ts';

let dir = '';
const HIVEX = spawnSync('sh', ['-c', 'command -v hivexregedit'], { stdio: 'ignore' }).status === 0;
const NO_HIVEX = 'libhivex-bin / libwin-hivex-perl not installed (hivexregedit): apt-get install -y libhivex-bin libwin-hivex-perl';

interface Result {
  rows: Array<Record<string, unknown>>;
  logs: string[];
}

async function query(text: string, vars: Record<string, unknown> = {}): Promise<Result> {
  const logs: string[] = [];
  const rows = await collect(text, { registry: createHostRegistry(), vars, log: (l, m) => logs.push(`${l}: ${m}`) });
  return { rows: JSON.parse(toJSON(rows)) as Array<Record<string, unknown>>, logs };
}

// ---------------------------------------------------------------------------------------------
// The .reg text hivex writes a hive from.

interface RegValue {
  name: string;
  type: number;
  data: Uint8Array;
}

const utf16z = (s: string) => new Uint8Array(Buffer.from(s + '\0', 'utf16le'));
const BIG = Uint8Array.from({ length: 20_000 }, (_, i) => (i * 7 + 3) & 0xff);

/** The values of \Software\Test: every type hivex writes. */
const TEST_VALUES: RegValue[] = [
  { name: '', type: 1, data: utf16z('the default') },
  { name: 'sz', type: 1, data: utf16z('hello world') },
  { name: 'expand', type: 2, data: utf16z('%SystemRoot%\\system32') },
  { name: 'bin', type: 3, data: Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01]) },
  { name: 'dword', type: 4, data: REG.dword(0xdeadbeef) },
  { name: 'dwordbe', type: 5, data: REG.dwordBE(258) },
  { name: 'link', type: 6, data: new Uint8Array(Buffer.from('\\Registry\\Machine\\Software', 'utf16le')) },
  { name: 'multi', type: 7, data: REG.multi(['one', 'two', 'three']) },
  { name: 'reslist', type: 8, data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]) },
  { name: 'qword', type: 11, data: REG.qword(0x0102030405060708n) },
  { name: 'qwordbig', type: 11, data: REG.qword(0xfffffffffffffffen) },
  { name: 'none', type: 0, data: Uint8Array.from([9, 8, 7]) },
  { name: 'unknown', type: 0xffff0001, data: Uint8Array.from([1, 2, 3]) },
  { name: 'empty', type: 3, data: new Uint8Array(0) },
  { name: 'tiny', type: 3, data: Uint8Array.from([0x41, 0x42]) },
  { name: 'big', type: 3, data: BIG },
  { name: 'a/b', type: 4, data: REG.dword(7) },
];

/** The decoded values expected (as JSON) for TEST_VALUES, by listed name. */
const DECODED: Record<string, [string, unknown]> = {
  '@': ['SZ', 'the default'],
  sz: ['SZ', 'hello world'],
  expand: ['EXPAND_SZ', '%SystemRoot%\\system32'],
  dword: ['DWORD', 0xdeadbeef],
  dwordbe: ['DWORD_BIG_ENDIAN', 258],
  link: ['LINK', '\\Registry\\Machine\\Software'],
  multi: ['MULTI_SZ', ['one', 'two', 'three']],
  qword: ['QWORD', 0x0102030405060708],
  qwordbig: ['QWORD', 18446744073709551614n],
  empty: ['BINARY', ''],
  tiny: ['BINARY', 'AB'],
  'a/b': ['DWORD', 7],
  reslist: ['RESOURCE_LIST', null],
  bin: ['BINARY', null],
  none: ['NONE', null],
  unknown: ['UNKNOWN', null],
  big: ['BINARY', null],
};

const MANY = 300;
const NONASCII_KEY = 'Ünïcöde € 日本';
const NONASCII_VALUE = 'näme';

function hexList(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(',');
}
function regName(name: string): string {
  return name === '' ? '@' : `"${name.replace(/[\\"]/g, (c) => '\\' + c)}"`;
}

/** The .reg text (hivex reads it as UTF-8). */
function regText(): string {
  const out = ['Windows Registry Editor Version 5.00', '', '[\\Software]', '', '[\\Software\\Test]'];
  for (const v of TEST_VALUES) out.push(`${regName(v.name)}=hex(${v.type.toString(16)}):${hexList(v.data)}`);
  // The plain forms too.
  out.push('"plain"="plain text"', '"plaindword"=dword:0000002a', '');
  out.push(`[\\Software\\${NONASCII_KEY}]`, `"${NONASCII_VALUE}"=hex(1):${hexList(utf16z('välue €'))}`, '');
  out.push('[\\Software\\Many]', '');
  for (let i = 0; i < MANY; i++) out.push(`[\\Software\\Many\\Key${String(i).padStart(4, '0')}]`, `"n"=dword:${i.toString(16).padStart(8, '0')}`, '');
  return out.join('\n') + '\n';
}

/** What `hivexregedit --export` says: key path → value name → {type, bytes}. */
type Export = Map<string, Map<string, { type: number; data: Buffer }>>;

function hivexExport(file: string): Export {
  const r = spawnSync('hivexregedit', ['--export', file, '\\'], { maxBuffer: 256 << 20 });
  assert.equal(r.status, 0, r.stderr.toString());
  const out: Export = new Map();
  let cur: Map<string, { type: number; data: Buffer }> | undefined;
  // Perl prints a line holding characters past U+00FF as UTF-8, other lines as Latin-1.
  const lines: string[] = [];
  let start = 0;
  const buf = r.stdout;
  for (let i = 0; i <= buf.length; i++) {
    if (i === buf.length || buf[i] === 0x0a) {
      const line = buf.subarray(start, i);
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(line);
      } catch {
        text = line.toString('latin1');
      }
      lines.push(text);
      start = i + 1;
    }
  }
  for (const line of lines) {
    const key = /^\[\\(.*)\]$/.exec(line);
    if (key) {
      out.set(key[1]!, (cur = new Map()));
      continue;
    }
    const m = /^(@|"((?:[^"\\]|\\.)*)")=(?:dword:([0-9a-f]{8})|hex\(([0-9a-f]+)\):(.*))$/.exec(line);
    if (!m || !cur) continue;
    const name = m[1] === '@' ? '' : m[2]!.replace(/\\(.)/g, '$1');
    if (m[3] !== undefined) cur.set(name, { type: 4, data: Buffer.from(REG.dword(parseInt(m[3], 16))) });
    else cur.set(name, { type: parseInt(m[4]!, 16), data: Buffer.from(m[5]!.replace(/,/g, ''), 'hex') });
  }
  return out;
}

const files = { hivex: '', built: '', ntuser: '' };

/** The builder's hive: the structures hivex does not write. */
const BUILT: BuildKey = {
  name: 'ROOT',
  subkeys: [
    { name: 'RiList', list: 'ri', riChunk: 7, subkeys: Array.from({ length: 50 }, (_, i) => ({ name: `S${String(i).padStart(2, '0')}`, values: [{ name: 'i', type: 4, data: REG.dword(i) }] })) },
    { name: 'LiList', list: 'li', subkeys: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] },
    { name: 'LfList', list: 'lf', subkeys: [{ name: 'x' }, { name: 'y' }] },
    {
      name: 'Wide Ключ', utf16Name: true, lastWrite: DEFAULT_TIME + 10_000_000n * 3600n,
      values: [
        { name: 'Значение', type: 1, data: REG.sz('текст') },
        { name: 'Latin', type: 1, data: REG.sz('x'), utf16Name: true },
        { name: 'big', type: 3, data: Uint8Array.from({ length: 40_000 }, (_, i) => i % 251) },
        { name: '', type: 4, data: REG.dword(5) },
      ],
    },
  ],
};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'raw-reg-'));
  files.built = join(dir, 'built.hive');
  await writeFile(files.built, buildHive(BUILT).bytes);
  if (HIVEX) {
    files.hivex = join(dir, 'hivex.hive');
    await writeFile(files.hivex, emptyHive());
    await writeFile(join(dir, 'in.reg'), regText());
    const r = spawnSync('hivexregedit', ['--merge', files.hivex, join(dir, 'in.reg')]);
    assert.equal(r.status, 0, `hivexregedit --merge: ${r.stderr}`);
  }
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The glob rows of a hive, keyed by their key path. */
async function globAll(file: string): Promise<Map<string, Record<string, unknown>>> {
  const { rows, logs } = await query(`SELECT OSPath.Components AS C, Name, IsDir, Size, Mtime, Mode, Data FROM glob(globs='**', root=pathspec(DelegatePath=F), accessor='raw_reg')`, { F: file });
  assert.deepEqual(logs.filter((l) => !l.startsWith('debug')), []);
  return new Map(rows.map((r) => [(r.C as string[]).join('\\'), r]));
}

// ---------------------------------------------------------------------------------------------
// hivex-written hives

test('glob over a hivex-written hive: every key and value of the .reg, with types and decoded data', { skip: HIVEX ? false : NO_HIVEX }, async () => {
  const got = await globAll(files.hivex);
  // Keys are directories with their last-write time.
  const sw = got.get('Software')!;
  assert.equal(sw.IsDir, true);
  assert.equal(sw.Size, 0);
  assert.equal(sw.Mode, 'drwxr-xr-x');
  assert.deepEqual(sw.Data, { type: 'Key' });
  assert.match(String(sw.Mtime), /^\d{4}-\d\d-\d\dT/);
  for (let i = 0; i < MANY; i++) {
    const name = `Key${String(i).padStart(4, '0')}`;
    assert.equal(got.get(`Software\\Many\\${name}`)?.IsDir, true, name);
    assert.deepEqual(got.get(`Software\\Many\\${name}\\n`)?.Data, { type: 'DWORD', data_len: 4, value: i });
  }
  for (const v of TEST_VALUES) {
    const listed = v.name === '' ? '@' : v.name;
    const row = got.get(`Software\\Test\\${listed}`);
    assert.ok(row, listed);
    assert.equal(row.IsDir, false);
    assert.equal(row.Mode, '-rw-r--r--');
    assert.equal(row.Size, v.data.length, listed);
    assert.equal(row.Mtime, got.get('Software\\Test')!.Mtime);
    const [type, value] = DECODED[listed]!;
    const data = row.Data as { type: string; data_len: number; value: unknown };
    assert.equal(data.type, type, listed);
    assert.equal(data.data_len, v.data.length);
    if (value !== null && typeof value !== 'bigint') assert.deepEqual(data.value, value, listed);
  }
  // Past 2^53 a QWORD stays exact and unsigned (as Go's uint64 prints).
  const big = await query(`SELECT str(str=Data.value) AS S FROM glob(globs='Software/Test/qwordbig', root=pathspec(DelegatePath=F), accessor='raw_reg')`, { F: files.hivex });
  assert.equal(big.rows[0]!.S, '18446744073709551614');
  assert.deepEqual(got.get('Software\\Test\\plain')!.Data, { type: 'SZ', data_len: 22, value: 'plain text' });
  assert.deepEqual(got.get('Software\\Test\\plaindword')!.Data, { type: 'DWORD', data_len: 4, value: 42 });
  assert.deepEqual(got.get(`Software\\${NONASCII_KEY}\\${NONASCII_VALUE}`)!.Data, { type: 'SZ', data_len: 16, value: 'välue €' });
  assert.equal(got.size, 1 + 1 + TEST_VALUES.length + 2 + 2 + 1 + MANY * 2);
});

test('read_file and stat over a hivex-written hive give the bytes and types hivex exports', { skip: HIVEX ? false : NO_HIVEX }, async () => {
  const theirs = hivexExport(files.hivex);
  // The same keys.
  const got = await globAll(files.hivex);
  const ourKeys = [...got].filter(([, r]) => r.IsDir).map(([k]) => k).sort();
  assert.deepEqual(ourKeys, [...theirs.keys()].filter((k) => k !== '').sort());
  // Every value's bytes, read through the accessor, and its type.
  const wanted: Array<{ key: string; name: string }> = [];
  for (const [key, values] of theirs) for (const name of values.keys()) wanted.push({ key, name });
  assert.ok(wanted.length >= TEST_VALUES.length + MANY);
  const { rows, logs } = await query(`SELECT K, N, encode(string=read_file(filename=pathspec(DelegatePath=F, Path=K + '\\\\' + N), accessor='raw_reg', length=100000), type='hex') AS Hex,
      stat(filename=pathspec(DelegatePath=F, Path=K + '\\\\' + N), accessor='raw_reg') AS S
    FROM foreach(row=W)`, { F: files.hivex, W: wanted.map((w) => ({ K: w.key, N: w.name === '' ? '@' : w.name.includes('/') ? `"${w.name}"` : w.name })) });
  assert.deepEqual(logs, []);
  const TYPE_NUMBERS: Record<string, number> = { NONE: 0, SZ: 1, EXPAND_SZ: 2, BINARY: 3, DWORD: 4, DWORD_BIG_ENDIAN: 5, LINK: 6, MULTI_SZ: 7, RESOURCE_LIST: 8, QWORD: 11 };
  rows.forEach((r, i) => {
    const { key, name } = wanted[i]!;
    const t = theirs.get(key)!.get(name)!;
    assert.equal(r.Hex, t.data.toString('hex'), `${key}\\${name}`);
    const s = r.S as { Size: number; IsDir: boolean; Data: { type: string } };
    assert.equal(s.Size, t.data.length);
    assert.equal(s.IsDir, false);
    assert.equal(TYPE_NUMBERS[s.Data.type] ?? 'unknown', t.type > 11 ? 'unknown' : t.type, `${key}\\${name}: ${s.Data.type} vs ${t.type}`);
  });
});

test('paths are case-insensitive; a key can be stat()ed but not opened; a missing one is not found', { skip: HIVEX ? false : NO_HIVEX }, async () => {
  const { rows, logs } = await query(`SELECT
      stat(filename=pathspec(DelegatePath=F, Path='/SOFTWARE/test'), accessor='raw_reg').IsDir AS KeyDir,
      stat(filename=pathspec(DelegatePath=F, Path='software\\\\TEST\\\\DWORD'), accessor='raw_reg').Data.value AS Dw,
      read_file(filename=pathspec(DelegatePath=F, Path='Software/Test/@'), accessor='raw_reg') AS Default,
      read_file(filename=pathspec(DelegatePath=F, Path='Software/Test'), accessor='raw_reg') AS KeyRead,
      stat(filename=pathspec(DelegatePath=F, Path='Software/Nope'), accessor='raw_reg') AS Missing
    FROM scope()`, { F: files.hivex });
  assert.equal(rows[0]!.KeyDir, true);
  assert.equal(rows[0]!.Dw, 0xdeadbeef);
  assert.equal(rows[0]!.Default, 'the default'.split('').join('\0') + '\0\0\0');
  assert.equal(rows[0]!.KeyRead, '');
  assert.ok(logs.some((l) => /raw_reg accessor: Software\\Test is a key, not a value/.test(l)), logs.join('\n'));
  assert.ok(logs.some((l) => /Software\\Nope is not in hive/.test(l)), logs.join('\n'));
});

test('parse_binary reads a value through the accessor', { skip: HIVEX ? false : NO_HIVEX }, async () => {
  const { rows, logs } = await query(`SELECT parse_binary(filename=pathspec(DelegatePath=F, Path='Software/Test/qword'), accessor='raw_reg', profile='[]', struct='uint64') AS Q FROM scope()`, { F: files.hivex });
  assert.deepEqual(logs, []);
  assert.equal(rows[0]!.Q, 0x0102030405060708);
});

test('read_reg_key: one row per key, Key then the values as columns', { skip: HIVEX ? false : NO_HIVEX }, async () => {
  const { rows, logs } = await query(`SELECT Key.OSPath.Path AS Path, Key.Name AS Name, Key.IsDir AS IsDir, * FROM read_reg_key(globs='Software\\\\*', root=pathspec(DelegatePath=F), accessor='raw_reg')`, { F: files.hivex });
  assert.deepEqual(logs, []);
  assert.deepEqual(rows.map((r) => r.Path), ['/Software/Many', '/Software/Test', `/Software/${NONASCII_KEY}`]);
  const t = rows[1]!;
  assert.equal(t.Name, 'Test');
  assert.equal(t['@'], 'the default');
  assert.equal(t.sz, 'hello world');
  assert.equal(t.dword, 0xdeadbeef);
  assert.deepEqual(t.multi, ['one', 'two', 'three']);
  assert.equal(t.plaindword, 42);
  assert.equal(typeof t.Key, 'object');
  assert.deepEqual(rows[2]![NONASCII_VALUE], 'välue €');
  // Names are matched whatever their case, as in Velociraptor's case-insensitive row (artifacts write key.Mtime).
  const ci = await query(`SELECT key.Mtime AS M, Key.Mtime AS M2, SZ, get(field='dword') AS G FROM read_reg_key(globs='Software/Test', root=pathspec(DelegatePath=F), accessor='raw_reg')`, { F: files.hivex });
  assert.deepEqual(ci.logs, []);
  assert.equal(ci.rows[0]!.M, ci.rows[0]!.M2);
  assert.match(String(ci.rows[0]!.M), /^\d{4}-/);
  assert.equal(ci.rows[0]!.SZ, 'hello world');
  assert.equal(ci.rows[0]!.G, 0xdeadbeef);
  // Values a glob matches are not rows; keys deeper down are.
  const many = await query(`SELECT Key.Name AS K, n FROM read_reg_key(globs='software/many/*', root=pathspec(DelegatePath=F), accessor='raw_reg') WHERE n > 295`, { F: files.hivex });
  assert.deepEqual(many.rows, [296, 297, 298, 299].map((n) => ({ K: `Key0${n}`, n })));
});

// ---------------------------------------------------------------------------------------------
// The test writer's hives: ri / li / lf lists, big data, UTF-16 names

test('ri, li and lf subkey lists, big data and UTF-16 names read as hivex reads them', async (t) => {
  const got = await globAll(files.built);
  const names = (prefix: string) => [...got.keys()].filter((k) => k.startsWith(prefix + '\\') && k.split('\\').length === prefix.split('\\').length + 1).map((k) => k.slice(prefix.length + 1));
  assert.deepEqual(names('RiList'), Array.from({ length: 50 }, (_, i) => `S${String(i).padStart(2, '0')}`));
  assert.deepEqual(got.get('RiList\\S37\\i')!.Data, { type: 'DWORD', data_len: 4, value: 37 });
  assert.deepEqual(names('LiList'), ['a', 'b', 'c']);
  assert.deepEqual(names('LfList'), ['x', 'y']);
  assert.deepEqual(names('Wide Ключ'), ['@', 'Latin', 'big', 'Значение']);
  assert.equal(got.get('Wide Ключ')!.Mtime, '2024-01-02T04:04:05Z');
  assert.equal(got.get('LfList')!.Mtime, '2024-01-02T03:04:05Z');
  assert.deepEqual(got.get('Wide Ключ\\Значение')!.Data, { type: 'SZ', data_len: 12, value: 'текст' });
  assert.equal(got.get('Wide Ключ\\big')!.Size, 40_000);
  const big = await query(`SELECT encode(string=read_file(filename=pathspec(DelegatePath=F, Path='wide ключ/BIG'), accessor='raw_reg', length=100000), type='hex') AS H FROM scope()`, { F: files.built });
  assert.equal(big.rows[0]!.H, Buffer.from(Uint8Array.from({ length: 40_000 }, (_, i) => i % 251)).toString('hex'));
  if (!HIVEX) {
    t.skip(NO_HIVEX);
    return;
  }
  const theirs = hivexExport(files.built);
  assert.deepEqual([...got].filter(([, r]) => r.IsDir).map(([k]) => k).sort(), [...theirs.keys()].filter((k) => k !== '').sort());
  assert.equal(theirs.get('Wide Ключ')!.get('big')!.data.toString('hex'), big.rows[0]!.H);
  assert.deepEqual([...theirs.get('Wide Ключ')!.keys()].sort(), ['', 'Latin', 'big', 'Значение']);
});

// ---------------------------------------------------------------------------------------------
// Velociraptor's artifact

const CORPUS = fileURLToPath(new URL('../../../../shared/velociraptor-artifacts/', import.meta.url));

/** RecentDocs' MRU values: a name, then a shell item (not read by the artifact). */
function mruItem(name: string): Uint8Array {
  return new Uint8Array(Buffer.concat([Buffer.from(name + '\0', 'utf16le'), Buffer.from([0x14, 0x00, 0x32, 0x00, 0, 0, 0, 0])]));
}
function mruList(order: number[]): Uint8Array {
  const b = Buffer.alloc(order.length * 4 + 4);
  order.forEach((n, i) => b.writeUInt32LE(n, i * 4));
  b.writeUInt32LE(0xffffffff, order.length * 4);
  return new Uint8Array(b);
}

test('Velociraptor\'s Windows.Registry.RecentDocs runs unchanged over an NTUSER.DAT (HiveGlob)', { skip: existsSync(CORPUS) ? false : '../shared/velociraptor-artifacts is absent' }, async () => {
  const nested = (path: string[], leaf: BuildKey): BuildKey => (path.length ? { name: path[0]!, subkeys: [nested(path.slice(1), leaf)] } : leaf);
  const t1 = DEFAULT_TIME + 10_000_000n * 86_400n;
  const recent: BuildKey = {
    name: 'RecentDocs', lastWrite: t1,
    values: [
      { name: 'MRUListEx', type: 3, data: mruList([2, 0, 1]) },
      { name: '0', type: 3, data: mruItem('report.docx') },
      { name: '1', type: 3, data: mruItem('notes.txt') },
      { name: '2', type: 3, data: mruItem('budget.xlsx') },
    ],
    subkeys: [{
      name: '.txt', lastWrite: t1,
      values: [{ name: 'MRUListEx', type: 3, data: mruList([0]) }, { name: '0', type: 3, data: mruItem('notes.txt') }],
    }],
  };
  const ntuser = join(dir, 'NTUSER.DAT');
  await writeFile(ntuser, buildHive({
    name: 'ROOT',
    subkeys: [
      nested(['Software', 'Microsoft', 'Windows', 'CurrentVersion', 'Explorer'], recent),
      { name: 'Environment', values: [{ name: 'TEMP', type: 2, data: REG.sz('%USERPROFILE%\\Temp') }] },
    ],
  }).bytes);
  const registry = createHostRegistry();
  installArtifactPlugins(registry, new Repository({ builtinDir: null, definitions: [join(CORPUS, 'Windows', 'Registry')] }));
  const logs: string[] = [];
  const got = await collect(`SELECT * FROM Artifact.Windows.Registry.RecentDocs(HiveGlob=F)`, { registry, vars: { F: ntuser }, log: (l, m) => logs.push(`${l}: ${m}`) });
  const rows = JSON.parse(toJSON(got)) as Array<Record<string, unknown>>;
  assert.deepEqual(logs.filter((l) => l.startsWith('error') || l.startsWith('warn')), []);
  const byType = new Map(rows.map((r) => [r.Type, r]));
  assert.equal(rows.length, 2, JSON.stringify(rows));
  const top = byType.get('RecentDocs')!;
  // The MRU order, with names (the list's 0xFFFFFFFF end marker dropped by the artifact's
  // substr() over the value's bytes, 4 at a time).
  assert.deepEqual(top.MruEntries, ['2 := budget.xlsx', '0 := report.docx', '1 := notes.txt']);
  // The artifact's Key is OSPath.Path of the MRUListEx value.
  assert.equal(top.Key, '/Software/Microsoft/Windows/CurrentVersion/Explorer/RecentDocs/MRUListEx');
  assert.equal(top.HiveName, ntuser);
  assert.equal(top.LastWriteTime, '2024-01-03T03:04:05Z');
  assert.deepEqual(byType.get('.txt')!.MruEntries, ['0 := notes.txt']);
  assert.equal(byType.get('.txt')!.Key, '/Software/Microsoft/Windows/CurrentVersion/Explorer/RecentDocs/.txt/MRUListEx');
});

// ---------------------------------------------------------------------------------------------
// Bad input

/** Writes `bytes` to a file in the test folder. */
async function file(name: string, bytes: Uint8Array): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, bytes);
  return p;
}

const GLOB = `SELECT OSPath.Path AS P FROM glob(globs='**', root=pathspec(DelegatePath=F), accessor='raw_reg')`;

test('not a hive, a truncated hive: one error naming the accessor and the file, no rows', async () => {
  const notHive = await file('not-a-hive', new Uint8Array(Buffer.from('hello, this is text\n'.repeat(500))));
  let r = await query(GLOB, { F: notHive });
  assert.deepEqual(r.rows, []);
  assert.deepEqual(r.logs.filter((l) => !l.startsWith('debug')), [`error: raw_reg accessor: cannot read hive ${notHive} (for key (root key)): not a registry hive (no "regf" signature)`]);
  const built = buildHive(BUILT);
  const good = built.bytes;
  const truncated = await file('truncated', good.subarray(0, 0x1000 + 0x30));
  r = await query(GLOB, { F: truncated });
  assert.deepEqual(r.rows, []);
  assert.equal(r.logs.filter((l) => l.startsWith('error')).length, 1, r.logs.join('\n'));
  assert.match(r.logs.find((l) => l.startsWith('error'))!, new RegExp(`raw_reg accessor: cannot read hive ${truncated}.*outside the hive`));
  // Cut in the middle (the test writer puts the root's subkey list last): said once, naming the key.
  const half = await file('half', good.subarray(0, Math.floor(good.length / 2)));
  r = await query(GLOB, { F: half });
  assert.deepEqual(r.rows, []);
  assert.deepEqual(r.logs.filter((l) => !l.startsWith('debug')), [`warn: raw_reg accessor: hive ${half} is damaged at key (root key): cell offset 0x${built.lists.get('')!.toString(16)} is outside the hive`]);
  // read_reg_key and stat say it too.
  r = await query(`SELECT * FROM read_reg_key(globs='*', root=pathspec(DelegatePath=F), accessor='raw_reg')`, { F: notHive });
  assert.deepEqual(r.rows, []);
  assert.ok(r.logs.some((l) => /error: raw_reg accessor: cannot read hive .*not a registry hive/.test(l)), r.logs.join('\n'));
});

test('a cell offset outside the hive: an error naming the key; the rest of the glob goes on', async () => {
  const built = buildHive(BUILT);
  const bytes = built.bytes.slice();
  // LiList's subkey list points past the end of the file.
  const nk = built.keys.get('LiList')!;
  new DataView(bytes.buffer).setUint32(0x1000 + nk + 4 + 0x1c, 0x7ffffff0, true);
  const f = await file('outside', bytes);
  const r = await query(GLOB, { F: f });
  const paths = r.rows.map((x) => x.P);
  assert.ok(paths.includes('/LfList/x') && paths.includes('/RiList/S49/i') && paths.includes('/LiList'));
  assert.ok(!paths.includes('/LiList/a'));
  assert.deepEqual(r.logs.filter((l) => l.startsWith('warn')), [`warn: raw_reg accessor: hive ${f} is damaged at key LiList: cell offset 0x7ffffff0 is outside the hive`]);
  // A direct read under it says so too.
  const s = await query(`SELECT * FROM stat(filename=pathspec(DelegatePath=F, Path='LiList/a'), accessor='raw_reg')`, { F: f });
  assert.deepEqual(s.rows, []);
  assert.ok(s.logs.some((l) => /damaged at key LiList\\a: cell offset 0x7ffffff0 is outside/.test(l)), s.logs.join('\n'));
});

test('a subkey list that loops, a key that is its own subkey, an absurd count: errors, no hang', async () => {
  const built = buildHive(BUILT);
  const bytes = built.bytes.slice();
  const view = new DataView(bytes.buffer);
  // RiList's ri index lists itself after its lh lists.
  const ri = built.lists.get('RiList')!;
  const riCount = view.getUint16(0x1000 + ri + 4 + 2, true);
  view.setUint32(0x1000 + ri + 4 + 4 + (riCount - 1) * 4, ri, true);
  // LfList's list points back at the root key's list (an ancestor: a key loop).
  view.setUint32(0x1000 + built.keys.get('LfList')! + 4 + 0x1c, built.lists.get('')!, true);
  view.setUint32(0x1000 + built.keys.get('LfList')! + 4 + 0x14, 4, true);
  // LiList's list claims 65535 entries.
  view.setUint16(0x1000 + built.lists.get('LiList')! + 4 + 2, 0xffff, true);
  const f = await file('loops', bytes);
  const started = Date.now();
  const r = await query(GLOB, { F: f });
  assert.ok(Date.now() - started < 10_000);
  const warns = r.logs.filter((l) => l.startsWith('warn'));
  assert.ok(warns.some((l) => /damaged at key RiList: subkey list at 0x[0-9a-f]+ is referenced twice \(a loop\)/.test(l)), warns.join('\n'));
  assert.ok(warns.some((l) => /damaged at key LiList: subkey list at 0x[0-9a-f]+ claims 65535 entries/.test(l)), warns.join('\n'));
  const paths = r.rows.map((x) => x.P as string);
  // The key loop: LfList lists the root's subkeys again; the walk does not enter a key it is already in.
  assert.ok(paths.includes('/LfList/LfList'), paths.join('\n'));
  assert.ok(!paths.some((p) => p.startsWith('/LfList/LfList/')));
  assert.ok(paths.includes('/Wide Ключ/big'));
});

test('read_reg_key: the registry accessor (the default) is not here: an error pointing to raw_reg', async () => {
  for (const q of [`SELECT * FROM read_reg_key(globs='HKEY_LOCAL_MACHINE\\\\Software\\\\*')`, `SELECT * FROM read_reg_key(globs='*', accessor='registry')`]) {
    const r = await query(q);
    assert.deepEqual(r.rows, []);
    assert.equal(r.logs.length, 1);
    assert.match(r.logs[0]!, /^error: read_reg_key: the registry accessor \(the live Windows registry\) is not available here: read a hive file with accessor="raw_reg"/);
  }
  const r = await query(`SELECT Key.Name AS N, i FROM read_reg_key(globs='RiList/S4?', root=pathspec(DelegatePath=F), accessor='raw_registry')`, { F: files.built });
  assert.deepEqual(r.rows.map((x) => x.i), [40, 41, 42, 43, 44, 45, 46, 47, 48, 49]);
  const none = await query(`SELECT * FROM glob(globs='*', root='/tmp', accessor='raw_reg')`);
  assert.ok(none.logs.some((l) => /names no hive file/.test(l)), none.logs.join('\n'));
});

test('a value whose data is damaged: listed with Data.value null and the error; reading it says so', async () => {
  const built = buildHive(BUILT);
  const bytes = built.bytes.slice();
  const view = new DataView(bytes.buffer);
  // The big value's db record: its segment list points outside the hive.
  const vk = built.values.get('Wide Ключ\\big')!;
  const db = view.getUint32(0x1000 + vk + 4 + 8, true);
  view.setUint32(0x1000 + db + 4 + 4, 0x7ffff000, true);
  const f = await file('bad-value', bytes);
  const r = await query(`SELECT Name, Size, Data FROM glob(globs='Wide*/*', root=pathspec(DelegatePath=F), accessor='raw_reg')`, { F: f });
  assert.deepEqual(r.rows.map((x) => x.Name), ['@', 'Latin', 'big', 'Значение']);
  const big = r.rows[2]!;
  assert.equal(big.Size, 40_000);
  assert.deepEqual(big.Data, { type: 'BINARY', data_len: 40_000, value: null, error: 'cell offset 0x7ffff000 is outside the hive (key Wide Ключ, value big)' });
  assert.deepEqual((r.rows[3]!.Data as { value: unknown }).value, 'текст');
  const rf = await query(`SELECT read_file(filename=pathspec(DelegatePath=F, Path='Wide Ключ/big'), accessor='raw_reg') AS B FROM scope()`, { F: f });
  assert.ok(rf.logs.some((l) => l.includes(`raw_reg accessor: hive ${f} is damaged at key Wide Ключ\\big: cell offset 0x7ffff000 is outside the hive`)), rf.logs.join('\n'));
});
