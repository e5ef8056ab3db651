// OLE2 compound files (the mscfb accessor) and VBA macros (olevba()), on files made by tools
// that are not ours: libgsf's `gsf createole` writes the compound files, Python's olefile and
// `gsf cat` say what they hold, libgsf's `gsf-vba-dump` reads the VBA projects, and MS-OVBA's
// own worked examples check the decompressor.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHostRegistry } from '../../../main/host/index.ts';
import { collect, toJSON } from '../../../main/vql/index.ts';
import { installArtifactPlugins, Repository } from '../../../main/artifacts/index.ts';
import { decompressVba, readDir, VbaError } from '../../../main/host/ole/vba.ts';
import { compressVba, createOle, dirStream, oleToolsMissing, olefileStreams, writeVbaProjectFiles, type TestModule } from './vba-writer.ts';

const MISSING = oleToolsMissing();
const SKIP = MISSING ? `${MISSING}: the OLE2 suites need it` : false;
let dir = '';

async function query(text: string, vars: Record<string, unknown> = {}) {
  const logs: string[] = [];
  const rows = await collect(text, { registry: createHostRegistry(), vars, log: (l, m) => logs.push(`${l}: ${m}`) });
  return { rows: JSON.parse(toJSON(rows)) as Array<Record<string, unknown>>, logs };
}

