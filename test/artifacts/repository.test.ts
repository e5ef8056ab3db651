// The artifact repository (VELOCIRAPTOR.md 2.6): built-ins plus --definitions folders walked
// recursively for .yaml/.yml, later definitions overriding earlier ones with a warning, bad files
// skipped with their problem, aliases, reload() and watch(). Every test uses real temp folders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Repository, artifactFiles, builtinArtifactsDir, formatProblem, type RepositoryChange } from '../../main/artifacts/index.ts';

const BUILTIN_DIR = fileURLToPath(new URL('../../artifacts/', import.meta.url));
const BUILTIN_NAMES = readdirSync(BUILTIN_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')).sort();

/** A fresh temp folder, removed after the test. */
function tempDir(t: { after(fn: () => void): void }, prefix = 'vql-repo-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The text of a minimal valid artifact. */
function artifact(name: string, extra = '', query = 'SELECT 1 AS X FROM scope()'): string {
  return `name: ${name}\n${extra}sources:\n  - query: ${query}\n`;
}

function write(path: string, text: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

function problemText(repo: Repository): string {
  return repo.problems.map(formatProblem).join('\n') || '(no problems)';
}

async function waitFor(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('the built-in folder is found and every built-in loads without problems', () => {
  assert.ok(BUILTIN_NAMES.length >= 5, BUILTIN_NAMES.join(', '));
  const found = builtinArtifactsDir();
  assert.ok(found, 'builtinArtifactsDir() found nothing');
  assert.equal(join(found, '/'), join(BUILTIN_DIR, '/'));
  const repo = new Repository();
  assert.deepEqual(repo.names(), BUILTIN_NAMES);
  assert.deepEqual(repo.problems.filter((p) => p.severity === 'error'), [], problemText(repo));
  for (const n of BUILTIN_NAMES) assert.equal(repo.get(n)!.builtIn, true, n);
});

test('built-ins plus --definitions folders, walked recursively; only .yaml/.yml files load', (t) => {
  const a = tempDir(t);
  const b = tempDir(t);
  write(join(a, 'Custom.One.yaml'), artifact('Custom.One'));
  write(join(a, 'deep', 'er', 'Custom.Two.yml'), artifact('Custom.Two'));
  write(join(a, 'notes.txt'), 'name: Custom.Txt\n');
  write(join(a, 'Custom.Json.json'), '{"name": "Custom.Json"}');
  write(join(a, 'README.md'), '# not an artifact\n');
  write(join(a, 'Custom.Backup.yaml.bak'), artifact('Custom.Backup'));
  write(join(b, 'sub', 'Custom.Three.yaml'), artifact('Custom.Three'));

  assert.deepEqual(artifactFiles(a), [join(a, 'Custom.One.yaml'), join(a, 'deep', 'er', 'Custom.Two.yml')]);
  const repo = new Repository({ definitions: [a, b] });
  assert.deepEqual(repo.names(), [...BUILTIN_NAMES, 'Custom.One', 'Custom.Three', 'Custom.Two'].sort());
  assert.deepEqual(repo.problems, [], problemText(repo));
  assert.equal(repo.get('Custom.Two')!.file, join(a, 'deep', 'er', 'Custom.Two.yml'));
  assert.equal(repo.get('Custom.Two')!.builtIn, false);
  assert.equal(repo.get('Custom.Txt'), undefined);
  assert.equal(repo.get('Custom.Backup'), undefined);

  const none = new Repository({ builtinDir: null, definitions: [b] });
  assert.deepEqual(none.names(), ['Custom.Three']);
});

test('a single file can be given as a definitions path', (t) => {
  const dir = tempDir(t);
  const f = write(join(dir, 'x', 'Custom.Single.yaml'), artifact('Custom.Single'));
  const repo = new Repository({ builtinDir: null, definitions: [f] });
  assert.deepEqual(repo.names(), ['Custom.Single']);
});

test('a later definition of the same name overrides, with a warning naming both files', (t) => {
  const a = tempDir(t);
  const b = tempDir(t);
  const first = write(join(a, 'Custom.Dup.yaml'), artifact('Custom.Dup', 'description: first\n'));
  const second = write(join(b, 'Custom.Dup.yaml'), artifact('Custom.Dup', 'description: second\n'));
  const repo = new Repository({ builtinDir: null, definitions: [a, b] });
  assert.equal(repo.get('Custom.Dup')!.artifact.description, 'second');
  assert.equal(repo.get('Custom.Dup')!.file, second);
  assert.equal(repo.problems.length, 1, problemText(repo));
  const p = repo.problems[0]!;
  assert.equal(p.severity, 'warning');
  const text = formatProblem(p);
  assert.ok(text.includes(first) && text.includes(second), text);
});

test('a definitions folder overrides a built-in of the same name, with a warning', (t) => {
  const dir = tempDir(t);
  const mine = write(join(dir, 'Info.yaml'), artifact('Generic.Client.Info', 'description: mine\n'));
  const repo = new Repository({ definitions: [dir] });
  assert.equal(repo.get('Generic.Client.Info')!.artifact.description, 'mine');
  assert.equal(repo.get('Generic.Client.Info')!.builtIn, false);
  const w = repo.problems.filter((p) => p.severity === 'warning');
  assert.equal(w.length, 1, problemText(repo));
  assert.ok(formatProblem(w[0]!).includes(mine));
  assert.ok(formatProblem(w[0]!).includes(join(BUILTIN_DIR, 'Generic.Client.Info.yaml')), formatProblem(w[0]!));
});

test('a bad file is skipped with its problem (file:line:column); the others still load', (t) => {
  const dir = tempDir(t);
  write(join(dir, 'A.yaml'), artifact('Custom.A'));
  const bad = write(join(dir, 'B.yaml'), 'name: Custom.B\nsources:\n  - query: SELECT * FROM scope() WHERE )\n');
  const yamlBad = write(join(dir, 'C.yaml'), 'name: Custom.C\nsources: [\n');
  write(join(dir, 'D.yaml'), artifact('Custom.D'));
  const repo = new Repository({ builtinDir: null, definitions: [dir] });
  assert.deepEqual(repo.names(), ['Custom.A', 'Custom.D']);
  const errs = repo.problems.filter((p) => p.severity === 'error');
  assert.equal(errs.length, 2, problemText(repo));
  assert.ok(formatProblem(errs[0]!).startsWith(`${bad}:3:40: error: VQL:`), formatProblem(errs[0]!));
  assert.equal(errs[1]!.file, yamlBad);
  assert.match(errs[1]!.message, /^YAML:/);
});

test('a missing definitions folder is a problem, not a crash', (t) => {
  const dir = tempDir(t);
  const missing = join(dir, 'nope');
  const repo = new Repository({ builtinDir: null, definitions: [missing] });
  assert.deepEqual(repo.names(), []);
  assert.equal(repo.problems.length, 1);
  assert.equal(repo.problems[0]!.file, missing);
  assert.equal(repo.problems[0]!.severity, 'error');
});

test('aliases resolve to the artifact; names() lists only real names', (t) => {
  const dir = tempDir(t);
  write(join(dir, 'A.yaml'), artifact('Custom.Real', 'aliases:\n  - Custom.Alias\n  - Old.Name\n'));
  const repo = new Repository({ builtinDir: null, definitions: [dir] });
  assert.deepEqual(repo.names(), ['Custom.Real']);
  assert.equal(repo.get('Custom.Alias')!.artifact.name, 'Custom.Real');
  assert.equal(repo.get('Old.Name')!.artifact.name, 'Custom.Real');
  assert.equal(repo.get('Custom.Nope'), undefined);
  assert.deepEqual(repo.suggest('Custom.Reel'), ['Custom.Real']);
});

test('reload() reports added, removed and changed names and calls onChange listeners', (t) => {
  const dir = tempDir(t);
  write(join(dir, 'Keep.yaml'), artifact('Custom.Keep'));
  const change = write(join(dir, 'Change.yaml'), artifact('Custom.Change'));
  const gone = write(join(dir, 'Gone.yaml'), artifact('Custom.Gone'));
  const repo = new Repository({ builtinDir: null, definitions: [dir] });
  const seen: RepositoryChange[] = [];
  const unsubscribe = repo.onChange((c) => seen.push(c));

  assert.deepEqual(repo.reload(), { added: [], removed: [], changed: [] });
  assert.equal(seen.length, 0, 'a reload that changed nothing must not notify');

  write(join(dir, 'New.yaml'), artifact('Custom.New'));
  writeFileSync(change, artifact('Custom.Change', 'description: edited\n'));
  unlinkSync(gone);
  const c = repo.reload();
  assert.deepEqual(c, { added: ['Custom.New'], removed: ['Custom.Gone'], changed: ['Custom.Change'] });
  assert.deepEqual(seen, [c]);
  assert.equal(repo.get('Custom.Change')!.artifact.description, 'edited');
  assert.equal(repo.get('Custom.Gone'), undefined);

  // A file that becomes invalid is removed (and its problem reported).
  writeFileSync(change, 'name: Custom.Change\nsourcez: []\n');
  assert.deepEqual(repo.reload(), { added: [], removed: ['Custom.Change'], changed: [] });
  assert.equal(repo.problems.filter((p) => p.severity === 'error').length, 1, problemText(repo));

  unsubscribe();
  writeFileSync(change, artifact('Custom.Change'));
  assert.deepEqual(repo.reload().added, ['Custom.Change']);
  assert.equal(seen.length, 2, 'an unsubscribed listener is not called');
});

test('watch() reloads after a file is written, and stops when asked', async (t) => {
  const dir = tempDir(t);
  write(join(dir, 'A.yaml'), artifact('Custom.A'));
  const repo = new Repository({ builtinDir: null, definitions: [dir] });
  const seen: RepositoryChange[] = [];
  repo.onChange((c) => seen.push(c));
  const stop = repo.watch(50);
  t.after(stop);

  write(join(dir, 'B.yaml'), artifact('Custom.B'));
  await waitFor('Custom.B to appear', () => repo.get('Custom.B') !== undefined);
  assert.ok(seen.some((c) => c.added.includes('Custom.B')), JSON.stringify(seen));

  // Also in a subfolder created after watch() started.
  write(join(dir, 'sub', 'C.yaml'), artifact('Custom.C'));
  await waitFor('Custom.C (in a new subfolder) to appear', () => repo.get('Custom.C') !== undefined);

  writeFileSync(join(dir, 'A.yaml'), artifact('Custom.A', 'description: edited\n'));
  await waitFor('Custom.A to change', () => repo.get('Custom.A')!.artifact.description === 'edited');

  unlinkSync(join(dir, 'B.yaml'));
  await waitFor('Custom.B to disappear', () => repo.get('Custom.B') === undefined);
  assert.ok(seen.some((c) => c.removed.includes('Custom.B')), JSON.stringify(seen));

  stop();
  write(join(dir, 'D.yaml'), artifact('Custom.D'));
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(repo.get('Custom.D'), undefined, 'a stopped watcher must not reload');
});
