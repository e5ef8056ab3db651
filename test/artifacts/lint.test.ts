// The artifact-level static checks (main/artifacts/lint.ts): call findings inside YAML land on
// the file line and column of the name, mapped exactly as the loader maps a VQL parse error
// (block scalars, plain and quoted flow scalars); LETs of other fields, imported exports and
// parameters are defined names; Artifact.X is checked against the repository. The verify
// subset (main/cli/lint.ts) keeps its three kinds and wording.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHostRegistry } from '../../main/host/index.ts';
import { Repository, loadArtifactText, type LoadedArtifact } from '../../main/artifacts/index.ts';
import { lintArtifact } from '../../main/artifacts/lint.ts';
import { lintArtifact as verifyLint } from '../../main/cli/lint.ts';

const registry = createHostRegistry();
const dir = mkdtempSync(join(tmpdir(), 'vql-lint-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, 'Custom.Helper.yaml'),
  'name: Custom.Helper\nparameters:\n  - name: Depth\nexport: |\n  LET Shared(x) = x * 2\nsources:\n  - query: SELECT Depth FROM scope()\n',
);
const repo = new Repository({ builtinDir: null, definitions: [dir] });

function load(yaml: string): LoadedArtifact {
  const r = loadArtifactText(yaml, 'Custom.Test.yaml');
  assert.ok(r.loaded, r.problems.map((p) => p.message).join('\n'));
  return r.loaded;
}

/** `line:column severity message`, with the text of the YAML at that place checked to be `name`. */
function lint(yaml: string): string[] {
  const lines = yaml.split('\n');
  return lintArtifact(load(yaml), registry, repo).map((p) => `${p.line}:${p.column} ${lines[p.line - 1]!.slice(p.column - 1).match(/^[\w.`]+/)?.[0]} ${p.severity} ${p.message}`);
}

/** Where the loader puts the VQL parse error of `yaml` (which must fail to parse). */
function parseErrorAt(yaml: string): string {
  const [p] = loadArtifactText(yaml, 'x.yaml').problems.filter((x) => x.severity === 'error');
  assert.ok(p, 'expected a VQL parse error');
  return `${p.line}:${p.column}`;
}

test('a `query: |` block: the warning sits on the name, where the loader puts a parse error there', () => {
  const head = 'name: Custom.Test\nsources:\n  - query: |\n      LET x = 1\n      SELECT * FROM foreach(row=x,\n         query={ SELECT * FROM ';
  const yaml = `${head}pslit() })\n`;
  assert.deepEqual(lint(yaml), ['6:32 pslit warning unknown plugin pslit: did you mean pslist?']);
  assert.equal(parseErrorAt(`${head},pslit() })\n`), '6:32');
});

test('plain and quoted flow scalars map through their escapes like parse errors do', () => {
  const plain = 'name: Custom.Test\nsources:\n  - query: SELECT lenn(list=1) FROM scope()\n';
  assert.deepEqual(lint(plain), ['3:19 lenn warning unknown function lenn: did you mean len?']);
  const quoted = 'name: Custom.Test\nsources:\n  - query: "SELECT \\"a\\" AS A FROM pslit()"\n';
  assert.deepEqual(lint(quoted), ['3:36 pslit warning unknown plugin pslit: did you mean pslist?']);
  assert.equal(parseErrorAt('name: Custom.Test\nsources:\n  - query: "SELECT \\"a\\" AS A FROM ,pslit()"\n'), '3:36');
});

test('LETs of other fields, imported exports and parameters are defined; arguments are checked', () => {
  const yaml = [
    'name: Custom.Test',
    'imports: [Custom.Helper]',
    'parameters:',
    '  - name: Target',
    'export: |',
    '  LET Mine = SELECT * FROM info()',
    'sources:',
    '  - query: SELECT Shared(x=1), Target FROM Mine()',
    '  - query: SELECT * FROM Target(a=1)',
    '  - query: SELECT * FROM range(start=1, stop=2)',
    '',
  ].join('\n');
  assert.deepEqual(lint(yaml), [
    '10:41 stop warning unknown argument stop for plugin range(): did you mean step?',
    '10:26 range warning plugin range() needs the argument end (int: End value (exclusive))',
  ]);
});

test('an unknown import is an error at its line; Artifact.X against the repository', () => {
  const yaml = [
    'name: Custom.Test',
    'imports:',
    '  - Custom.Nope',
    'parameters:',
    '  - name: Level',
    'sources:',
    '  - query: |',
    '      SELECT * FROM Artifact.Custom.Helper(Depht=1, source="x")',
    '  - query: SELECT * FROM Artifact.Custom.Helpr()',
    '  - query: SELECT * FROM Artifact.Custom.Test(Level=2)',
    '  - query: SELECT * FROM Artifact.Generic.Client.Stats()',
    '',
  ].join('\n');
  assert.deepEqual(lint(yaml), [
    '3:5 Custom.Nope error Artifact Custom.Test imports Custom.Nope which is not known',
    '8:44 Depht warning unknown parameter Depht for artifact Custom.Helper: did you mean Depth?',
    '9:26 Artifact.Custom.Helpr warning unknown artifact Custom.Helpr: did you mean Custom.Helper?',
    '11:26 Artifact.Generic.Client.Stats warning unknown artifact Generic.Client.Stats: Velociraptor has it, this repository does not (add it with --definitions or import it)',
  ]);
});

test('verify keeps its subset and wording (with the editor\'s suggestion): unknown plugin/function/artifact only, no lambdas', () => {
  const yaml = [
    'name: Custom.Test',
    'sources:',
    '  - query: |',
    '      SELECT lenn(list=1), filter(list=[1], condition="x => lenz(x=x)") FROM range(enn=1)',
    '  - query: SELECT * FROM Artifact.Custom.Nope() WHERE pslit()',
    '',
  ].join('\n');
  const got = verifyLint(load(yaml), registry, repo).map((p) => `${p.line}:${p.column} ${p.severity} ${p.message}`);
  assert.deepEqual(got, [
    '4:14 warning unknown function lenn(): did you mean len?',
    '5:26 warning unknown artifact Custom.Nope',
    '5:55 warning unknown function pslit(): did you mean plist or split?',
  ]);
});
