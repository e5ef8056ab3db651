// yarax() (YARA-X in WebAssembly) over files the test writes: rows and columns, typed Meta and
// Tags, context, the shared hit budget, rules without strings, private rules and patterns,
// namespace and vars, accessors, block scans and a file bigger than a whole-file scan, and the
// bad-input cases (rules that do not compile, unreadable files); then Velociraptor's
// Windows.Detection.YaraX.Glob run unchanged from ../shared/velociraptor-artifacts over a temp folder.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { q } from './helpers.ts';
import * as yaraxModule from '../../../main/host/yara/yarax.ts';
import { oneLine } from '../../../main/host/yara/yarax.ts';
import { WHOLE_MAX } from '../../../main/host/yara/scan-rows.ts';
import { Repository, installArtifactPlugins, runArtifact } from '../../../main/artifacts/index.ts';
import { createHostRegistry } from '../../../main/host/index.ts';
import { toJSON, type Value } from '../../../main/vql/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'vql-yarax-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

const RULE = `
rule Evil : malware net {
  meta:
    author = "test"
    score = 75
    ratio = 0.5
    active = true
  strings:
    $a = "evil.example"
    $b = { DE AD BE EF }
  condition:
    any of them
}`;

test('the WebAssembly engine is loaded by the first yarax() call, not when the plugin is registered', async () => {
  assert.equal(yaraxModule.yaraxLoaded, false);
  const p = file('lazy.txt', 'x');
  await q(`SELECT * FROM yarax(rules='rule r { condition: true }', files=F)`, { F: p });
  assert.equal(yaraxModule.yaraxLoaded, true);
});

test('rows: one per matching string, with Rule, typed Meta, Tags, String {Name, Offset, HexData, Data}, File and FileName', async () => {
  const p = file('sample.bin', Buffer.concat([Buffer.from('header evil.example '), Buffer.from([0xde, 0xad, 0xbe, 0xef]), Buffer.from(' tail evil.example')]));
  const { rows, logs } = await q('SELECT * FROM yarax(rules=R, files=F, number=10)', { R: RULE, F: p });
  assert.deepEqual(logs, []);
  assert.deepEqual(rows.map((r) => [r.String.Name, r.String.Offset]), [['$a', 7], ['$a', 30], ['$b', 20]]);
  const r = rows[0]!;
  assert.deepEqual(Object.keys(r), ['Rule', 'Meta', 'Tags', 'String', 'File', 'FileName']);
  assert.equal(r.Rule, 'Evil');
  assert.deepEqual(r.Meta, { author: 'test', score: 75, ratio: 0.5, active: true });
  assert.deepEqual(r.Tags, ['malware', 'net']);
  assert.equal(r.String.Data, 'evil.example');
  assert.deepEqual(r.String.HexData, ['00000000  65 76 69 6c 2e 65 78 61  6d 70 6c 65              |evil.example|', '']);
  assert.equal(r.FileName, p);
  assert.equal(r.File.FullPath, p);
  assert.equal(r.File.Size, 42);
  assert.deepEqual(Object.keys(r.File), ['FullPath', 'Size', 'Mode', 'ModeStr', 'ModTime', 'Data', 'Mtime', 'Ctime', 'Atime']);
  const bin = await q('SELECT String.HexData AS H FROM yarax(rules=R, files=F, number=10, context=1) WHERE String.Name = "$b"', { R: RULE, F: p });
  assert.deepEqual(bin.rows, [{ H: ['00000000  20 de ad be ef 20                                 | .... |', ''] }]);
  // The rows of yara() and yarax() are the same for a rule both engines take (libyara has no float metadata).
  const both = RULE.replace('    ratio = 0.5\n', '');
  const fromYara = await q('SELECT * FROM yara(rules=R, files=F, number=10, context=3)', { R: both, F: p });
  const fromYarax = await q('SELECT * FROM yarax(rules=R, files=F, number=10, context=3)', { R: both, F: p });
  assert.equal(fromYara.rows.length, 3);
  assert.deepEqual(fromYarax, fromYara);
});

