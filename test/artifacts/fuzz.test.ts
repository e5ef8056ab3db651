// Mutation fuzzing of the artifact loader: artifact files built from the built-in artifacts and
// a sample of Velociraptor's corpus, mutated (lines deleted, duplicated, swapped, re-indented;
// random characters, YAML punctuation, quotes, tabs, unicode inserted; truncated). Every mutant
// must load or return problems (never throw, never hang), every problem must have a 1-based
// line and column inside the text, and a file that loads must have a valid name.
// Deterministic: a fixed seed. The loader runs in a worker (fuzz-worker.ts) so that a hang is
// caught by a watchdog instead of freezing the test run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { artifactFiles } from '../../main/artifacts/index.ts';
import type { FuzzInput, FuzzMessage } from './fuzz-worker.ts';
import { prng } from '../helpers/prng.ts';

const MUTANTS = 6_000;
const SEED = 0xa27f_ac75;
const CORPUS_SAMPLE = 40;
/** The tsx loader and the worker module, for the worker thread. */
const TSX_API = import.meta.resolve('tsx/esm/api');
const WORKER = new URL('./fuzz-worker.ts', import.meta.url).href;
/** No progress for this long means the loader hangs. */
const HANG_MS = 20_000;


const rand = prng(SEED);
const int = (n: number) => Math.floor(rand() * n);
function pick<T>(items: readonly T[]): T {
  return items[int(items.length)]!;
}

// ---------------------------------------------------------------------------------------------
// seeds

const BUILTIN_DIR = fileURLToPath(new URL('../../artifacts/', import.meta.url));
const CORPUS = fileURLToPath(new URL('../../../shared/velociraptor-artifacts/', import.meta.url));

const builtins = readdirSync(BUILTIN_DIR).filter((f) => f.endsWith('.yaml')).sort().map((f) => readFileSync(join(BUILTIN_DIR, f), 'utf8'));
let corpus: string[] = [];
if (existsSync(CORPUS)) {
  const files = artifactFiles(CORPUS);
  const step = Math.max(1, Math.floor(files.length / CORPUS_SAMPLE));
  corpus = files.filter((_, i) => i % step === 0).slice(0, CORPUS_SAMPLE).map((f) => readFileSync(f, 'utf8'));
}
/** Small hand-written artifacts exercising the deprecated and unusual forms. */
const extras = [
  'name: Custom.Queries\nsources:\n  - queries:\n      - LET a = SELECT 1 AS X FROM scope()\n      - SELECT * FROM a\n',
  'name: Custom.Bare\nprecondition:\n  SELECT * FROM info()\nsources:\n  - query:\n      SELECT 1 FROM scope() -- comment\n',
  "name: Custom.Quoted\nsources:\n  - precondition: 'SELECT * FROM info() WHERE OS = \"linux\"'\n    query: \"SELECT 1 AS X FROM scope()\"\n",
  'name: Custom.Anchors\nparameters:\n  - &p\n    name: A\n    default: 1\nsources:\n  - query: SELECT A FROM scope()\n',
  'name: Custom.Flow\nparameters: [{name: A, default: 1}, {name: B, type: bool}]\nsources: [{query: "SELECT A, B FROM scope()"}]\n',
  'name: Custom.CRLF\r\nsources:\r\n  - query: |\r\n      SELECT 1 FROM scope()\r\n',
];
const SEEDS = [...builtins, ...corpus, ...extras];

// ---------------------------------------------------------------------------------------------
// mutations

const INSERTS = [
  ':', ': ', '-', '- ', '|', '|-', '>', "'", '"', '\t', '#', '&a ', '*a', '!', '!!str ', '%', '@', '`', '{', '}', '[', ']', ',',
  '?', '? ', '\n', '\r', '\r\n', ' ', '  ', '\\', '---\n', '...\n', 'é', '😀', '\u0000', '\uFEFF', '\uD800', '\u2028', '\u0085',
  'ß', '中', '\u200b', '<<: *a\n', 'query:', 'precondition:\n', 'queries:\n  - SELECT', ' SELECT ', ' LET x = ', ' WHERE )',
  'name: ', 'name: 1.x\n', 'type: client_event\n', 'sources:\n', 'default: ', '\n  - ', '\n    ', '~', 'null', '0x', '1e9',
];

