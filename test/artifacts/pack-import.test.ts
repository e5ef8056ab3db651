// Importing pack zips safely: zip-slip names, size limits enforced while inflating (declared
// sizes are not believed), compression-ratio bombs, damaged and encrypted entries, and the
// validation of every artifact, with its problems per file. Real zips (fflate), real folders.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync, strToU8 } from 'fflate';
import { Repository } from '../../main/artifacts/index.ts';
import { formatImportProblem, importPack, planPack, writePlan, type ImportResult } from '../../main/artifacts/pack-import.ts';
import { DEFAULT_ZIP_LIMITS, readPackZip, unsafeEntryName, PackZipError, type ZipLimits } from '../../main/artifacts/pack-zip.ts';

const TMP = mkdtempSync(join(tmpdir(), 'vql-pack-import-test-'));
after(() => rmSync(TMP, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(TMP, `to${n++}`);

const artifact = (name: string, extra = '') => `name: ${name}\n${extra}sources:\n  - query: SELECT 1 AS One FROM scope()\n`;

function importInto(zip: Uint8Array, limits?: ZipLimits, lookup: ConstructorParameters<typeof Repository>[0] | null = null): { dir: string; r: ImportResult } {
  const dir = freshDir();
  const repo = lookup ? new Repository(lookup) : null;
  return { dir, r: importPack(zip, { dir, lookup: (x) => repo?.get(x), limits }, 'test.zip') };
}

/** Offsets of every central-directory record of a zip. */
function centralRecords(zip: Uint8Array): number[] {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const out: number[] = [];
  for (let i = 0; i + 4 <= zip.length; i++) if (v.getUint32(i, true) === 0x02014b50) out.push(i);
  return out;
}

function patch32(zip: Uint8Array, at: number, value: number): void {
  new DataView(zip.buffer, zip.byteOffset).setUint32(at, value, true);
}

test('zip-slip: .., absolute paths, drive letters and backslashes refuse the whole pack; nothing is written', () => {
  for (const bad of ['../x.yaml', 'a/../../x.yaml', '/etc/x.yaml', 'C:/x.yaml', 'c:x.yaml', '..\\x.yaml', 'a\\b.yaml', '../notes.txt']) {
    const zip = zipSync({ 'Custom/Good.yaml': strToU8(artifact('Custom.Good')), [bad]: strToU8(artifact('Custom.Evil')) });
    const { dir, r } = importInto(zip);
    assert.deepEqual(r.imported, [], bad);
    assert.equal(r.problems.length, 1, bad);
    assert.equal(r.problems[0]!.file, 'test.zip');
    assert.match(r.problems[0]!.message, /the pack is refused \(nothing was imported\)/, bad);
    assert.ok(r.problems[0]!.message.includes(bad), r.problems[0]!.message);
    assert.equal(existsSync(dir), false, `${bad}: the folder was not even created`);
  }
  assert.equal(unsafeEntryName('Custom/Foo/Bar.yaml'), undefined);
  assert.equal(unsafeEntryName('a..b/c.yaml'), undefined, 'two dots inside a name are fine');
});

test('a size limit is enforced while inflating, whatever the zip declares', () => {
  const big = 'x: ' + 'a'.repeat(5000) + '\n';
  const zip = zipSync({ 'big.yaml': strToU8(big) });
  const limits = { ...DEFAULT_ZIP_LIMITS, maxEntryBytes: 1000 };
  // The declared size is checked first (nothing is inflated)...
  assert.throws(() => readPackZip(zip, limits), /entry 'big\.yaml' is more than 1000 bytes, the most an artifact file may be: its zip header declares 4\.89 KiB \(5004 bytes\)/);
  // The central directory now claims 10 bytes: the count of real output still stops it.
  for (const rec of centralRecords(zip)) patch32(zip, rec + 24, 10);
  assert.throws(() => readPackZip(zip, limits), (e) => e instanceof PackZipError && /more than 1000 bytes/.test(e.message));
  const stored = zipSync({ 'big.yaml': [strToU8(big), { level: 0 }] });
  assert.throws(() => readPackZip(stored, limits), /entry 'big\.yaml' is more than 1000 bytes/);
});

test('a compression-ratio bomb is refused with the default limits, long before it is inflated', () => {
  const bomb = zipSync({ 'bomb.yaml': new Uint8Array(60 * 2 ** 20).fill(0x20) });
  assert.ok(bomb.length < 200_000, `${bomb.length}`);
  const { r } = importInto(bomb);
  assert.deepEqual(r.imported, []);
  assert.match(r.problems[0]!.message, /entry 'bomb\.yaml' inflates more than 200 times its compressed size \(a zip bomb\?\): the pack is refused/);
});

test('total size and entry count limits', () => {
  const two = zipSync({ 'a.yaml': strToU8(artifact('Custom.A', 'description: ' + 'd'.repeat(600) + '\n')), 'b.yaml': strToU8(artifact('Custom.B', 'description: ' + 'd'.repeat(600) + '\n')) });
  assert.throws(() => readPackZip(two, { ...DEFAULT_ZIP_LIMITS, maxTotalBytes: 1000 }), /entry 'b\.yaml' inflates to more than \d+ bytes/);
  assert.throws(() => readPackZip(two, { ...DEFAULT_ZIP_LIMITS, maxEntries: 1 }), /the zip has 2 entries, more than the limit of 1/);
  assert.throws(() => readPackZip(two, { ...DEFAULT_ZIP_LIMITS, maxZipBytes: 100 }), /more than the limit of 100/);
});

test('not a zip, an encrypted entry, a damaged entry, text that is not UTF-8', () => {
  assert.throws(() => readPackZip(strToU8('name: just yaml\n')), /not a zip file/);
  const enc = zipSync({ 'a.yaml': strToU8(artifact('Custom.A')) });
  const rec = centralRecords(enc)[0]!;
  new DataView(enc.buffer).setUint16(rec + 8, 1, true);
  assert.throws(() => readPackZip(enc), /entry 'a\.yaml' is encrypted/);
  const damaged = zipSync({ 'a.yaml': strToU8(artifact('Custom.A')), 'b.yaml': strToU8(artifact('Custom.B')), 'c.yml': new Uint8Array([0x6e, 0xff, 0xfe]) });
  patch32(damaged, centralRecords(damaged)[0]! + 16, 12345);
  const { r } = importInto(damaged);
  assert.deepEqual(r.imported.map((a) => a.name), ['Custom.B']);
  assert.deepEqual(r.problems, [
    { file: 'a.yaml', message: 'the entry is damaged (its checksum does not match): export the pack again' },
    { file: 'c.yml', message: 'not UTF-8 text: save the artifact as UTF-8' },
  ]);
});

test('every artifact is validated: problems per file with line and column; the good ones are imported', () => {
  const zip = zipSync({
    'Custom/Good.yaml': strToU8(artifact('Custom.Good')),
    'Custom/Bad.yaml': strToU8('name: Custom.Bad\nsources:\n  - query: |\n      SELECT 1 FROM scope()\n      SELECT 2 FROM scope()\n'),
    'Custom/Unknown.yaml': strToU8('name: Custom.Unknown\nsoruces: []\n'),
    'Custom/Again.yaml': strToU8(artifact('Custom.Good')),
    'README.md': strToU8('# not an artifact'),
    'Custom/': new Uint8Array(0),
  });
  const { dir, r } = importInto(zip);
  assert.deepEqual(r.imported.map((a) => [a.name, a.entry, a.replaced]), [['Custom.Good', 'Custom/Good.yaml', false]]);
  assert.deepEqual(readdirSync(dir), ['Custom.Good.yaml']);
  assert.equal(readFileSync(join(dir, 'Custom.Good.yaml'), 'utf8'), artifact('Custom.Good'));
  const byFile = new Map(r.problems.map((p) => [p.file, formatImportProblem(p)]));
  assert.match(byFile.get('Custom/Bad.yaml')!, /^Custom\/Bad\.yaml:4:7: error: only the last statement of a source query may be a SELECT/);
  assert.match(byFile.get('Custom/Unknown.yaml')!, /^Custom\/Unknown\.yaml:2:1: error: unknown field 'soruces' in artifact - did you mean `sources`/);
  // The path is said once: the message itself does not start with it again.
  for (const p of r.problems) assert.ok(!p.message.includes(p.file), `${p.file} repeated in: ${p.message}`);
  assert.deepEqual([r.problems.find((p) => p.file === 'Custom/Bad.yaml')!.line, r.problems.find((p) => p.file === 'Custom/Bad.yaml')!.column], [4, 7]);
  assert.match(byFile.get('Custom/Again.yaml')!, /Custom\.Good is also defined by Custom\/Good\.yaml: only the first is imported/);
  assert.deepEqual(r.ignored, ['README.md']);
});

test('a built-in artifact of the workbench is never replaced; an artifact already in the folder is replaced in its own file', () => {
  const stats = readFileSync(new URL('../../artifacts/Generic.Client.Stats.yaml', import.meta.url), 'utf8');
  const dir = freshDir();
  mkdirSync(join(dir, 'nested'), { recursive: true });
  writeFileSync(join(dir, 'nested', 'mine.yaml'), artifact('Custom.Mine', 'description: old\n'));
  const repo = new Repository({ definitions: [dir] });
  assert.equal(repo.get('Generic.Client.Stats')?.builtIn, true);
  const zip = zipSync({ 'Generic/Client/Stats.yaml': strToU8(stats), 'Custom/Mine.yaml': strToU8(artifact('Custom.Mine', 'description: new\n')) });
  const r = importPack(zip, { dir, lookup: (x) => repo.get(x) });
  assert.match(r.problems.map((p) => p.message).join('\n'), /Generic\.Client\.Stats is a built-in artifact of the workbench and is not replaced: rename it \(e\.g\. Custom\.Generic\.Client\.Stats\)/);
  assert.deepEqual(r.imported.map((a) => [a.name, a.file, a.replaced]), [['Custom.Mine', join(dir, 'nested', 'mine.yaml'), true]]);
  assert.match(readFileSync(join(dir, 'nested', 'mine.yaml'), 'utf8'), /description: new/);
  assert.deepEqual(readdirSync(dir), ['nested'], 'no second copy, no temporary file left');
});

test('planPack says what would be added, replaced (with the old text), left as it is or refused, and writes nothing', () => {
  const dir = freshDir();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Custom.Mine.yaml'), artifact('Custom.Mine', 'description: mine\n'));
  writeFileSync(join(dir, 'Custom.Same.yaml'), artifact('Custom.Same'));
  const repo = new Repository({ definitions: [dir] });
  const zip = zipSync({
    'Custom/New.yaml': strToU8(artifact('Custom.New')),
    'Custom/Mine.yaml': strToU8(artifact('Custom.Mine', 'description: theirs\n')),
    'Custom/Same.yaml': strToU8(artifact('Custom.Same')),
    'Custom/Bad/Two.yaml': strToU8('name: Custom.Bad.Two\nsoruces: []\n'),
  });
  const before = readdirSync(dir).sort();
  const plan = planPack(zip, { dir, lookup: (x) => repo.get(x) }, 'p.zip');
  assert.deepEqual(readdirSync(dir).sort(), before, 'a plan writes nothing');
  assert.deepEqual(plan.add.map((a) => [a.name, a.type, a.file]), [['Custom.New', 'client', join(dir, 'Custom.New.yaml')]]);
  assert.deepEqual(plan.replace.map((a) => [a.name, a.file]), [['Custom.Mine', join(dir, 'Custom.Mine.yaml')]]);
  assert.match(plan.replace[0]!.oldText!, /description: mine/);
  assert.deepEqual(plan.same.map((a) => a.name), ['Custom.Same']);
  assert.equal(plan.problems.length, 1);
  // The path said once (it was `Custom/Bad/Two.yaml: Custom/Bad/Two.yaml:2:1: ...`).
  assert.match(formatImportProblem(plan.problems[0]!), /^Custom\/Bad\/Two\.yaml:2:1: error: unknown field 'soruces' in artifact - did you mean `sources`\?/);
  assert.doesNotMatch(formatImportProblem(plan.problems[0]!), /Two\.yaml.*Two\.yaml/);

  // Writing the plan without accepting the replacement keeps the user's artifact.
  const kept = writePlan(plan, dir, []);
  assert.deepEqual(kept.imported.map((a) => [a.name, a.replaced]), [['Custom.New', false]]);
  assert.deepEqual(kept.kept, ['Custom.Mine']);
  assert.match(readFileSync(join(dir, 'Custom.Mine.yaml'), 'utf8'), /description: mine/);
  // Accepting it replaces the file in place.
  const replaced = writePlan(plan, dir, ['Custom.Mine']);
  assert.deepEqual(replaced.imported.map((a) => [a.name, a.replaced]), [['Custom.New', false], ['Custom.Mine', true]]);
  assert.match(readFileSync(join(dir, 'Custom.Mine.yaml'), 'utf8'), /description: theirs/);
  assert.deepEqual(readdirSync(dir).sort(), ['Custom.Mine.yaml', 'Custom.New.yaml', 'Custom.Same.yaml'], 'no temporary file left');
});