test('context= adds bytes either side of the hit to Data and HexData (clipped at the file\'s ends)', async () => {
  const p = file('ctx.txt', 'abcXYZdef');
  const { rows } = await q(`SELECT String.Offset AS O, String.Data AS D, String.HexData AS H FROM yarax(rules='rule r { strings: $x = "XYZ" condition: $x }', files=F, context=2)`, { F: p });
  assert.deepEqual(rows.map((r) => [r.O, r.D]), [[3, 'bcXYZde']]);
  assert.equal(rows[0]!.H[0], '00000000  62 63 58 59 5a 64 65                              |bcXYZde|');
  const wide = await q(`SELECT String.Data AS D FROM yarax(rules='rule r { strings: $x = "abc" condition: $x }', files=F, context=100)`, { F: p });
  assert.equal(wide.rows[0]!.D, 'abcXYZdef');
});

test('number= is a hit budget shared across files: default 1; a later file still gives its first hit', async () => {
  const a = file('a.txt', 'hit hit hit');
  const b = file('b.txt', 'hit hit hit');
  const rule = `rule h { strings: $h = "hit" condition: $h }`;
  assert.equal((await q('SELECT * FROM yarax(rules=R, files=F)', { R: rule, F: a })).rows.length, 1);
  const two = await q('SELECT FileName, String.Offset AS O FROM yarax(rules=R, files=[A, B], number=2)', { R: rule, A: a, B: b });
  assert.deepEqual(two.rows.map((r) => [r.FileName, r.O]), [[a, 0], [a, 4], [b, 0]]);
  const all = await q('SELECT * FROM yarax(rules=R, files=[A, B], number=100)', { R: rule, A: a, B: b });
  assert.equal(all.rows.length, 6);
});

test('a rule without strings gives one row with an empty String; modules load (elf, math)', async () => {
  const elf = file('elfish', Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(60)]));
  const text = file('text', 'not an elf at all');
  const rule = 'import "math"\nimport "elf"\nrule IsELF:TestRule { condition: uint32(0) == 0x464c457f and math.entropy(0, filesize) < 1 and not defined elf.entry_point }';
  const { rows, logs } = await q(`SELECT Rule, Tags, Meta, String, FileName FROM yarax(rules=R, files=[E, T], number=5)`, { R: rule, E: elf, T: text });
  assert.deepEqual(logs, []);
  assert.deepEqual(rows, [{ Rule: 'IsELF', Tags: ['TestRule'], Meta: null, String: { Name: '', Offset: 0, HexData: [''], Data: '' }, FileName: elf }]);
  const any = await q(`SELECT FileName FROM yarax(rules='rule Any { condition: filesize > 0 }', files=[E, T], number=5)`, { E: elf, T: text });
  assert.deepEqual(any.rows, [{ FileName: elf }, { FileName: text }]);
});

test('compiler warnings are logged once per query at info level, with their line; the rules still run', async () => {
  const p = file('warn.txt', 'x');
  const { rows, logs } = await q(`
    SELECT Rule FROM yarax(rules='rule w {\n condition: filesize > 0 or true }', files=F)
    SELECT Rule FROM yarax(rules='rule w {\n condition: filesize > 0 or true }', files=F)`, { F: p });
  assert.deepEqual(rows, [{ Rule: 'w' }, { Rule: 'w' }]);
  assert.deepEqual(logs, ['info: yarax: argument rules: line 2: warning[invariant_expr]: invariant boolean expression (this expression is always true)']);
});

