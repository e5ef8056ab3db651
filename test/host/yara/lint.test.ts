// yara_lint(): unsupported imports and the rules using them, rules that do not compile and
// rules referencing removed ones are dropped; clean= strips meta and comments; verbose= logs
// why; a rule set that cannot be tokenized gives NULL and an error with line:column. Also the
// tokenizer/splitter (rule-text.ts) on comments, strings, regexes and hex strings with braces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { q } from './helpers.ts';
import { moduleSupported } from '../../../main/host/yara/lint.ts';
import { RuleTextError, ruleText, splitRules, tokenize, type RuleItem } from '../../../main/host/yara/rule-text.ts';


/** yara_lint's result (a string or null) and the log. */
async function lint(rules: string, opts: { clean?: boolean; verbose?: boolean } = {}): Promise<{ out: string | null; logs: string[] }> {
  const { rows, logs } = await q('SELECT yara_lint(rules=R, clean=C, verbose=V) AS X FROM scope()', { R: rules, C: opts.clean ?? false, V: opts.verbose ?? false });
  return { out: rows[0]!.X, logs };
}

/** The names of the rules in a rule set. */
function names(rules: string): string[] {
  return splitRules(rules).flatMap((i) => (i.kind === 'rule' ? [i.name] : []));
}

test('the engine is asked which modules it has (cached): libyara-wasm has pe, elf, math, hash, time, dotnet, not cuckoo or magic', async () => {
  for (const m of ['pe', 'elf', 'math', 'hash', 'time', 'dotnet']) assert.equal(await moduleSupported(m), true, m);
  for (const m of ['cuckoo', 'magic', 'no_such_module']) assert.equal(await moduleSupported(m), false, m);
  assert.equal(moduleSupported('pe'), moduleSupported('pe'), 'one lookup per module');
});

test('golden vector (Velociraptor yara_lint.in.yaml #2): the cleaned rules load in yara() and give no rows, no error', async () => {
  const query = `LET YaraRules <= '''import "pe"

/* We don't support import "hash" so this import should be removed. */
import "hash"

rule Hive {
   condition: pe.imphash() == "f34d5f2d4577ed6d9ceec516c1f5a744"
}

rule BadRule {
   condition: hash.sha256(0, filesize) == "ab05"
}
'''
LET Cleaned <= yara_lint(clean=TRUE, rules=YaraRules)
SELECT * FROM yara(rules=Cleaned, accessor="data", files="Hello")`;
  const { rows, logs } = await q(query);
  assert.deepEqual(rows, []);
  assert.deepEqual(logs.filter((l) => l.startsWith('error')), []);
  // Our engine has the hash module (Velociraptor's build does not): the import and BadRule stay.
  const { rows: r2 } = await q(query.replace(/SELECT \* FROM yara[^\n]*$/, 'SELECT Cleaned FROM scope()'));
  assert.equal(
    r2[0]!.Cleaned,
    'import "pe"\nimport "hash"\n\nrule Hive {\n   condition: pe.imphash() == "f34d5f2d4577ed6d9ceec516c1f5a744"\n}\n\n' +
      'rule BadRule {\n   condition: hash.sha256(0, filesize) == "ab05"\n}\n',
  );
});

test('an import the engine does not support is removed with the rules that use it', async () => {
  const { out, logs } = await lint(`import "pe"
import "cuckoo"
rule UsesCuckoo { condition: cuckoo.network.http_request(/evil/) }
rule UsesPe { condition: pe.number_of_sections > 1 }
rule Plain { strings: $a = "x" condition: $a }
`);
  assert.deepEqual(logs, []);
  assert.equal(out, 'import "pe"\n\nrule UsesPe { condition: pe.number_of_sections > 1 }\n\nrule Plain { strings: $a = "x" condition: $a }\n');
});

