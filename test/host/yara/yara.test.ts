// yara() over files the test writes: rows and columns, context, the shared hit budget,
// accessors, block scans (start, end, blocksize, force_buffers), shorthand rules, and the
// bad-input cases (rules that do not compile, unreadable files, unsupported arguments).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { q } from './helpers.ts';
import { hexDump } from '../../../main/host/yara/yara.ts';
import { expandShorthand, ruleInfo } from '../../../main/host/yara/rules.ts';

const dir = mkdtempSync(join(tmpdir(), 'vql-yara-'));
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
    active = true
  strings:
    $a = "evil.example"
    $b = { DE AD BE EF }
  condition:
    any of them
}`;

test('hexDump is Go\'s encoding/hex Dump', () => {
  assert.equal(
    hexDump(Buffer.from('Go is an open source programming language.')),
    '00000000  47 6f 20 69 73 20 61 6e  20 6f 70 65 6e 20 73 6f  |Go is an open so|\n' +
      '00000010  75 72 63 65 20 70 72 6f  67 72 61 6d 6d 69 6e 67  |urce programming|\n' +
      '00000020  20 6c 61 6e 67 75 61 67  65 2e                    | language.|\n',
  );
});

test('rows: one per matching string, with Rule, typed Meta, Tags, String {Name, Offset, HexData, Data}, File and FileName', async () => {
  const p = file('sample.bin', Buffer.concat([Buffer.from('header evil.example '), Buffer.from([0xde, 0xad, 0xbe, 0xef]), Buffer.from(' tail evil.example')]));
  const { rows, logs } = await q('SELECT * FROM yara(rules=R, files=F, number=10)', { R: RULE, F: p });
  assert.deepEqual(logs, []);
  assert.deepEqual(rows.map((r) => [r.String.Name, r.String.Offset]), [['$a', 7], ['$a', 30], ['$b', 20]]);
  const r = rows[0]!;
  assert.deepEqual(Object.keys(r), ['Rule', 'Meta', 'Tags', 'String', 'File', 'FileName']);
  assert.equal(r.Rule, 'Evil');
  assert.deepEqual(r.Meta, { author: 'test', score: 75, active: true });
  assert.deepEqual(r.Tags, ['malware', 'net']);
  assert.equal(r.String.Data, 'evil.example');
  assert.deepEqual(r.String.HexData, ['00000000  65 76 69 6c 2e 65 78 61  6d 70 6c 65              |evil.example|', '']);
  assert.equal(r.FileName, p);
  assert.equal(r.File.FullPath, p);
  assert.equal(r.File.Size, 42);
  assert.match(r.File.ModeStr, /^-rw/);
  assert.equal(r.File.Mode & 0o777, Number.parseInt(r.File.ModeStr.slice(1).replace(/[rwx]/g, '1').replace(/-/g, '0'), 2));
  assert.deepEqual(Object.keys(r.File), ['FullPath', 'Size', 'Mode', 'ModeStr', 'ModTime', 'Data', 'Mtime', 'Ctime', 'Atime']);
  const bin = await q('SELECT String.HexData AS H FROM yara(rules=R, files=F, number=10, context=1) WHERE String.Name = "$b"', { R: RULE, F: p });
  assert.deepEqual(bin.rows, [{ H: ['00000000  20 de ad be ef 20                                 | .... |', ''] }]);
});

test('context= adds bytes either side of the hit to Data and HexData (clipped at the file\'s ends)', async () => {
  const p = file('ctx.txt', 'abcXYZdef');
  const { rows } = await q(`SELECT String.Offset AS O, String.Data AS D, String.HexData AS H FROM yara(rules='rule r { strings: $x = "XYZ" condition: $x }', files=F, context=2)`, { F: p });
  assert.deepEqual(rows.map((r) => [r.O, r.D]), [[3, 'bcXYZde']]);
  assert.equal(rows[0]!.H[0], '00000000  62 63 58 59 5a 64 65                              |bcXYZde|');
  const wide = await q(`SELECT String.Data AS D FROM yara(rules='rule r { strings: $x = "abc" condition: $x }', files=F, context=100)`, { F: p });
  assert.equal(wide.rows[0]!.D, 'abcXYZdef');
});

test('number= is a hit budget shared across files: default 1; a later file still gives its first hit', async () => {
  const a = file('a.txt', 'hit hit hit');
  const b = file('b.txt', 'hit hit hit');
  const rule = `rule h { strings: $h = "hit" condition: $h }`;
  assert.equal((await q('SELECT * FROM yara(rules=R, files=F)', { R: rule, F: a })).rows.length, 1);
  const two = await q('SELECT FileName, String.Offset AS O FROM yara(rules=R, files=[A, B], number=2)', { R: rule, A: a, B: b });
  assert.deepEqual(two.rows.map((r) => [r.FileName, r.O]), [[a, 0], [a, 4], [b, 0]]);
  const all = await q('SELECT * FROM yara(rules=R, files=[A, B], number=100)', { R: rule, A: a, B: b });
  assert.equal(all.rows.length, 6);
});

test('a rule without strings gives one row with an empty String; modules load (elf, math)', async () => {
  const p = file('elfish', Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(60)]));
  const { rows, logs } = await q(`SELECT Rule, String FROM yara(rules='import "math"\nrule IsELF { condition: uint32(0) == 0x464c457f and math.entropy(0, filesize) < 1 }', files=F)`, { F: p });
  assert.deepEqual(logs, []);
  assert.deepEqual(rows, [{ Rule: 'IsELF', String: { Name: '', Offset: 0, HexData: [''], Data: '' } }]);
});

test('accessor=data and accessor=scope scan data rather than files', async () => {
  const rule = `rule r { strings: $x = "needle" condition: $x }`;
  const d = await q(`SELECT String.Offset AS O FROM yara(rules=R, files='hay needle hay', accessor='data')`, { R: rule });
  assert.deepEqual(d.rows, [{ O: 4 }]);
  const s = await q(`SELECT String.Offset AS O FROM yara(rules=R, files='Content', accessor='scope')`, { R: rule, Content: 'xx needle' });
  assert.deepEqual(s.rows, [{ O: 3 }]);
});

test('block scans: start= and end= bound the range, blocksize= splits it (a match across blocks is missed), force_buffers= forces blocks', async () => {
  const p = file('blocks.txt', 'needle..........needle..........needle');
  const rule = `rule r { strings: $x = "needle" condition: $x }`;
  const off = async (args: string) => (await q(`SELECT String.Offset AS O FROM yara(rules=R, files=F, number=10${args})`, { R: rule, F: p })).rows.map((r) => r.O);
  assert.deepEqual(await off(''), [0, 16, 32]);
  assert.deepEqual(await off(', start=10'), [16, 32], 'offsets stay absolute');
  assert.deepEqual(await off(', start=1, end=30'), [16]);
  assert.deepEqual(await off(', force_buffers=TRUE, blocksize=19'), [0, 32], 'the needle at 16..22 straddles the block edge at 19');
  assert.deepEqual(await off(', force_buffers=TRUE, blocksize=16'), [0, 16, 32]);
});

test('shorthand rules: "wide nocase: a,b" compiles to a rule X; an unknown keyword is a warning', async () => {
  assert.match(expandShorthand('wide nocase: foo,bar', () => {}), /rule X \{\n  strings:\n    \$a0 = "foo" wide nocase\n    \$a1 = "bar" wide nocase/);
  const p = file('wide.bin', Buffer.from('F\0O\0O\0 plain bar', 'latin1'));
  const { rows } = await q(`SELECT Rule, String.Name AS N, String.Offset AS O FROM yara(rules='wide ascii nocase: foo,BAR', files=F, number=10)`, { F: p });
  assert.deepEqual(rows, [{ Rule: 'X', N: '$a0', O: 0 }, { Rule: 'X', N: '$a1', O: 13 }]);
  const warned: string[] = [];
  assert.equal(expandShorthand('shiny: foo', (m) => warned.push(m)), 'shiny: foo');
  assert.match(warned[0]!, /unknown keyword shiny/);
});

test('ruleInfo reads tags and typed meta, past comments, strings and hex strings', () => {
  const info = ruleInfo(`// rule Fake : no { }
    private rule A : t1 t2 { meta: s = "x } \\" y" n = -0x10 b = false strings: $h = { 4D 5A ?? } condition: $h }
    /* rule Fake2 */ rule B { condition: true }`);
  assert.deepEqual([...info.keys()], ['A', 'B']);
  assert.deepEqual(info.get('A'), { tags: ['t1', 't2'], meta: [['s', 'x } " y'], ['n', -16], ['b', false]] });
  assert.deepEqual(info.get('B'), { tags: [], meta: [] });
});

test('rules that do not compile: one ERROR naming yara, the argument and the line, once per query; no rows', async () => {
  const p = file('any.txt', 'x');
  const { rows, logs } = await q(`
    SELECT * FROM yara(rules='rule bad {\n condition: $nope }', files=F)
    SELECT * FROM yara(rules='rule bad {\n condition: $nope }', files=F)`, { F: p });
  assert.deepEqual(rows, []);
  assert.deepEqual(logs, ['error: yara: argument rules: the rules do not compile: line 2: undefined string "$nope"']);
});

test('an unreadable file is logged with its path and the next file is scanned; vars and compiled rules are refused', async () => {
  const good = file('good.txt', 'needle');
  const missing = join(dir, 'missing.txt');
  const { rows, logs } = await q(`SELECT FileName FROM yara(rules='rule r { strings: $x = "needle" condition: $x }', files=[M, G])`, { M: missing, G: good });
  assert.deepEqual(rows, [{ FileName: good }]);
  assert.ok(logs.some((l) => l.startsWith(`error: yara: argument files: ${missing}: ENOENT`)), logs.join('\n'));
  const vars = await q(`SELECT * FROM yara(rules='rule r { condition: ext > 1 }', files=G, vars=dict(ext=2))`, { G: good });
  assert.deepEqual(vars.rows, []);
  assert.ok(vars.logs.some((l) => /^error: yara: argument vars: external variables are not supported/.test(l)));
  const compiled = await q(`SELECT * FROM yara(rules='YARA\x00binary', files=G)`, { G: good });
  assert.ok(compiled.logs.some((l) => /^error: yara: argument rules: compiled rules are not supported/.test(l)));
});

test('the engine is replaced by a fresh one when its heap grows (the library leaks per call); scans stay correct', async () => {
  const engine = await import('../../../main/host/yara/engine.ts');
  const before = engine.instancesLoaded;
  const buf = Buffer.alloc(1 << 20);
  buf.write('needle', 1000);
  for (let i = 0; i < 200 && engine.instancesLoaded === before; i++) {
    const r = await engine.scan(buf, 'rule r { strings: $a = "needle" condition: $a }');
    assert.deepEqual(r.rules[0]?.matches, [{ identifier: '$a', offset: 1000, length: 6 }]);
  }
  const r = await engine.scan(buf, 'rule r { strings: $a = "needle" condition: $a }');
  assert.ok(engine.instancesLoaded > before, 'a new instance was loaded');
  assert.deepEqual(r.rules[0]?.matches, [{ identifier: '$a', offset: 1000, length: 6 }]);
  assert.ok(process.listeners('uncaughtException').length === 0 || !process.listeners('uncaughtException').some((l) => String(l).includes('throw a')), 'no Emscripten rethrow handler left behind');
});