test('private rules and private patterns give no rows; namespace= and vars= reach the compiler', async () => {
  const p = file('priv.txt', 'alpha beta');
  const rules = `private rule P { strings: $p = "alpha" condition: $p }
    rule Q { strings: $a = "alpha" $b = "beta" private condition: P and $a and $b }`;
  const { rows, logs } = await q(`SELECT Rule, String.Name AS N FROM yarax(rules=R, files=F, number=10, namespace='ns1')`, { R: rules, F: p });
  assert.deepEqual(logs, []);
  assert.deepEqual(rows, [{ Rule: 'Q', N: '$a' }]);
  const vars = await q(`SELECT Rule FROM yarax(rules='rule V { condition: ext > 1 and who == "me" }', files=F, vars=dict(ext=2, who='me'))`, { F: p });
  assert.deepEqual(vars, { rows: [{ Rule: 'V' }], logs: [] });
  const low = await q(`SELECT Rule FROM yarax(rules='rule V { condition: ext > 1 and who == "me" }', files=F, vars=dict(ext=0, who='me'))`, { F: p });
  assert.deepEqual(low, { rows: [], logs: [] });
  const bad = await q(`SELECT Rule FROM yarax(rules='rule V { condition: filesize > 0 }', files=F, vars=dict(ext=dict(a=1)))`, { F: p });
  assert.deepEqual(bad.logs, ['error: yarax: argument vars: ext must be a boolean, a number or a string']);
});

test('accessor=data and accessor=scope scan data rather than files', async () => {
  const rule = `rule r { strings: $x = "needle" condition: $x }`;
  const d = await q(`SELECT String.Offset AS O FROM yarax(rules=R, files='hay needle hay', accessor='data')`, { R: rule });
  assert.deepEqual(d.rows, [{ O: 4 }]);
  const s = await q(`SELECT String.Offset AS O FROM yarax(rules=R, files='Content', accessor='scope')`, { R: rule, Content: 'xx needle' });
  assert.deepEqual(s.rows, [{ O: 3 }]);
});

test('block scans: start= and end= bound the range, blocksize= splits it (a match across blocks is missed), force_buffers= forces blocks', async () => {
  const p = file('blocks.txt', 'needle..........needle..........needle');
  const rule = `rule r { strings: $x = "needle" condition: $x }`;
  const off = async (args: string) => (await q(`SELECT String.Offset AS O FROM yarax(rules=R, files=F, number=10${args})`, { R: rule, F: p })).rows.map((r) => r.O);
  assert.deepEqual(await off(''), [0, 16, 32]);
  assert.deepEqual(await off(', start=10'), [16, 32], 'offsets stay absolute');
  assert.deepEqual(await off(', start=1, end=30'), [16]);
  assert.deepEqual(await off(', force_buffers=TRUE, blocksize=19'), [0, 32], 'the needle at 16..22 straddles the block edge at 19');
  assert.deepEqual(await off(', force_buffers=TRUE, blocksize=16'), [0, 16, 32]);
});

test('a file bigger than a whole-file scan is scanned in 1 MiB blocks: absolute offsets, context, a match across a block edge missed', async () => {
  const p = join(dir, 'big.bin');
  const size = WHOLE_MAX + 3 * 1024 * 1024;
  const fd = openSync(p, 'w');
  try {
    writeSync(fd, Buffer.alloc(1), 0, 1, size - 1); // sparse: zeros up to the size
    const put = (at: number, s: string) => writeSync(fd, Buffer.from(s), 0, s.length, at);
    put(100, 'needle');
    put(5 * 1024 * 1024 - 3, 'needle'); // straddles the edge of block 5
    put(WHOLE_MAX + 1024 * 1024 + 10, 'needle'); // past the whole-file limit
  } finally {
    closeSync(fd);
  }
  const rule = `rule r { strings: $x = "needle" condition: $x }`;
  const { rows, logs } = await q(`SELECT String.Offset AS O, String.Data AS D, File.Size AS S FROM yarax(rules=R, files=F, number=10, context=2)`, { R: rule, F: p });
  assert.deepEqual(logs, []);
  assert.deepEqual(rows, [
    { O: 100, D: Buffer.from('\0\0needle\0\0').toString(), S: size },
    { O: WHOLE_MAX + 1024 * 1024 + 10, D: Buffer.from('\0\0needle\0\0').toString(), S: size },
  ]);
});

