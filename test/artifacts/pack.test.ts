// Exporting Velociraptor artifact packs (VELOCIRAPTOR.md 6.4) and importing them back: real
// folders, a real repository, real zips. Import safety (zip-slip, limits) is in pack-import.test.ts.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { unzipSync, strFromU8 } from 'fflate';
import { Repository, loadArtifactText, formatProblem, type Artifact } from '../../main/artifacts/index.ts';
import { applyPrefix, buildPack, packPath, PackError, type PackOptions } from '../../main/artifacts/pack.ts';
import { importPack } from '../../main/artifacts/pack-import.ts';
import { VELOCIRAPTOR_ARTIFACTS, VELOCIRAPTOR_FUNCTIONS, VELOCIRAPTOR_PLUGINS } from '../../main/artifacts/velociraptor-builtins.ts';

const TMP = mkdtempSync(join(tmpdir(), 'vql-pack-test-'));
after(() => rmSync(TMP, { recursive: true, force: true }));
let dirs = 0;

/** A repository over a fresh folder holding `files` (no built-ins unless asked). */
function repoOf(files: Record<string, string>, builtinDir: string | null = null): Repository {
  const dir = join(TMP, `defs${dirs++}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return new Repository({ builtinDir, definitions: [dir] });
}

const A = `# A comment that must survive the export.
name: Test.Pack.A
description: Calls B and C.
type: client_event   # lower case on purpose
parameters:
  - name: Frequency
    type: int
    default: 10
  - name: Since
    type: timestamp
    default: 2020-01-01
  - name: Empty
    default:
  - name: Flag
    type: bool
    default: Y
  - name: Text
    default: already text
reference: https://example.com/a
imports:
  - Test.Pack.Lib
sources:
  - query: |
      -- the calls below are renamed with the prefix
      LET b = SELECT * FROM Artifact.Test.Pack.B(X='Test.Pack.B')
      LET c = SELECT * FROM Artifact.Test.Pack.C()
      SELECT *, Greeting FROM chain(a=b, c=c)
raw: "an internal field a server export may carry"
`;

const B = `name: Test.Pack.B
parameters:
  - name: X
sources:
  - query: "SELECT X FROM Artifact.Test.Pack.C()"
`;

const C = `name: Test.Pack.C
sources:
  - query: SELECT 1 AS One FROM scope()
`;

const LIB = `name: Test.Pack.Lib
export: |
  LET Greeting = 'hello'
sources:
  - query: SELECT Greeting FROM scope()
`;

const FILES = { 'A.yaml': A, 'B.yaml': B, 'C.yaml': C, 'Lib.yaml': LIB };
const ALL = ['Test.Pack.A', 'Test.Pack.B', 'Test.Pack.C', 'Test.Pack.Lib'];

/** The loaded artifacts of a folder, by name. */
function artifactsIn(dir: string): Map<string, Artifact> {
  const repo = new Repository({ builtinDir: null, definitions: [dir] });
  assert.deepEqual(repo.problems, []);
  return new Map(repo.names().map((n) => [n, repo.get(n)!.artifact]));
}

test('round trip: export without a prefix, import into an empty folder: identical artifacts', () => {
  const repo = repoOf(FILES);
  const pack = buildPack(repo, { names: ALL });
  assert.deepEqual(pack.refused, []);
  assert.ok(pack.zip);
  const out = join(TMP, 'roundtrip');
  const r = importPack(pack.zip, { dir: out, lookup: () => undefined });
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.imported.map((a) => a.name).sort(), ALL);
  const back = artifactsIn(out);
  for (const n of ALL) assert.deepEqual(back.get(n), repo.get(n)!.artifact, n);
});

test('round trip with a prefix: the same artifacts, renamed, with the references between them renamed', () => {
  const repo = repoOf(FILES);
  const pack = buildPack(repo, { names: ALL, prefix: 'Custom.' });
  assert.deepEqual(pack.refused, []);
  const out = join(TMP, 'roundtrip-prefix');
  importPack(pack.zip!, { dir: out, lookup: () => undefined });
  const back = artifactsIn(out);
  assert.deepEqual([...back.keys()].sort(), ALL.map((n) => `Custom.${n}`));
  // Renaming the originals by hand gives exactly what came back.
  const rename = (s: string) => s.replace(/Artifact\.Test\.Pack\./g, 'Artifact.Custom.Test.Pack.');
  for (const n of ALL) {
    const a = structuredClone(repo.get(n)!.artifact);
    a.name = `Custom.${n}`;
    if (a.imports) a.imports = a.imports.map((i) => `Custom.${i}`);
    for (const s of a.sources ?? []) if (s.query) s.query = rename(s.query);
    assert.deepEqual(back.get(`Custom.${n}`), a, n);
  }
});

test('the prefix is applied by editing the text: comments and layout survive, only the needed spots change', () => {
  const pack = buildPack(repoOf(FILES), { names: ALL, prefix: 'Custom.' });
  const a = pack.entries.find((e) => e.original === 'Test.Pack.A')!;
  assert.equal(a.path, 'Custom/Test/Pack/A.yaml');
  const expected = A
    .replace('name: Test.Pack.A', 'name: Custom.Test.Pack.A')
    .replace('type: client_event', 'type: CLIENT_EVENT')
    .replace('default: 10', 'default: "10"')
    .replace('default: 2020-01-01', 'default: "2020-01-01"')
    .replace('default:\n', 'default: ""\n')
    .replace('default: Y', 'default: "Y"')
    .replace('reference: https://example.com/a', 'reference: ["https://example.com/a"]')
    .replace('  - Test.Pack.Lib', '  - Custom.Test.Pack.Lib')
    .replace('Artifact.Test.Pack.B(', 'Artifact.Custom.Test.Pack.B(')
    .replace('Artifact.Test.Pack.C(', 'Artifact.Custom.Test.Pack.C(')
    .replace(/raw: .*\n/, '');
  assert.equal(a.text, expected);
  // A double-quoted query is edited inside its quotes.
  assert.equal(pack.entries.find((e) => e.original === 'Test.Pack.B')!.text, B.replace('Test.Pack.B', 'Custom.Test.Pack.B').replace('Artifact.Test.Pack.C', 'Artifact.Custom.Test.Pack.C'));
});

test('the zip holds one YAML file per artifact at its name split on dots; defaults are YAML strings', () => {
  const pack = buildPack(repoOf(FILES), { names: ALL, prefix: 'Custom.' });
  const files = unzipSync(pack.zip!);
  assert.deepEqual(Object.keys(files).sort(), ALL.map((n) => packPath(`Custom.${n}`)).sort());
  const doc = yaml.load(strFromU8(files['Custom/Test/Pack/A.yaml']!)) as { parameters: Array<{ default: unknown }> };
  for (const p of doc.parameters) assert.equal(typeof p.default, 'string', JSON.stringify(p));
});

test('a prefix is not doubled; a name already in it keeps its name', () => {
  assert.equal(applyPrefix('Custom.Foo', 'Custom.'), 'Custom.Foo');
  assert.equal(applyPrefix('Foo', 'Custom.'), 'Custom.Foo');
  assert.equal(applyPrefix('Foo', ''), 'Foo');
  const pack = buildPack(repoOf({ 'X.yaml': C.replace('Test.Pack.C', 'Custom.Already') }), { names: ['Custom.Already'], prefix: 'Custom.' });
  assert.deepEqual(pack.entries.map((e) => e.name), ['Custom.Already']);
});

test('references to artifacts that are not chosen are left alone, and warned about when Velociraptor lacks them', () => {
  const pack = buildPack(repoOf(FILES), { names: ['Test.Pack.A'], prefix: 'Custom.' });
  const text = pack.entries[0]!.text;
  assert.match(text, /Artifact\.Test\.Pack\.B\(/);
  assert.match(text, /- Test\.Pack\.Lib/);
  const w = pack.warnings.map(formatProblem);
  assert.ok(w.some((m) => /A\.yaml:25:38: warning: Artifact\.Test\.Pack\.B is neither in the pack nor a Velociraptor built-in/.test(m)), w.join('\n'));
  assert.ok(w.some((m) => /A\.yaml:21:5: warning: imports Test\.Pack\.Lib is neither in the pack/.test(m)), w.join('\n'));
});

test('warnings: a string naming a renamed artifact, calls Velociraptor is not known to have; an unknown permission is refused', () => {
  const odd = `name: Test.Pack.Odd
sources:
  - query: |
      SELECT no_such_function(x=1), host_only(x=2) FROM no_such_plugin()
`;
  const perm = `name: Test.Pack.Perm
required_permissions:
  - NOT_A_PERMISSION
sources:
  - query: SELECT * FROM Artifact.Test.Pack.C()
`;
  const repo = repoOf({ ...FILES, 'Odd.yaml': odd, 'Perm.yaml': perm });
  const opts: PackOptions = { names: ['Test.Pack.A', 'Test.Pack.B', 'Test.Pack.C', 'Test.Pack.Odd', 'Test.Pack.Perm'], prefix: 'Custom.', host: { plugins: new Set(), functions: new Set(['host_only']) } };
  const pack = buildPack(repo, opts);
  const w = pack.warnings.map(formatProblem).join('\n');
  assert.match(w, /A\.yaml:25:52: warning: the string 'Test\.Pack\.B' names an artifact that the pack renames to Custom\.Test\.Pack\.B/);
  assert.match(w, /Odd\.yaml:4:14: warning: function no_such_function\(\) is unknown to this workbench/);
  assert.match(w, /Odd\.yaml:4:37: warning: function host_only\(\) is a workbench addition/);
  assert.match(w, /Odd\.yaml:4:57: warning: plugin no_such_plugin\(\) is unknown/);
  assert.doesNotMatch(w, /chain\(\)|scope\(\)/, 'vfilter builtins are known to Velociraptor');
  // Perm is refused: an unknown required permission makes a server refuse the upload.
  assert.deepEqual(pack.refused.map((r) => r.name), ['Test.Pack.Perm']);
  assert.match(formatProblem(pack.refused[0]!.problems[0]!), /Perm\.yaml:3:5: error: unknown permission 'NOT_A_PERMISSION'/);
});

test('a reference to a chosen artifact that was refused is a warning naming the refusal', () => {
  const bad = C.replace('Test.Pack.C', 'Test.Pack.C').replace('sources:', 'required_permissions: [NOPE]\nsources:');
  const pack = buildPack(repoOf({ 'B.yaml': B, 'C.yaml': bad }), { names: ['Test.Pack.B', 'Test.Pack.C'], prefix: 'Custom.' });
  assert.deepEqual(pack.refused.map((r) => r.name), ['Test.Pack.C']);
  assert.ok(pack.warnings.some((p) => /Artifact\.Test\.Pack\.C was refused/.test(p.message)), pack.warnings.map(formatProblem).join('\n'));
});

test('a collision with a Velociraptor built-in name is refused, with where and what to do; a prefix fixes it', () => {
  assert.ok(VELOCIRAPTOR_ARTIFACTS.has('Generic.Client.Stats'));
  const stats = readFileSync(new URL('../../artifacts/Generic.Client.Stats.yaml', import.meta.url), 'utf8');
  const repo = repoOf({ 'Stats.yaml': stats });
  const bare = buildPack(repo, { names: ['Generic.Client.Stats'] });
  assert.equal(bare.zip, undefined);
  assert.equal(bare.refused.length, 1);
  assert.match(formatProblem(bare.refused[0]!.problems[0]!), /Stats\.yaml:1:7: error: Generic\.Client\.Stats is the name of a Velociraptor built-in artifact.*Use a prefix such as Custom\./);
  const prefixed = buildPack(repo, { names: ['Generic.Client.Stats'], prefix: 'Custom.' });
  assert.deepEqual(prefixed.refused, []);
  assert.deepEqual(prefixed.entries.map((e) => e.name), ['Custom.Generic.Client.Stats']);
  // Its parameter default is a string and the server snippet names it with that default.
  assert.match(prefixed.serverConfig, /add_client_monitoring\(artifact='Custom\.Generic\.Client\.Stats', parameters=dict\(Frequency='10'\)\)/);
});

test('aliases are names: the prefix applies to them; an alias that is a Velociraptor built-in is refused without one', () => {
  const aliased = `name: Test.Pack.Aliased
aliases:
  - Generic.Client.Stats
sources:
  - query: SELECT 1 AS One FROM scope()
`;
  const caller = `name: Test.Pack.Caller
sources:
  - query: SELECT * FROM Artifact.Generic.Client.Stats()
`;
  const repo = repoOf({ 'Aliased.yaml': aliased, 'Caller.yaml': caller });
  const bare = buildPack(repo, { names: ['Test.Pack.Aliased'] });
  assert.match(formatProblem(bare.refused[0]!.problems[0]!), /Aliased\.yaml:3:5: error: alias Generic\.Client\.Stats is the name of a Velociraptor built-in artifact/);
  const prefixed = buildPack(repo, { names: ['Test.Pack.Aliased', 'Test.Pack.Caller'], prefix: 'Custom.' });
  assert.deepEqual(prefixed.refused, []);
  assert.match(prefixed.entries[0]!.text, /aliases:\n {2}- Custom\.Generic\.Client\.Stats\n/);
  // A call through the alias of a chosen artifact is renamed with it.
  assert.match(prefixed.entries[1]!.text, /FROM Artifact\.Custom\.Generic\.Client\.Stats\(\)/);
});

test('refusals: an unknown name (with did-you-mean and the problems of its file), two names made one, a bad prefix', () => {
  const broken = `name: Test.Pack.Broken
sources:
  - query: |
      SELECT 1 FROM scope()
      SELECT 2 FROM scope()
`;
  const repo = repoOf({ ...FILES, 'Test.Pack.Broken.yaml': broken, 'Dup.yaml': C.replace('Test.Pack.C', 'Custom.Test.Pack.C') });
  const pack = buildPack(repo, { names: ['Test.Pack.Cc', 'Test.Pack.Broken', 'Test.Pack.C', 'Custom.Test.Pack.C'], prefix: 'Custom.' });
  const byName = new Map(pack.refused.map((r) => [r.name, r.problems.map(formatProblem).join('\n')]));
  assert.match(byName.get('Test.Pack.Cc')!, /Artifact Test\.Pack\.Cc not found - did you mean `Test\.Pack\.C`/);
  assert.match(byName.get('Test.Pack.Broken')!, /Test\.Pack\.Broken\.yaml:4:7: error: only the last statement of a source query may be a SELECT/);
  assert.match(byName.get('Custom.Test.Pack.C')!, /two chosen artifacts are both named Custom\.Test\.Pack\.C/);
  assert.deepEqual(pack.entries.map((e) => e.name), ['Custom.Test.Pack.C']);
  assert.throws(() => buildPack(repo, { names: ['Test.Pack.C'], prefix: 'My-' }), PackError);
  assert.throws(() => buildPack(repo, { names: ['Test.Pack.C'], prefix: '9.' }), /no part of an artifact name may start with a digit/);
  assert.throws(() => buildPack(repo, { names: [] }), /choose at least one artifact/);
});

test('a reference that cannot be placed in the text (a folded query) makes the artifact written anew, with a warning', () => {
  const folded = `name: Test.Pack.Folded
# this comment is lost when the file is written anew
sources:
  - query: >
      SELECT *
      FROM Artifact.Test.Pack.C()
`;
  const pack = buildPack(repoOf({ 'C.yaml': C, 'F.yaml': folded }), { names: ['Test.Pack.Folded', 'Test.Pack.C'], prefix: 'Custom.' });
  assert.deepEqual(pack.refused, []);
  const f = pack.entries.find((e) => e.original === 'Test.Pack.Folded')!;
  assert.ok(pack.warnings.some((w) => /Test\.Pack\.Folded was written out anew/.test(w.message)));
  const again = loadArtifactText(f.text, 'again.yaml');
  assert.ok(again.loaded, again.problems.map(formatProblem).join('\n'));
  assert.equal(again.loaded.artifact.name, 'Custom.Test.Pack.Folded');
  assert.match(again.loaded.artifact.sources![0]!.query!, /FROM Artifact\.Custom\.Test\.Pack\.C\(\)/);
  assert.match(f.text, /^type: CLIENT$/m);
});

test('the server snippet: CLIENT_EVENT artifacts under the config key and as add_client_monitoring() with their defaults', () => {
  const pack = buildPack(repoOf(FILES), { names: ALL, prefix: 'Custom.' });
  const cfg = yaml.load(pack.serverConfig) as { Frontend: Record<string, string[]> };
  assert.deepEqual(cfg, { Frontend: { default_client_monitoring_artifacts: ['Custom.Test.Pack.A'] } });
  assert.match(pack.serverConfig, /add_client_monitoring\(artifact='Custom\.Test\.Pack\.A', parameters=dict\(Frequency='10', Since='2020-01-01', Empty='', Flag='Y', Text='already text'\)\)/);
  assert.equal(buildPack(repoOf(FILES), { names: ['Test.Pack.C'] }).serverConfig, '', 'no event artifact, no snippet');
});

test('the generated Velociraptor lists hold the names the checks rely on', () => {
  for (const p of ['foreach', 'chain', 'range', 'clock', 'pslist', 'glob', 'info']) assert.ok(VELOCIRAPTOR_PLUGINS.has(p), p);
  for (const f of ['dict', 'format', 'timestamp', 'getpid', 'rate', 'if']) assert.ok(VELOCIRAPTOR_FUNCTIONS.has(f), f);
  assert.ok(!VELOCIRAPTOR_PLUGINS.has('Artifact.Generic.Client.Stats'));
  assert.ok(![...VELOCIRAPTOR_ARTIFACTS].some((n) => n.startsWith('Custom.')), 'examples of the reference are not built-ins');
});

test('the generated file is up to date with ../shared (skipped without it)', (t) => {
  const shared = new URL('../../../shared/velociraptor-artifacts/', import.meta.url);
  try {
    readdirSync(shared);
  } catch {
    return t.skip('../shared is absent: the committed list is used as is');
  }
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/gen-velociraptor-builtins.ts', '--check'], { cwd: new URL('../..', import.meta.url), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test("Velociraptor's own artifacts (the corpus) export with a prefix and import back identical, renamed (skipped without ../shared)", (t) => {
  const corpus = fileURLToPath(new URL('../../../shared/velociraptor-artifacts/', import.meta.url));
  if (!existsSync(corpus)) return t.skip('../shared/velociraptor-artifacts is absent');
  const repo = new Repository({ builtinDir: null, definitions: [corpus] });
  const names = repo.names();
  const pack = buildPack(repo, { names, prefix: 'Custom.' });
  assert.deepEqual(pack.refused.map((r) => r.name), []);
  assert.ok(!pack.warnings.some((w) => /written out anew/.test(w.message)), 'every file is edited in place');
  const out = join(TMP, 'corpus');
  const r = importPack(pack.zip!, { dir: out, lookup: () => undefined });
  assert.deepEqual(r.problems, []);
  const back = artifactsIn(out);
  assert.equal(back.size, names.length);
  // The oracle renames by hand: every name, alias and import of the pack, and every Artifact.X call to one.
  const inPack = new Set(names);
  const rename = (vql?: string) => vql?.replace(/Artifact\.([A-Za-z0-9_.]+)/g, (m, n: string) => (inPack.has(n) ? `Artifact.Custom.${n}` : m));
  for (const n of names) {
    const a = structuredClone(repo.get(n)!.artifact);
    a.name = `Custom.${n}`;
    if (a.aliases) a.aliases = a.aliases.map((x) => `Custom.${x}`);
    if (a.imports) a.imports = a.imports.map((x) => (inPack.has(x) ? `Custom.${x}` : x));
    a.precondition = rename(a.precondition);
    a.export = rename(a.export);
    for (const s of a.sources ?? []) {
      s.query = rename(s.query);
      s.precondition = rename(s.precondition);
    }
    assert.deepEqual(JSON.parse(JSON.stringify(back.get(`Custom.${n}`))), JSON.parse(JSON.stringify(a)), n);
  }
});
