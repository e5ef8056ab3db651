// The worker of fuzz.test.ts: loads each mutated artifact text and checks the loader's
// invariants. It runs in a worker thread so that a hang (an infinite loop in the loader) can be
// detected and stopped by the test, which watches the progress messages.
import { parentPort, workerData } from 'node:worker_threads';
import { ARTIFACT_TYPES, artifactNameProblem, loadArtifactText, sanitizeArtifactYaml } from '../../main/artifacts/index.ts';

export interface FuzzInput {
  readonly texts: readonly string[];
  /** A call slower than this is reported (ms). */
  readonly slowMs: number;
}

export type FuzzMessage =
  | { readonly kind: 'progress'; readonly index: number }
  | { readonly kind: 'done'; readonly loaded: number; readonly failed: number; readonly problems: number; readonly failures: readonly Failure[] };

/** One broken invariant: its kind (for grouping) and the details with the input. */
export interface Failure {
  readonly kind: string;
  readonly detail: string;
}

function check(text: string, index: number, slowMs: number): { failures: Failure[]; loaded: boolean; problems: number } {
  const failures: Failure[] = [];
  const fail = (m: string, kind = m) => failures.push({ kind, detail: `#${index}: ${m}\n--- input (${text.length} chars) ---\n${JSON.stringify(text.slice(0, 600))}` });
  const started = performance.now();
  let r;
  try {
    r = loadArtifactText(text, 'fuzz.yaml');
  } catch (e) {
    const where = (e as Error)?.stack?.split('\n')[1]?.trim() ?? '';
    fail(`loadArtifactText threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}\n${(e as Error)?.stack?.split('\n').slice(1, 4).join('\n')}`, `threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message} ${where.replace(/^at .*\(|\)$/g, '').replace(/^.*\/main\//, 'main/')}`);
    return { failures, loaded: false, problems: 0 };
  }
  const ms = performance.now() - started;
  if (ms > slowMs) fail(`took ${ms.toFixed(0)} ms`, 'slow');
  // Positions are checked against the text the loader parses (CRLF → LF; a bare `query:`
  // gains ` |`). Lines are YAML lines: LF, CRLF and a lone CR each end one (YAML 1.2 b-break,
  // as js-yaml and Velociraptor's Go YAML parser read them).
  const lines = sanitizeArtifactYaml(text).split(/\r\n|\r|\n/);
  const cr = /\r(?!\n)/.test(text) ? ' (the file has a lone CR)' : '';
  for (const p of r.problems) {
    const where = `${p.line}:${p.column} ${p.severity}: ${p.message}`;
    if (p.file !== 'fuzz.yaml') fail(`problem names file '${p.file}': ${where}`, 'wrong file');
    if (typeof p.message !== 'string' || p.message === '') fail(`empty message: ${where}`, 'empty message');
    if (p.severity !== 'error' && p.severity !== 'warning') fail(`severity ${String(p.severity)}: ${where}`, 'bad severity');
    if (!Number.isInteger(p.line) || !Number.isInteger(p.column) || p.line < 1 || p.column < 1) {
      fail(`position is not 1-based integers: ${where}`, 'position not 1-based');
      continue;
    }
    if (p.line > lines.length) fail(`line ${p.line} is past the last line (${lines.length}): ${where}`, `line past the end${cr}`);
    else if (p.column > lines[p.line - 1]!.length + 1) fail(`column ${p.column} is past the end of line ${p.line} (${lines[p.line - 1]!.length} characters): ${where}`, `column past the end of its line${cr}`);
  }
  if (r.loaded) {
    const a = r.loaded.artifact;
    const nameProblem = artifactNameProblem(a.name);
    if (nameProblem) fail(`loaded with an invalid name: ${nameProblem}`, 'loaded with an invalid name');
    if (!ARTIFACT_TYPES.includes(a.type)) fail(`loaded with type '${a.type}'`, 'loaded with an invalid type');
    if (r.problems.some((p) => p.severity === 'error')) fail('loaded although it has an error');
  } else if (!r.problems.some((p) => p.severity === 'error')) {
    fail('did not load, but no error explains why');
  }
  return { failures, loaded: r.loaded !== undefined, problems: r.problems.length };
}

if (parentPort) {
  const { texts, slowMs } = workerData as FuzzInput;
  const failures: Failure[] = [];
  let loaded = 0;
  let failed = 0;
  let problems = 0;
  for (let i = 0; i < texts.length; i++) {
    parentPort.postMessage({ kind: 'progress', index: i } satisfies FuzzMessage);
    const c = check(texts[i]!, i, slowMs);
    if (c.loaded) loaded++;
    else failed++;
    problems += c.problems;
    failures.push(...c.failures);
  }
  parentPort.postMessage({ kind: 'done', loaded, failed, problems, failures } satisfies FuzzMessage);
}