test('a rule that does not compile is removed; the others are kept and still match in yara()', async () => {
  const rules = `rule Good1 { strings: $a = "hello" condition: $a }
rule Broken { strings: $a = "x" condition: $b }
rule Syntax { condition: (true }
rule Undefined { condition: no_such_thing }
rule Good2 { condition: filesize > 3 }
`;
  const { out } = await lint(rules);
  assert.deepEqual(names(out!), ['Good1', 'Good2']);
  const { rows, logs } = await q('SELECT Rule FROM yara(rules=yara_lint(rules=R), accessor="data", files="say hello", number=10)', { R: rules });
  assert.deepEqual(logs, []);
  assert.deepEqual(rows.map((r) => r.Rule).sort(), ['Good1', 'Good2']);
  // Without yara_lint the set does not compile at all.
  const raw = await q('SELECT Rule FROM yara(rules=R, accessor="data", files="say hello")', { R: rules });
  assert.deepEqual(raw.rows, []);
  assert.match(raw.logs.join('\n'), /do not compile/);
});

test('a rule referencing a removed rule is removed, in turn (also through a wildcard)', async () => {
  const { out, logs } = await lint(
    `import "magic"
rule A { condition: magic.mime_type() == "text/plain" }
rule B { condition: A or filesize > 0 }
rule C { condition: B }
rule Bad { condition: undefined_identifier }
rule UsesBad { condition: Bad }
rule Prefix_1 { condition: undefined_too }
rule Any { condition: any of (Prefix_*) }
rule Kept { condition: not C or true }
rule Ok { condition: true }
rule UsesOk { condition: Ok }
`,
    { verbose: true },
  );
  assert.deepEqual(names(out!), ['Ok', 'UsesOk']);
  const text = logs.join('\n');
  assert.match(text, /removed rule "B" \(line 3\): it references the removed rule "A"/);
  assert.match(text, /removed rule "C" \(line 4\): it references the removed rule "B"/);
  assert.match(text, /removed rule "UsesBad" \(line 6\): it references the removed rule "Bad"/);
  assert.match(text, /removed rule "Any" \(line 8\): it references the removed rule "Prefix_1"/);
  assert.match(text, /removed rule "Kept" \(line 9\): it references the removed rule "C"/);
});

test('clean= removes meta sections and comments but keeps the strings and the condition as written', async () => {
  const rules = `// A header comment
rule Evil : malware {
  meta:
    author = "someone" // who
    score = 75
  strings:
    $a = "evil" wide ascii /* both */
    $b = { DE AD /* inline */ BE EF }
  condition:
    // any of them
    any of them
}
rule OneLine { meta: a = 1 condition: true }
`;
  const { out } = await lint(rules, { clean: true });
  assert.equal(
    out,
    'rule Evil : malware {\n  strings:\n    $a = "evil" wide ascii\n    $b = { DE AD BE EF }\n  condition:\n    any of them\n}\n\n' +
      'rule OneLine { condition: true }\n',
  );
  // Without clean the rules come back as written (comments before a rule stay with it).
  const { out: kept } = await lint(rules);
  assert.equal(kept, rules.replace('\nrule OneLine', '\n\nrule OneLine'));
  // yara() then gives no Meta.
  const { rows } = await q('SELECT Rule, Meta, Tags FROM yara(rules=yara_lint(rules=R, clean=TRUE), accessor="data", files="an evil one")', { R: rules });
  assert.deepEqual(rows, [{ Rule: 'Evil', Meta: null, Tags: ['malware'] }]);
});

test('verbose= logs each removed import and rule with the reason; without it nothing is logged', async () => {
  const rules = `import "cuckoo"
rule A { condition: cuckoo.sync.mutex(/x/) }
rule B { strings: $a = "x" condition: true }
rule B { condition: true }
rule C { condition: true }
`;
  const quiet = await lint(rules);
  assert.deepEqual(quiet.logs, []);
  assert.equal(quiet.out, 'rule C { condition: true }\n');
  const { logs } = await lint(rules, { verbose: true });
  assert.deepEqual(logs, [
    'info: yara_lint: removed import "cuckoo" (line 1): the YARA engine does not support this module',
    'info: yara_lint: removed rule "A" (line 2): it uses the module "cuckoo", which the YARA engine does not support',
    'info: yara_lint: removed rule "B" (line 4): a rule named "B" comes before it',
    'info: yara_lint: removed rule "B" (line 3): it does not compile: unreferenced string "$a"',
  ]);
});

test('include lines are removed with a warning (there are no files to include)', async () => {
  const { out, logs } = await lint('include "other.yar"\nrule A { condition: true }\n');
  assert.equal(out, 'rule A { condition: true }\n');
  assert.deepEqual(logs, ['warn: yara_lint: argument rules: line 1: include "other.yar" removed: includes are not supported']);
});