function mutateOnce(text: string): string {
  const lines = text.split('\n');
  const li = int(lines.length);
  switch (int(10)) {
    case 0: // delete a line
      lines.splice(li, 1);
      return lines.join('\n');
    case 1: // duplicate a line
      lines.splice(li, 0, lines[li]!);
      return lines.join('\n');
    case 2: { // swap two lines
      const lj = int(lines.length);
      [lines[li], lines[lj]] = [lines[lj]!, lines[li]!];
      return lines.join('\n');
    }
    case 3: { // change the indentation of a line
      const body = lines[li]!.replace(/^[ \t]*/, '');
      lines[li] = pick(['', ' ', '  ', '   ', '    ', '      ', '\t', ' \t', '        ']) + body;
      return lines.join('\n');
    }
    case 4: { // insert punctuation, quotes, tabs, unicode...
      const at = int(text.length + 1);
      return text.slice(0, at) + pick(INSERTS) + text.slice(at);
    }
    case 5: { // insert a random code point
      const at = int(text.length + 1);
      return text.slice(0, at) + String.fromCodePoint(int(0x3000)) + text.slice(at);
    }
    case 6: // truncate
      return text.slice(0, int(text.length + 1));
    case 7: { // delete a range of characters
      const at = int(text.length + 1);
      return text.slice(0, at) + text.slice(at + 1 + int(40));
    }
    case 8: { // replace a character with one of the YAML indicators
      const at = int(text.length);
      return text.slice(0, at) + pick([':', '-', '|', "'", '"', '\t', '#', '{', '[', '>', '&', '*', '!']) + text.slice(at + 1);
    }
    default: { // a line of another seed file
      const other = pick(SEEDS).split('\n');
      lines.splice(li, 0, pick(other));
      return lines.join('\n');
    }
  }
}

function mutate(text: string): string {
  let t = text;
  const n = 1 + int(4);
  for (let i = 0; i < n; i++) t = mutateOnce(t);
  return t;
}

const mutants = Array.from({ length: MUTANTS }, () => mutate(pick(SEEDS)));

// ---------------------------------------------------------------------------------------------

function runWorker(input: FuzzInput): Promise<Extract<FuzzMessage, { kind: 'done' }>> {
  return new Promise((resolve, reject) => {
    // Workers do not inherit the --import tsx hooks: a small bootstrap registers tsx in the
    // worker, then imports the TypeScript worker module.
    const bootstrap = `import(${JSON.stringify(TSX_API)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER)}); })`;
    const worker = new Worker(bootstrap, { eval: true, workerData: input });
    let index = -1;
    let last = Date.now();
    const watchdog = setInterval(() => {
      if (Date.now() - last < HANG_MS) return;
      clearInterval(watchdog);
      void worker.terminate();
      reject(new Error(`the loader hung (no progress for ${HANG_MS} ms) on mutant #${index}:\n${JSON.stringify(input.texts[index]?.slice(0, 2000))}`));
    }, 500);
    worker.on('message', (m: FuzzMessage) => {
      last = Date.now();
      if (m.kind === 'progress') index = m.index;
      else {
        clearInterval(watchdog);
        resolve(m);
      }
    });
    worker.on('error', (e) => {
      clearInterval(watchdog);
      reject(e);
    });
    worker.on('exit', (code) => {
      clearInterval(watchdog);
      if (code !== 0) reject(new Error(`the fuzz worker exited with ${code} at mutant #${index}`));
    });
  });
}

test(`fuzz: ${MUTANTS} mutated artifact files (from ${builtins.length} built-ins, ${corpus.length} corpus files, ${extras.length} extras; seed ${SEED.toString(16)})`, async (t) => {
  if (!corpus.length) t.diagnostic(`../shared/velociraptor-artifacts is absent: mutating the built-ins only`);
  assert.ok(MUTANTS >= 5000);
  const started = Date.now();
  const r = await runWorker({ texts: mutants, slowMs: 2000 });
  t.diagnostic(`${MUTANTS} mutants in ${Date.now() - started} ms: ${r.loaded} loaded, ${r.failed} rejected with problems (${r.problems} problems in all)`);
  assert.equal(r.loaded + r.failed, MUTANTS);
  assert.ok(r.loaded > 0 && r.failed > 0, 'the mutations give both loadable and broken files');
  // Grouped by kind, with the first (shortest) examples of each.
  const kinds = new Map<string, string[]>();
  for (const f of r.failures) kinds.set(f.kind, [...(kinds.get(f.kind) ?? []), f.detail]);
  const report = [...kinds].sort((a, b) => b[1].length - a[1].length).map(([kind, details]) => {
    const examples = [...details].sort((x, y) => x.length - y.length).slice(0, 2);
    return `== ${details.length} × ${kind}\n${examples.join('\n\n')}`;
  });
  for (const [kind, details] of kinds) t.diagnostic(`${details.length} × ${kind}`);
  assert.equal(r.failures.length, 0, `${r.failures.length} invariant failures of ${kinds.size} kinds:\n\n${report.join('\n\n')}`);
});