test('rules that do not compile: one ERROR naming yarax, the argument, YARA-X\'s message and the line, once per query; no rows; the query goes on', async () => {
  const p = file('any.txt', 'x');
  const { rows, logs } = await q(`
    SELECT * FROM yarax(rules='rule bad {\n condition: $nope }', files=F)
    SELECT * FROM yarax(rules='rule bad {\n condition: $nope }', files=F)
    SELECT 'after' AS Next FROM scope()`, { F: p });
  assert.deepEqual(rows, [{ Next: 'after' }]);
  assert.deepEqual(logs, ['error: yarax: argument rules: the rules do not compile: line 2: error[E025]: unknown pattern `$nope` (this pattern is not declared in the `strings` section)']);
  const syntax = await q(`SELECT * FROM yarax(rules='rule {', files=F)`, { F: p });
  assert.equal(syntax.logs.length, 1);
  assert.match(syntax.logs[0]!, /^error: yarax: argument rules: the rules do not compile: line 1: error\[E001\]: syntax error/);
  const compiled = await q(`SELECT * FROM yarax(rules='YARA-X\x00binary', files=F)`, { F: p });
  assert.deepEqual(compiled.logs, ['error: yarax: argument rules: compiled rules are not supported here: give the rules\' source text']);
});

test('oneLine: a YARA-X diagnostic on one line; text without a location stays whole', () => {
  assert.equal(oneLine('error[E012]: duplicate rule `x`\n --> line:4:6\n  |\n4 | rule x { condition: true }\n  |      ^ duplicate declaration of `x`\n'), 'line 4: error[E012]: duplicate rule `x` (duplicate declaration of `x`)');
  assert.equal(oneLine('something\nwent wrong'), 'something went wrong');
});

test('an unreadable file is logged with its path and the next file is scanned', async () => {
  const good = file('good.txt', 'needle');
  const missing = join(dir, 'missing.txt');
  const { rows, logs } = await q(`SELECT FileName FROM yarax(rules='rule r { strings: $x = "needle" condition: $x }', files=[M, D, G])`, { M: missing, D: dir, G: good });
  assert.deepEqual(rows, [{ FileName: good }]);
  assert.ok(logs.some((l) => l.startsWith(`error: yarax: argument files: ${missing}: ENOENT`)), logs.join('\n'));
  assert.ok(logs.some((l) => l.startsWith(`error: yarax: argument files: ${dir}:`)), logs.join('\n'));
});

test('dll_path= is accepted and never run: the lambda text of Windows.Detection.YaraX.Glob does not reach the query it names', async () => {
  const p = file('dll.txt', 'needle');
  const { rows, logs } = await q(`
    LET _BinPath = SELECT log(message='FetchBinary ran') AS L FROM scope()
    SELECT Rule FROM yarax(rules='rule r { strings: $x = "needle" condition: $x }', files=F, dll_path="x=>x._BinPath[0].OSPath")`, { F: p });
  assert.deepEqual(rows, [{ Rule: 'r' }]);
  assert.deepEqual(logs, []);
});

test('the scan stops when the query stops: LIMIT ends it before the next file is opened', async () => {
  const good = file('first.txt', 'needle needle');
  const missing = join(dir, 'never-opened.txt');
  const { rows, logs } = await q(`SELECT FileName FROM yarax(rules='rule r { strings: $x = "needle" condition: $x }', files=[G, M], number=10) LIMIT 1`, { G: good, M: missing });
  assert.deepEqual(rows, [{ FileName: good }]);
  assert.deepEqual(logs, [], 'the second file was never opened');
});

// Windows.Detection.YaraX.Glob, unchanged, through the artifact engine.
const CORPUS = fileURLToPath(new URL('../../../../shared/velociraptor-artifacts/', import.meta.url));
const skip = !existsSync(CORPUS) ? `../shared/velociraptor-artifacts is absent (${CORPUS}): Windows.Detection.YaraX.Glob not checked` : false;
if (skip) console.log(`# ${skip}`);