test('a rule set that cannot be tokenized gives NULL and an error naming the argument and line:column', async () => {
  const cases: Array<[string, string]> = [
    ['rule A { condition: true }\nrule B {\n  strings: $a = "abc\n  condition: $a }', 'line 3:17: unterminated string'],
    ['rule A { condition: true }\n  /* never closed', 'line 2:3: unterminated comment'],
    ['rule A { strings: $a = /abc\n condition: $a }', 'line 1:24: unterminated regular expression'],
    ['rule A { strings: $a = { 01 02 ', 'line 1:24: unterminated hex string'],
    ['rule A { condition: true', 'line 1:8: rule "A": no closing }'],
    ['rule A { condition: true }\nwhat is this', 'line 2:1: expected rule, import or include, found "what"'],
  ];
  for (const [rules, msg] of cases) {
    const { out, logs } = await lint(rules);
    assert.equal(out, null, rules);
    assert.deepEqual(logs, [`error: yara_lint: argument rules: ${msg}`]);
  }
  assert.throws(() => tokenize('x "abc'), (e) => e instanceof RuleTextError && e.line === 1 && e.column === 3);
});

test('braces and the word "rule" in comments, strings, regexes and hex strings do not confuse the splitter', async () => {
  const rules = `/* rule Fake { condition: true } */
rule Real1 {
  meta:
    description = "a } brace and rule X { here"
  strings:
    $a = "} rule Y {" // rule Z {
    $b = /\\}rule\\{[}]/ nocase
    $c = { 7D 72 // } rule
           75 6C 65 /* } */ }
  condition:
    any of them
}
// rule Fake2 {
rule Real2 { condition: Real1 }
`;
  const items = splitRules(rules);
  assert.deepEqual(items.map((i) => (i.kind === 'rule' ? i.name : i.kind)), ['Real1', 'Real2']);
  const { out, logs } = await lint(rules);
  assert.deepEqual(logs, []);
  assert.equal(out, rules.replace('}\n// rule Fake2', '}\n\n// rule Fake2'));
  const cleaned = await lint(rules, { clean: true });
  assert.equal(
    cleaned.out,
    'rule Real1 {\n  strings:\n    $a = "} rule Y {"\n    $b = /\\}rule\\{[}]/ nocase\n    $c = { 7D 72\n           75 6C 65 }\n  condition:\n    any of them\n}\n\n' +
      'rule Real2 { condition: Real1 }\n',
  );
  const { rows } = await q('SELECT Rule FROM yara(rules=yara_lint(rules=R, clean=TRUE), accessor="data", files="x} rule Y {x", number=5)', { R: rules });
  assert.deepEqual(rows.map((r) => r.Rule), ['Real1', 'Real2']);
});

test('the splitter reads modifiers, tags, sections and the condition\'s identifiers', () => {
  const src = 'private global rule R : t1 t2 { meta: a = 1 strings: $x = "a" condition: $x and pe.is_pe and Other and any of (Pre*) and math.entropy(0, 1) > 2 * 3 }';
  const [r] = splitRules(src) as RuleItem[];
  assert.equal(r!.name, 'R');
  assert.deepEqual(r!.modifiers, ['private', 'global']);
  assert.deepEqual(r!.tags, ['t1', 't2']);
  assert.deepEqual(r!.sections.map((s) => s.name), ['meta', 'strings', 'condition']);
  assert.deepEqual([...r!.modulesUsed].sort(), ['math', 'pe']);
  assert.ok(r!.conditionWords.has('Other') && !r!.conditionWords.has('is_pe'));
  assert.deepEqual(r!.wildcards, ['Pre']);
  assert.equal(ruleText(src, r!, true), 'private global rule R : t1 t2 { strings: $x = "a" condition: $x and pe.is_pe and Other and any of (Pre*) and math.entropy(0, 1) > 2 * 3 }');
});

test('empty rules give an empty string; a set with only removed rules keeps its supported imports', async () => {
  assert.deepEqual(await lint(''), { out: '', logs: [] });
  assert.deepEqual(await lint('import "pe"\nrule A { condition: nope }\n'), { out: 'import "pe"\n', logs: [] });
});
