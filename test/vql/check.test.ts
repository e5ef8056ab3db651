// The static call checks (main/vql/check.ts) against the real host registry: each finding at the
// exact line and column of the name it is about, with "did you mean" text; LET names (plain and
// parameterized), their parameters and lambda parameters are not calls to flag; nested
// subqueries are checked; Artifact.X against an artifact lookup.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScript, positionAt } from '../../main/vql/index.ts';
import { createHostRegistry } from '../../main/host/index.ts';
import { checkCalls, type ArtifactLookup, type CallFinding, type CheckOptions } from '../../main/vql/check.ts';

const registry = createHostRegistry();

/** Findings as `line:column name message`, the name read back from the text at the finding. */
function check(q: string, opts: Partial<CheckOptions> = {}): string[] {
  return checkCalls(parseScript(q).statements, { registry, ...opts }).map((f: CallFinding) => {
    const { line, column } = positionAt(q, f.offset);
    return `${line}:${column} ${q.slice(f.offset, f.offset + f.length)} ${f.message}`;
  });
}

describe('unknown plugins and functions', () => {
  test('the analyst typo: unknown plugin pslit with "did you mean pslist?" at the name', () => {
    assert.deepEqual(check('SELECT * FROM pslit()'), ['1:15 pslit unknown plugin pslit: did you mean pslist?']);
  });

  test('positions are exact on later lines and after tabs; every finding is a warning', () => {
    const q = 'SELECT Name,\n\tlenn(list=Name) AS L\nFROM  rnage(end=3)';
    assert.deepEqual(check(q), [
      '3:7 rnage unknown plugin rnage: did you mean range?',
      '2:2 lenn unknown function lenn: did you mean len?',
    ]);
    assert.ok(checkCalls(parseScript(q).statements, { registry }).every((f) => f.severity === 'warning'));
  });

  test('a function used as a plugin and a plugin used as a function say what to do', () => {
    assert.deepEqual(check('SELECT * FROM len(list=1)'), [
      '1:15 len unknown plugin len; len is a function: call it in a column, like SELECT len(...) FROM scope()',
    ]);
    assert.deepEqual(check('SELECT pslist() FROM scope()'), ['1:8 pslist unknown function pslist; pslist is a plugin: use it after FROM']);
  });

  test('nothing close: no suggestion; a Velociraptor name this engine lacks says so', () => {
    assert.deepEqual(check('SELECT * FROM zzqqxx()'), ['1:15 zzqqxx unknown plugin zzqqxx']);
    const foreign = { plugins: new Set(['wmi']), functions: new Set(['lookupSID']) };
    assert.deepEqual(check('SELECT lookupSID(sid=1) FROM wmi(query="x")', { foreign }), [
      '1:30 wmi unknown plugin wmi: Velociraptor has it, this workbench does not (here it gives no rows)',
      '1:8 lookupSID unknown function lookupSID: Velociraptor has it, this workbench does not (here it gives null)',
    ]);
  });

  test('a negated call and a backquoted name point at the name', () => {
    assert.deepEqual(check('SELECT -lenn(list=1) FROM scope()'), ['1:9 lenn unknown function lenn: did you mean len?']);
    assert.deepEqual(check('SELECT * FROM `pslit`()'), ['1:15 `pslit` unknown plugin pslit: did you mean pslist?']);
  });
});

describe('arguments', () => {
  test('unknown names at each argument, did you mean; missing required ones at the callee', () => {
    assert.deepEqual(check('SELECT * FROM range(start=1, enn=3)'), [
      '1:30 enn unknown argument enn for plugin range(): did you mean end?',
      '1:15 range plugin range() needs the argument end (int: End value (exclusive))',
    ]);
    assert.deepEqual(check('SELECT count(x=1) FROM info(y=2)'), [
      '1:29 y unknown argument y for plugin info(): it takes no arguments',
      '1:14 x unknown argument x for function count(): its arguments are items',
    ]);
  });

  test('`**` replaces the argument list, so nothing is checked; free-form builtins take anything', () => {
    assert.deepEqual(check('SELECT format(`**`=dict(format="%v", args=1)) FROM range(`**`=dict(end=2))'), []);
    const free = [...registry.functions.values()].find((f) => f.freeArgs)!;
    assert.ok(free, 'the registry has a free-form function');
    assert.deepEqual(check(`SELECT ${free.name}(anything=1, other=2) FROM scope()`), []);
  });

  test('a LET cannot override a builtin at a call site (SPEC 5.3): the builtin\'s arguments are checked', () => {
    const spec = registry.functions.get('format')!.args.format!;
    assert.deepEqual(check('LET format = 5\nSELECT format(fmt="%v") FROM scope()'), [
      '2:15 fmt unknown argument fmt for function format(): its arguments are format, args',
      `2:8 format function format() needs the argument format (string: ${spec.doc})`,
    ]);
  });
});