type Row = Record<string, unknown>;

describe('Windows.Detection.YaraX.Glob', { skip }, () => {
  let repo: Repository;
  let folder = '';
  before(() => {
    repo = new Repository({ definitions: [CORPUS] });
    folder = mkdtempSync(join(tmpdir(), 'vql-yarax-glob-'));
    writeFileSync(join(folder, 'tool.elf'), Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.alloc(57), Buffer.from('payload evil.example')]));
    writeFileSync(join(folder, 'notes.txt'), 'see evil.example and evil.example again');
    writeFileSync(join(folder, 'clean.txt'), 'nothing here');
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  async function collect(params: Record<string, string>): Promise<{ rows: Row[]; logs: string[] }> {
    const registry = createHostRegistry({});
    installArtifactPlugins(registry, repo);
    const a = repo.get('Windows.Detection.YaraX.Glob');
    assert.ok(a, 'Windows.Detection.YaraX.Glob is in the corpus');
    const rows: Value[] = [];
    const logs: string[] = [];
    for await (const batch of runArtifact(repo, a, new Map(Object.entries(params)), {
      registry, signal: new AbortController().signal, preconditions: false, log: (l, m) => logs.push(`${l}: ${m}`),
    })) rows.push(...batch);
    return { rows: JSON.parse(toJSON(rows)) as Row[], logs };
  }

  test('the default rule (IsELF) finds the ELF file of a glob; the DLL of dll_path is never fetched', async () => {
    const { rows, logs } = await collect({ PathGlob: join(folder, '*') });
    assert.deepEqual(rows.map((r) => [r.OSPath, r.Rule, r.Tags, r.YaraString, r.HitOffset, r.Size]), [[join(folder, 'tool.elf'), 'IsELF', ['TestRule'], '', 0, 84]]);
    assert.deepEqual(rows[0]!.Meta, { author: 'the internet', date: '2021-05-03', description: 'A simple ELF rule to test yara features' });
    assert.deepEqual(Object.keys(rows[0]!).filter((k) => k !== '_Source'), ['OSPath', 'Size', 'Mtime', 'Atime', 'Ctime', 'Btime', 'Rule', 'Tags', 'Meta', 'YaraString', 'HitOffset', 'HitContext']);
    assert.deepEqual(logs.filter((l) => /yarax|FetchBinary|YaraXWindowsDLL|http/i.test(l)), []);
  });

  test('YaraRule=, NumberOfHits= and SizeMax= over the folder', async () => {
    const rule = 'rule EvilString : demo { meta: level = 3 strings: $e = "evil.example" condition: $e }';
    const { rows, logs } = await collect({ PathGlob: join(folder, '*.{txt,elf}'), YaraRule: rule, NumberOfHits: '5', ContextBytes: '4' });
    assert.deepEqual(logs.filter((l) => /yarax/.test(l)), []);
    const got = rows.map((r) => [r.OSPath, r.Rule, r.Tags, r.Meta, r.YaraString, r.HitOffset]).sort((x, y) => String(x[0]).localeCompare(String(y[0])) || Number(x[5]) - Number(y[5]));
    assert.deepEqual(got, [
      [join(folder, 'notes.txt'), 'EvilString', ['demo'], { level: 3 }, '$e', 4],
      [join(folder, 'notes.txt'), 'EvilString', ['demo'], { level: 3 }, '$e', 21],
      [join(folder, 'tool.elf'), 'EvilString', ['demo'], { level: 3 }, '$e', 72],
    ]);
    const small = await collect({ PathGlob: join(folder, '*'), YaraRule: rule, SizeMax: '60' });
    assert.deepEqual(small.rows.map((r) => r.OSPath), [join(folder, 'notes.txt')]);
  });
});
