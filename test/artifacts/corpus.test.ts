// Velociraptor's own artifact definitions (the half in ../shared/velociraptor-artifacts) must
// load, validate and parse: no error-severity problem from the loader or from the verify lint
// (main/cli/lint.ts), and every VQL field parses. A file may only fail if it is listed with its
// reason in known-divergences.json; a listed file that passes fails the test, so the list stays
// honest. Also counts the artifacts whose every plugin and function call the host registry knows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseScript, type Registry } from '../../main/vql/index.ts';
import { createHostRegistry } from '../../main/host/index.ts';
import { Repository, artifactFiles, formatProblem, loadArtifactFile, type ArtifactProblem, type LoadedArtifact } from '../../main/artifacts/index.ts';
import { lintArtifact, queryFields } from '../../main/cli/lint.ts';

const CORPUS = fileURLToPath(new URL('../../../shared/velociraptor-artifacts/', import.meta.url));
const known: Record<string, string> = JSON.parse(readFileSync(new URL('./known-divergences.json', import.meta.url), 'utf8'));

const UNKNOWN_CALL = /^unknown (plugin|function) (\S+?)\(\)/;

if (!existsSync(CORPUS)) {
  test('Velociraptor artifact corpus', (t) => t.skip(`../shared/velociraptor-artifacts is absent (${CORPUS} not found): corpus not verified`));
} else {
  const registry: Registry = createHostRegistry();
  const registryNote = 'the host registry';
  const files = artifactFiles(CORPUS);
  // The whole corpus (plus the built-ins) is the repository, so imports and Artifact.X() calls
  // between corpus artifacts resolve, as `vql artifacts verify <corpus>` does.
  const repo = new Repository({ definitions: [CORPUS] });

  interface Outcome {
    rel: string;
    errors: string[];
    loaded?: LoadedArtifact;
    unknownCalls: string[];
    unknownArtifacts: string[];
  }
  const outcomes: Outcome[] = files.map((file) => {
    const rel = relative(CORPUS, file).split('\\').join('/');
    const r = loadArtifactFile(file);
    const problems: ArtifactProblem[] = [...r.problems];
    const o: Outcome = { rel, errors: [], loaded: r.loaded, unknownCalls: [], unknownArtifacts: [] };
    if (r.loaded) {
      for (const p of lintArtifact(r.loaded, registry, repo)) {
        problems.push(p);
        const m = UNKNOWN_CALL.exec(p.message);
        if (m) o.unknownCalls.push(`${m[2]}()`);
        if (/^unknown artifact /.test(p.message)) o.unknownArtifacts.push(p.message.slice('unknown artifact '.length));
      }
      for (const { field, text } of queryFields(r.loaded)) {
        try {
          parseScript(text);
        } catch (e) {
          problems.push({ file, ...r.loaded.locate(field, 0), severity: 'error', message: `${field} does not parse: ${(e as Error).message}` });
        }
      }
    } else if (!problems.some((p) => p.severity === 'error')) {
      problems.push({ file, line: 1, column: 1, severity: 'error', message: 'did not load, without an error' });
    }
    o.errors = problems.filter((p) => p.severity === 'error').map(formatProblem);
    return o;
  });

  test(`corpus: ${files.length} Velociraptor artifact files load, validate and parse`, async (t) => {
    assert.ok(files.length > 0, `no .yaml files under ${CORPUS}`);
    for (const rel of Object.keys(known)) assert.ok(outcomes.some((o) => o.rel === rel), `known-divergences.json lists ${rel}, which is not in the corpus`);
    for (const o of outcomes) {
      await t.test(o.rel, (st) => {
        if (known[o.rel]) {
          assert.notDeepEqual(o.errors, [], `${o.rel} now passes: remove it from known-divergences.json`);
          st.skip(`known divergence: ${known[o.rel]}`);
          return;
        }
        assert.deepEqual(o.errors, [], `${o.rel}:\n${o.errors.join('\n')}`);
      });
    }
  });

  const loaded = outcomes.filter((o) => o.loaded);
  const runnable = loaded.filter((o) => o.unknownCalls.length === 0);
  const fully = runnable.filter((o) => o.unknownArtifacts.length === 0);
  test(`corpus: ${runnable.length} of ${loaded.length} artifacts call only plugins and functions ${registryNote} knows (${fully.length} with every Artifact.X() call known too)`, (t) => {
    const missing = new Map<string, number>();
    for (const o of loaded) for (const name of new Set(o.unknownCalls)) missing.set(name, (missing.get(name) ?? 0) + 1);
    const top = [...missing].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 25);
    t.diagnostic(`most-needed unknown plugins/functions (artifacts using each): ${top.map(([n, c]) => `${n} ${c}`).join(', ')}`);
    t.diagnostic(`runnable: ${runnable.map((o) => o.loaded!.artifact.name).join(', ')}`);
    assert.ok(runnable.length <= loaded.length);
    // Every artifact that loads was linted against the same registry.
    assert.equal(loaded.length + outcomes.filter((o) => !o.loaded).length, files.length);
  });
}
