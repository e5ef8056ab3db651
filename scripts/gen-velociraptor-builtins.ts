// Generates main/artifacts/velociraptor-builtins.ts: the names of Velociraptor's built-in
// artifacts, plugins and functions that the pack exporter checks against (collisions, plugins a
// client lacks). Sources, all in ../shared (absent in a fresh clone, hence a committed file):
//   - velociraptor-artifacts/**.yaml: every artifact's name and aliases, the artifacts they
//     import or call (Artifact.X), and every plugin and function they call;
//   - reference/VELOCIRAPTOR.md: artifact names it cites, and the plugins and functions of its
//     tables (sections 4.7, 5.2, 5.3) and lists;
//   - velociraptor-testcases/cases.json: the calls in Velociraptor's own golden test queries;
//   - vql/SPEC.md section 14: vfilter's builtins (Velociraptor embeds vfilter).
// Usage: node --import tsx scripts/gen-velociraptor-builtins.ts [--shared DIR] [--check]
// --check exits 1 when the committed file differs from what would be generated.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseScript, walk, type Statement } from '../main/vql/index.ts';
import { artifactFiles, loadArtifactFile, type Artifact } from '../main/artifacts/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'main', 'artifacts', 'velociraptor-builtins.ts');
const { values } = parseArgs({ options: { shared: { type: 'string', default: join(ROOT, '..', 'shared') }, check: { type: 'boolean', default: false } } });
const SHARED = values.shared!;
const CORPUS = join(SHARED, 'velociraptor-artifacts');

const artifacts = new Set<string>();
const plugins = new Set<string>();
const functions = new Set<string>();

/** Every VQL text of an artifact. */
function vqlTexts(a: Artifact): string[] {
  const out = [a.precondition, a.export];
  for (const s of a.sources ?? []) out.push(s.precondition, s.query);
  return out.filter((t): t is string => !!t && !!t.trim());
}

/**
 * Records the plugins, functions and artifacts that `texts` call. LET-defined names and
 * `local` names (parameters) are not calls of builtins.
 */
function collectCalls(texts: string[], local: Iterable<string> = []): void {
  const statements: Statement[] = [];
  for (const text of texts) {
    try {
      statements.push(...parseScript(text).statements);
    } catch {
      continue; // the corpus test reports the two files that do not parse; their names still count
    }
  }
  const defined = new Set([...local, ...statements.filter((s) => s.kind === 'Let').map((s) => s.name.name)]);
  // Names from another artifact's export (imports) are not known here; Velociraptor's own names
  // all start lower-case, and artifact authors write their LET names capitalised.
  const builtinLike = (n: string) => /^[a-z]/.test(n) && !defined.has(n);
  for (const st of statements) {
    walk(st, (node) => {
      const call = node.kind === 'Select' && node.from.args !== undefined ? { parts: node.from.parts, set: plugins }
        : node.kind === 'Symbol' && node.args !== undefined ? { parts: node.parts, set: functions } : null;
      if (!call) return true;
      const name = call.parts.map((p) => p.name).join('.');
      if (name.startsWith('Artifact.')) artifacts.add(name.slice('Artifact.'.length));
      else if (call.parts.length === 1 && builtinLike(name)) call.set.add(name);
      return true;
    });
  }
}

const namespaces = new Set<string>();
for (const file of artifactFiles(CORPUS)) {
  const r = loadArtifactFile(file, true);
  if (!r.loaded) continue;
  const a = r.loaded.artifact;
  namespaces.add(a.name.split('.')[0]!);
  artifacts.add(a.name);
  for (const n of [...(a.aliases ?? []), ...(a.imports ?? [])]) artifacts.add(n);
  collectCalls(vqlTexts(a), (a.parameters ?? []).map((p) => p.name));
}

// Velociraptor's golden testcases (portable half): every call there is a Velociraptor builtin.
const cases = JSON.parse(readFileSync(join(SHARED, 'velociraptor-testcases', 'cases.json'), 'utf8')) as { cases: Array<{ query: string }> };
for (const c of cases.cases) collectCalls([c.query]);

// VELOCIRAPTOR.md: artifact names it cites (namespaces of the corpus only, so config keys such
// as Frontend.x and Go identifiers such as Repository.Get are left out).
const reference = readFileSync(join(SHARED, 'reference', 'VELOCIRAPTOR.md'), 'utf8');
for (const m of reference.matchAll(/`(?:Artifact\.)?([A-Z][A-Za-z0-9]*(?:\.[A-Za-z0-9_]+)+)`/g)) {
  const name = m[1]!;
  if (namespaces.has(name.split('.')[0]!) && !/\.(ya?ml|golden|go)$/.test(name)) artifacts.add(name);
}

/** Backticked identifiers in `text`, optionally followed by `()`. */
const idents = (text: string) => [...text.matchAll(/`([a-z_][a-z0-9_]*)(?:\(\))?`/g)].map((m) => m[1]!);