describe('names defined by LET, parameters and lambdas are not flagged', () => {
  test('LET names, before or after their use, in FROM and in expressions', () => {
    const q = 'SELECT * FROM procs()\nLET procs = SELECT * FROM pslist()\nLET double(x) = x * 2\nSELECT double(x=2), Later(a=1) FROM procs()\nLET Later(a) = a';
    assert.deepEqual(check(q), []);
  });

  test('a parameterized LET: its parameters are variables in its body, and only there', () => {
    const q = 'LET apply(callback, v) = callback(x=v)\nSELECT callback(x=1) FROM apply(callback=1, v=2)';
    assert.deepEqual(check(q), ['2:8 callback unknown function callback']);
  });

  test('shadowing: a name defined outside the text (another source, a parameter) is known', () => {
    assert.deepEqual(check('SELECT * FROM Helper(x=1) WHERE MyFilter(v=x)', { defined: ['Helper', 'MyFilter'] }), []);
  });

  test('FROM a.b() calls a member of variable a: only a must exist', () => {
    assert.deepEqual(check('LET a = dict(b=1)\nSELECT * FROM a.b()'), []);
    assert.deepEqual(check('SELECT * FROM nope.b()'), ['1:15 nope.b unknown plugin nope.b']);
    assert.deepEqual(check('SELECT x.y(z=1) FROM scope()'), []);
  });

  test('lambdas: parameters are known, calls inside are checked at their place in the string', () => {
    assert.deepEqual(check("SELECT filter(list=[1, 2], condition='x => x > 1 AND x(a=1)') FROM scope()"), []);
    const q = 'SELECT filter(list=[1],\n  condition="x, y => lenn(list=x) > y") FROM scope()';
    assert.deepEqual(check(q), ['2:22 lenn unknown function lenn: did you mean len?']);
    assert.equal(checkCalls(parseScript(q).statements, { registry })[0]!.inLambda, true);
    assert.deepEqual(check(q, { lambdas: false }), []);
    // Escapes move offsets: then the finding covers the whole string.
    const esc = 'SELECT filter(list=[1], condition="x => lenn(list=\\"a\\")") FROM scope()';
    assert.deepEqual(check(esc).map((s) => s.split(' ')[0]), ['1:35']);
    assert.match(check(esc)[0]!, /^1:35 "x => lenn\(list=\\"a\\"\)" unknown function lenn/);
    // A string that only looks like a lambda start, or text with "=>" in it, is left alone.
    assert.deepEqual(check('SELECT format(format="a => %v", args=1) FROM scope()'), []);
  });
});

describe('nested subqueries', () => {
  test('foreach(row={...}, query={...}): each level checked, positions exact', () => {
    const q = [
      'SELECT * FROM foreach(',
      '  row={ SELECT * FROM pslit() },',
      '  query={ SELECT lenn(list=Name), * FROM foreach(row={ SELECT * FROM range(enn=1) }, query={ SELECT * FROM procz() }) })',
    ].join('\n');
    assert.deepEqual(check(q), [
      '2:23 pslit unknown plugin pslit: did you mean pslist?',
      '3:18 lenn unknown function lenn: did you mean len?',
      '3:76 enn unknown argument enn for plugin range(): did you mean end?',
      '3:70 range plugin range() needs the argument end (int: End value (exclusive))',
      '3:108 procz unknown plugin procz',
    ]);
  });

  test('a LET body is checked too, and may call the LET itself', () => {
    assert.deepEqual(check('LET rows = SELECT * FROM foreach(row={ SELECT * FROM pslit() }, query={ SELECT * FROM rows() })'), [
      '1:54 pslit unknown plugin pslit: did you mean pslist?',
    ]);
  });
});

describe('Artifact.X', () => {
  const artifacts: ArtifactLookup = {
    parameters: (n) => (n === 'Generic.Client.Stats' ? ['Frequency'] : n === 'Custom.Mine' ? [] : undefined),
    names: () => ['Generic.Client.Stats', 'Custom.Mine'],
  };

  test('a known artifact is not flagged; source= and preconditions= are always accepted', () => {
    assert.deepEqual(check('SELECT * FROM Artifact.Generic.Client.Stats(Frequency=1, source="x", preconditions=TRUE)', { artifacts }), []);
    assert.deepEqual(check('SELECT * FROM Artifact.Custom.Mine()', { artifacts }), []);
  });

  test('an unknown artifact, with did you mean, underlines the whole dotted name', () => {
    assert.deepEqual(check('SELECT * FROM Artifact.Generic.Client.Stat()', { artifacts }), [
      '1:15 Artifact.Generic.Client.Stat unknown artifact Generic.Client.Stat: did you mean Generic.Client.Stats?',
    ]);
  });

  test('an unknown parameter, with did you mean', () => {
    assert.deepEqual(check('SELECT * FROM Artifact.Generic.Client.Stats(Frequencey=1)', { artifacts }), [
      '1:45 Frequencey unknown parameter Frequencey for artifact Generic.Client.Stats: did you mean Frequency?',
    ]);
  });

  test('without a lookup, Artifact.X calls are not checked (nor taken for unknown plugins)', () => {
    assert.deepEqual(check('SELECT * FROM Artifact.Nope()'), []);
  });
});

describe('accessor names', () => {
  const accessors = new Set(['file', 'auto', 'data']);
  test('an accessor= this workbench lacks is flagged on callees that take one', () => {
    assert.deepEqual(check(`SELECT read_file(filename='x', accessor='registry') FROM scope()`, { accessors }), [
      `1:41 'registry' unknown accessor registry for function read_file(): this workbench has file, auto, data`,
    ]);
  });
  test('a free-form callee\'s accessor= is data (a remapping config built with dict()), not flagged', () => {
    assert.deepEqual(check(`SELECT dict(type='mount', on=dict(accessor='registry', prefix='HKLM')) AS M FROM scope()`, { accessors }), []);
  });
});