const MODULE1: TestModule = {
  name: 'Module1',
  type: 'Module',
  code: 'Attribute VB_Name = "Module1"\r\nSub AutoOpen()\r\n  Shell "powershell -nop -w hidden -enc SQBFAFgA"\r\n  Dim s As String\r\n  s = "' + 'a'.repeat(200) + '"\r\nEnd Sub\r\n',
};
// Over 4096 bytes: several chunks; a performance cache bigger than a mini sector.
const THIS_DOCUMENT: TestModule = {
  name: 'ThisDocument',
  type: 'Class',
  cache: 700,
  code: 'Attribute VB_Name = "ThisDocument"\r\n' + Array.from({ length: 400 }, (_, i) => `x${i} = ${i * 7} ' caf\u00e9`).join('\r\n') + '\r\n',
};

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vql-ole-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('decompressVba gives MS-OVBA 3.2\'s worked examples (no compression; normal compression)', () => {
  const cases: Array<[string, string]> = [
    ['abcdefghijklmnopqrstuv.', '0119B000616263646566676800696A6B6C6D6E6F7000717273747576 2E'],
    ['#aaabcdefaaaaghijaaaaaklaaamnopqaaaaaaaaaaaarstuvwxyzaaa', '012FB00023616161626364658266007061676869 6A0138 08616B6C00306D6E6F7006710270041072737475761077 78797A003C'],
  ];
  for (const [text, hex] of cases) {
    assert.equal(Buffer.from(decompressVba(Buffer.from(hex.replace(/ /g, ''), 'hex'))).toString('latin1'), text);
  }
  // A raw chunk (flag bit clear): 4096 bytes as they are, then a compressed one.
  const raw = Buffer.alloc(4096, 0x41);
  const tail = compressVba(Buffer.from('xyz'));
  const container = Buffer.concat([Buffer.of(0x01, 0xff, 0x3f), raw, tail.subarray(1)]);
  assert.equal(Buffer.from(decompressVba(container)).toString('latin1'), 'A'.repeat(4096) + 'xyz');
  assert.throws(() => decompressVba(Buffer.of(0x02, 0x00)), VbaError);
  assert.throws(() => decompressVba(Buffer.of(0x01, 0x05, 0x00, 0x00)), /bad signature/);
  // A copy token reaching before the chunk's start.
  assert.throws(() => decompressVba(Buffer.of(0x01, 0x02, 0xb0, 0x01, 0xff, 0xff)), /before its chunk's start/);
});

test('the test compressor round-trips through the decompressor (text, random bytes, many chunks)', () => {
  const inputs = [Buffer.from(MODULE1.code), Buffer.from(THIS_DOCUMENT.code, 'latin1'), Buffer.alloc(20000, 0x61), Buffer.from(Array.from({ length: 9000 }, (_, i) => (i * 7919) % 251))];
  for (const input of inputs) assert.deepEqual(Buffer.from(decompressVba(compressVba(input))), input);
});

test('readDir reads the code page and each module\'s names, offset and type (PROJECTVERSION\'s odd size included)', () => {
  const d = readDir(dirStream('P', [MODULE1, THIS_DOCUMENT], 1251));
  assert.equal(d.codePage, 1251);
  assert.deepEqual(d.modules.map((m) => [m.name, m.streamName, m.unicodeStreamName, m.offset, m.type]), [
    ['Module1', 'Module1', 'Module1', 37, 'Module'],
    ['ThisDocument', 'ThisDocument', 'ThisDocument', 700, 'Class'],
  ]);
  assert.throws(() => readDir(dirStream('P', [MODULE1]).subarray(0, 44)), /runs past the stream's end/);
});

test('mscfb: a compound file written by libgsf lists and reads as olefile and gsf see it', { skip: SKIP }, async () => {
  const src = join(dir, 'cfb-src');
  mkdirSync(join(src, 'Storage', 'Inner'), { recursive: true });
  writeFileSync(join(src, 'Small'), 'a mini stream');
  writeFileSync(join(src, 'Cutoff'), Buffer.alloc(4096, 0x42)); // at the cutoff: in the big FAT
  writeFileSync(join(src, 'Storage', 'Below'), Buffer.alloc(4095, 0x43));
  writeFileSync(join(src, 'Storage', 'Inner', '1'), 'one');
  writeFileSync(join(src, 'Storage', 'Inner', 'DestList'), 'dest');
  // Past 109 FAT sectors of 512 bytes (7.1 MB): the FAT continues in the DIFAT chain.
  const big = Buffer.alloc(9 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 4) big.writeUInt32LE(i, i);
  writeFileSync(join(src, 'Big'), big);
  const file = join(dir, 'test.cfb');
  createOle(file, src, ['Small', 'Cutoff', 'Storage', 'Big']);

  const { rows, logs } = await query(`SELECT OSPath.Path AS Path, Size, IsDir FROM glob(globs='**', accessor='mscfb', root=pathspec(DelegatePath=F)) ORDER BY Path`, { F: file });
  assert.deepEqual(logs.filter((l) => l.startsWith('error')), []);
  const streams = rows.filter((r) => !r.IsDir).map((r) => ({ path: String(r.Path).slice(1), size: r.Size }));
  const expected = olefileStreams(file).sort((a, b) => (a.path < b.path ? -1 : 1));
  assert.deepEqual(streams, expected);
  assert.deepEqual(rows.filter((r) => r.IsDir).map((r) => r.Path), ['/Storage', '/Storage/Inner']);
  for (const s of expected) {
    const viaGsf = execFileSync('gsf', ['cat', file, s.path], { maxBuffer: 64 << 20 });
    const { rows: got } = await query(`SELECT hash(accessor='mscfb', path=pathspec(DelegatePath=F, Path=P)).SHA256 AS H FROM scope()`, { F: file, P: s.path });
    assert.equal(got[0]!.H, (await import('node:crypto')).createHash('sha256').update(viaGsf).digest('hex'), s.path);
  }
  // Names match whatever their case; a part of a stream is read without the rest.
  const part = await query(`SELECT read_file(accessor='mscfb', filename=pathspec(DelegatePath=F, Path='/big'), offset=8000000, length=8) AS B,
      read_file(accessor='mscfb', filename=pathspec(DelegatePath=F, Path='/storage/inner/destlist')) AS D FROM scope()`, { F: file });
  assert.equal(Buffer.from(String(part.rows[0]!.B), 'latin1').readUInt32LE(0), 8000000);
  assert.equal(part.rows[0]!.D, 'dest');
  // The jump-list idiom: numbered streams of a storage, through a pathspec root.
  const jl = await query(`SELECT Name FROM glob(globs='*', accessor='mscfb', root=pathspec(DelegatePath=F, Path='/Storage/Inner')) WHERE NOT IsDir AND Name =~ '^\\\\d+$'`, { F: file });
  assert.deepEqual(jl.rows, [{ Name: '1' }]);
});

test('mscfb: a file that is not a compound file, or is cut short, is an error that says so', { skip: SKIP }, async () => {
  const text = join(dir, 'not-ole.txt');
  writeFileSync(text, 'just text, long enough to have a header-sized first read? no.'.repeat(20));
  const src = join(dir, 'cut-src');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'Data'), Buffer.alloc(100000, 1));
  const whole = join(dir, 'whole.cfb');
  createOle(whole, src, ['Data']);
  const cut = join(dir, 'cut.cfb');
  writeFileSync(cut, readFileSync(whole).subarray(0, 50000));
  const a = await query(`SELECT * FROM stat(accessor='mscfb', filename=pathspec(DelegatePath=F, Path='/x'))`, { F: text });
  assert.equal(a.rows.length, 0);
  assert.match(a.logs.join('\n'), /not a compound file \(OLE2\): the signature D0 CF 11 E0 A1 B1 1A E1 is missing/);
  const b = await query(`SELECT len(list=read_file(accessor='mscfb', filename=pathspec(DelegatePath=F, Path='Data'))) AS N FROM scope()`, { F: cut });
  assert.match(b.logs.join('\n'), /cut\.cfb: .*(past the end of the file|truncated)/);
});