// Tables: the kind comes from a `kind` column (5.2) or from the header's first column (4.7, 5.3).
let headerKind: 'plugin' | 'function' | 'kind' | null = null;
for (const line of reference.split('\n')) {
  if (!line.startsWith('|')) {
    headerKind = null;
    const list = /^\s*-?\s*(plugins|functions)[^:]*:(.*)$/i.exec(line);
    if (list) for (const n of idents(list[2]!)) (list[1]!.toLowerCase() === 'plugins' ? plugins : functions).add(n);
    if (/^\s*Used by one artifact each:/.test(line)) for (const n of idents(line)) plugins.add(n);
    if (/^\s*Used by two artifacts each:/.test(line)) for (const n of idents(line)) functions.add(n);
    continue;
  }
  const cells = line.split('|').slice(1, -1).map((c) => c.trim());
  if (headerKind === null) {
    headerKind = cells.includes('kind') ? 'kind' : cells[0] === 'plugin' ? 'plugin' : cells[0] === 'function' ? 'function' : null;
    if (headerKind === null) headerKind = 'kind'; // a table without kinds: rows are skipped below
    continue;
  }
  if (/^-+$/.test(cells[0] ?? '')) continue;
  if (headerKind === 'kind') {
    const kind = cells.find((c) => c === 'plugin' || c === 'function');
    const name = idents(cells[1] ?? '')[0];
    if (kind && name) (kind === 'plugin' ? plugins : functions).add(name);
  } else {
    const name = idents(cells[0] ?? '')[0];
    if (name) (headerKind === 'plugin' ? plugins : functions).add(name);
  }
}
// Bullet lists of 5.3 name plugins under "Plugins with 1-5 uses include:"; the next lines hold them.
const few = /Plugins with 1.5 uses include:\n((?:\s*-.*\n)+)/.exec(reference);
if (few) for (const n of idents(few[1]!)) plugins.add(n);
// 4.7 "Also common in CLIENT_EVENT artifacts" and 5.2 "Implicitly required functions".
const also = /Also common in CLIENT_EVENT artifacts:\n((?:\s*-.*\n)+)/.exec(reference);
if (also) {
  const [first = '', second = ''] = also[1]!.split('\n');
  const [p = '', f = ''] = first.split('with the functions');
  for (const n of idents(p)) plugins.add(n);
  for (const n of idents(f)) functions.add(n);
  // The second line mixes both: `delay()` and `execve()` are plugins (the tables above say so).
  for (const n of idents(second)) if (!plugins.has(n)) functions.add(n);
}
const implicit = /\*\*Implicitly required functions\.\*\*[^\n]*\n((?:\s*-.*\n)+)/.exec(reference);
if (implicit) {
  for (const line of implicit[1]!.split('\n')) {
    if (line.includes('accessor')) continue; // `data` is an accessor, not a function
    for (const n of idents(line)) (line.includes(`\`${n}\` (plugin`) ? plugins : functions).add(n);
  }
}

// Prose such as "`info()` ... Exists as both a plugin (one row) and a function" (4.6).
for (const m of reference.matchAll(/`([a-z_]+)\(\)`[^\n]*Exists as both a plugin[^\n]*and a function/g)) {
  plugins.add(m[1]!);
  functions.add(m[1]!);
}

// SPEC.md section 14: vfilter's builtin plugins and functions.
const spec = readFileSync(join(SHARED, 'vql', 'SPEC.md'), 'utf8');
const s14 = spec.slice(spec.indexOf('### 14.1 Plugins'), spec.indexOf('### 14.3'));
const s141 = s14.slice(0, s14.indexOf('### 14.2'));
const s142 = s14.slice(s14.indexOf('### 14.2'));
for (const m of s141.matchAll(/^\| `([a-z_]+)`/gm)) plugins.add(m[1]!);
for (const m of s142.matchAll(/^\| ([^|]+)\|/gm)) for (const n of [...m[1]!.matchAll(/`([a-z_]+)\(?/g)].map((x) => x[1]!)) functions.add(n);

const sorted = (s: Set<string>) => [...s].sort();
const list = (name: string, doc: string, s: Set<string>) =>
  `/** ${doc} */\nexport const ${name}: ReadonlySet<string> = new Set([\n${sorted(s).map((n) => `  '${n}',`).join('\n')}\n]);\n`;

const text = `/**
 * GENERATED by scripts/gen-velociraptor-builtins.ts from ${relative(ROOT, SHARED).replace(/\\/g, '/')}: do not edit.
 * Names Velociraptor ships: the pack exporter refuses artifacts that collide with a built-in
 * artifact and warns about plugins and functions a Velociraptor client is not known to have.
 * Derived from half of Velociraptor's artifacts (the corpus), the artifacts they call, and the
 * reference, so the lists are a floor, not the whole set (${artifacts.size} of Velociraptor's ~422 artifacts).
 */

${list('VELOCIRAPTOR_ARTIFACTS', 'Built-in artifact names (and aliases).', artifacts)}
${list('VELOCIRAPTOR_PLUGINS', 'Plugins seen in built-in artifacts, the tests of Velociraptor, the reference, or vfilter.', plugins)}
${list('VELOCIRAPTOR_FUNCTIONS', 'Functions seen in built-in artifacts, the tests of Velociraptor, the reference, or vfilter.', functions)}`;

if (values.check) {
  const current = readFileSync(OUT, 'utf8');
  if (current !== text) {
    process.stderr.write(`${relative(ROOT, OUT)} is out of date: run node --import tsx scripts/gen-velociraptor-builtins.ts\n`);
    process.exitCode = 1;
  }
} else {
  writeFileSync(OUT, text);
  process.stdout.write(`wrote ${relative(ROOT, OUT)}: ${artifacts.size} artifacts, ${plugins.size} plugins, ${functions.size} functions\n`);
}