function docFile(name: string, storage: string, modules: readonly TestModule[], codePage = 1252): string {
  const src = join(dir, `${name}-src`);
  writeVbaProjectFiles(src, storage, modules, codePage);
  writeFileSync(join(src, 'WordDocument'), 'not really a document');
  const out = join(dir, name);
  createOle(out, src, ['WordDocument', storage]);
  return out;
}

test('olevba: the macros of a .doc (Macros/VBA) and an .xls (_VBA_PROJECT_CUR/VBA), decompressed and decoded', { skip: SKIP }, async () => {
  const doc = docFile('invoice.doc', 'Macros', [MODULE1, THIS_DOCUMENT]);
  const xls = docFile('book.xls', '_VBA_PROJECT_CUR', [{ ...MODULE1, name: 'Sheet1', type: 'Class', cache: 0 }]);
  const { rows, logs } = await query(`SELECT * FROM olevba(file=[D, X])`, { D: doc, X: xls });
  assert.deepEqual(logs.filter((l) => !l.startsWith('debug')), []);
  assert.deepEqual(rows.map((r) => [r.ModuleName, r.StreamName, r.Type, r.Filename]), [
    ['Module1', 'Module1', 'Module', doc],
    ['ThisDocument', 'ThisDocument', 'Class', doc],
    ['Sheet1', 'Sheet1', 'Class', xls],
  ]);
  assert.equal(rows[0]!.Code, MODULE1.code);
  assert.equal(rows[1]!.Code, THIS_DOCUMENT.code, 'windows-1252 decoded (é), 4 chunks');
  assert.deepEqual(Object.keys(rows[0]!), ['ModuleName', 'StreamName', 'Type', 'Code', 'Filename']);
  // libgsf's VBA reader finds the same module in the same file (its own decompressor; it reads
  // sources at offset 0 only, so the .xls's module is the one it can check).
  const dump = execFileSync('gsf-vba-dump', [xls], { encoding: 'latin1' });
  assert.match(dump, /<module name="Sheet1">/);
  assert.ok(dump.includes(MODULE1.code.replace(/\r\n/g, '\n')) || dump.includes(MODULE1.code), dump.slice(0, 400));
});

test('olevba: a .docm (an OOXML zip) is read through its vbaProject.bin; a cp1251 project decodes with its code page', { skip: SKIP }, async () => {
  // The writer stores the code's characters as bytes (latin1): these are cp1251's bytes of "Привет".
  const bin = docFile('vbaProject.bin', 'VBAROOT', [{ name: 'Module1', type: 'Module', code: 'MsgBox "\xcf\xf0\xe8\xe2\xe5\xf2"\r\n' }], 1251);
  // VBA at the top of vbaProject.bin: make one whose root holds the VBA storage.
  const rootSrc = join(dir, 'root-src');
  writeVbaProjectFiles(rootSrc, '.', [{ name: 'Module1', type: 'Module', code: 'Sub X()\r\nEnd Sub\r\n' }]);
  const rootBin = join(dir, 'root-vbaProject.bin');
  createOle(rootBin, rootSrc, ['VBA', 'PROJECT']);
  const docm = join(dir, 'report.docm');
  execFileSync('/usr/bin/python3', ['-c', `import zipfile,sys
z=zipfile.ZipFile(sys.argv[1],'w',zipfile.ZIP_DEFLATED)
z.writestr('[Content_Types].xml','<Types/>')
z.writestr('word/document.xml','<w:document/>')
z.write(sys.argv[2],'word/vbaProject.bin')
z.close()`, docm, rootBin]);
  const { rows, logs } = await query(`SELECT ModuleName, Code, Filename FROM olevba(file=[M, B])`, { M: docm, B: bin });
  assert.deepEqual(logs.filter((l) => !l.startsWith('debug')), []);
  assert.deepEqual(rows, [
    { ModuleName: 'Module1', Code: 'Sub X()\r\nEnd Sub\r\n', Filename: docm },
    // Decoded with the project's code page (PROJECTCODEPAGE 1251).
    { ModuleName: 'Module1', Code: 'MsgBox "\u041f\u0440\u0438\u0432\u0435\u0442"\r\n', Filename: bin },
  ]);
});

test('olevba: damaged and foreign files are one clear message each, and the next file still gives its macros', { skip: SKIP }, async () => {
  const good = docFile('good.doc', 'Macros', [MODULE1]);
  const plain = join(dir, 'plain.doc');
  writeFileSync(plain, 'an RTF or text file renamed .doc');
  // A dir stream that is not compressed (no 0x01 signature).
  const badSrc = join(dir, 'bad-src');
  writeVbaProjectFiles(badSrc, 'Macros', [MODULE1]);
  writeFileSync(join(badSrc, 'Macros', 'VBA', 'dir'), Buffer.from('garbage'));
  const bad = join(dir, 'bad.doc');
  createOle(bad, badSrc, ['Macros']);
  // A module whose stream is cut short: that module is skipped with a warning, the others come.
  const cutSrc = join(dir, 'cutmod-src');
  writeVbaProjectFiles(cutSrc, 'Macros', [MODULE1, { ...THIS_DOCUMENT, name: 'Other' }]);
  writeFileSync(join(cutSrc, 'Macros', 'VBA', 'Module1'), Buffer.alloc(10, 0xaa));
  const cutmod = join(dir, 'cutmod.doc');
  createOle(cutmod, cutSrc, ['Macros']);
  const truncated = join(dir, 'truncated.doc');
  writeFileSync(truncated, readFileSync(good).subarray(0, 700));

  const { rows, logs } = await query(`SELECT ModuleName, basename(path=Filename) AS F FROM olevba(file=[P, B, C, T, missing, G])`,
    { P: plain, B: bad, C: cutmod, T: truncated, missing: join(dir, 'nope.doc'), G: good });
  assert.deepEqual(rows, [{ ModuleName: 'Other', F: 'cutmod.doc' }, { ModuleName: 'Module1', F: 'good.doc' }]);
  const text = logs.join('\n');
  assert.match(text, /debug: olevba: file=.*plain\.doc: neither a compound file \(OLE2\) nor an OOXML zip/);
  assert.match(text, /error: olevba: file=.*bad\.doc: compressed container: signature byte is 0x67, not 0x01/);
  assert.match(text, /warn: olevba: file=.*cutmod\.doc: module Module1 \(stream Module1\): its source offset 37 is past the stream's end \(10 bytes\)/);
  assert.match(text, /error: olevba: file=.*truncated\.doc: /);
  assert.match(text, /error: olevba: file=.*nope\.doc: cannot open: no such file/);
});

const CORPUS = fileURLToPath(new URL('../../../../shared/velociraptor-artifacts/', import.meta.url));

test('Velociraptor\'s Windows.Applications.OfficeMacros runs unchanged over a folder of documents', { skip: SKIP || (existsSync(CORPUS) ? false : '../shared/velociraptor-artifacts is absent') }, async () => {
  const users = join(dir, 'Users', 'alice', 'Documents');
  mkdirSync(users, { recursive: true });
  const doc = docFile('invoice.doc', 'Macros', [MODULE1]);
  writeFileSync(join(users, 'invoice.doc'), readFileSync(doc));
  writeFileSync(join(users, 'notes.docx'), 'not a zip');
  const registry = createHostRegistry();
  installArtifactPlugins(registry, new Repository({ builtinDir: null, definitions: [join(CORPUS, 'Windows', 'Applications')] }));
  const logs: string[] = [];
  const got = await collect(`SELECT ModuleName, Type, Code, Filename FROM Artifact.Windows.Applications.OfficeMacros(officeFileSearchGlob=G)`,
    { registry, vars: { G: join(dir, 'Users') + '/**/' }, log: (l, m) => logs.push(`${l}: ${m}`) });
  const rows = JSON.parse(toJSON(got)) as Array<Record<string, unknown>>;
  assert.deepEqual(logs.filter((l) => l.startsWith('error')), []);
  assert.deepEqual(rows, [{ ModuleName: 'Module1', Type: 'Module', Code: MODULE1.code, Filename: join(users, 'invoice.doc') }]);
});
