// Queries on worker threads: the service's contract is unchanged, cancellation works (by
// message, or by terminating a worker stuck in one engine step), the repository is current,
// and the main thread's event loop stays free while a heavy query runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { AppService, type ServiceOptions } from '../../main/app/service.ts';
import { WorkerPool } from '../../main/app/worker-pool.ts';
import { resolveWorkerEntry, workerCandidates } from '../../main/app/worker-script.ts';
import type { Push, RowJson, SerializedError } from '../../main/ipc/contract.ts';
import { probeLoop } from '../helpers/loop-probe.ts';

type Summary = { rows: number; ms: number; cancelled: boolean; error?: SerializedError };

/** A service whose pushes are recorded; `done(id)` resolves when the query's end is pushed. */
function harness(extra: Partial<ServiceOptions> = {}) {
  const userArtifacts = extra.userArtifacts ?? join(mkdtempSync(join(tmpdir(), 'vql-worker-')), 'artifacts');
  const pushes: Array<{ channel: keyof Push; args: unknown[] }> = [];
  const waiters = new Map<string, (s: Summary) => void>();
  const s = new AppService({
    userArtifacts,
    batchMs: 20,
    ...extra,
    push: (channel, ...args) => {
      pushes.push({ channel, args });
      if (channel === 'vql:done') waiters.get(args[0] as string)?.(args[1] as Summary);
    },
  });
  const done = (id: string) => {
    const d = pushes.find((p) => p.channel === 'vql:done' && p.args[0] === id);
    return d ? Promise.resolve(d.args[1] as Summary) : new Promise<Summary>((r) => waiters.set(id, r));
  };
  const rows = (id: string) => pushes.filter((p) => p.channel === 'vql:rows' && p.args[0] === id).flatMap((p) => (p.args[1] as RowJson[]).map((r) => JSON.parse(r)));
  const logs = (id: string) => pushes.filter((p) => p.channel === 'vql:log' && p.args[0] === id).map((p) => `${p.args[1]}: ${p.args[2]}`);
  const run = async (query: string) => {
    const r = await s.invoke('vql:run', { query });
    assert.ok(r.ok, JSON.stringify(r));
    return r.value;
  };
  return { s, userArtifacts, pushes, done, rows, logs, run };
}

/** A service over a pool of its own (so the pool's counters are the test's), warmed up. */
async function withPool(extra: Partial<ConstructorParameters<typeof WorkerPool>[1]> = {}, service: Partial<ServiceOptions> = {}) {
  const entry = resolveWorkerEntry();
  assert.ok(entry, 'the query worker script is found from the sources');
  const userArtifacts = join(mkdtempSync(join(tmpdir(), 'vql-worker-')), 'artifacts');
  const pool = new WorkerPool(entry, { userArtifacts, ...extra });
  await pool.warm();
  return { pool, ...harness({ ...service, userArtifacts, pool }) };
}

// One long synchronous engine step: a regex search (RE2, linear: the input's length sets the
// time) with a 1000-state NFA over 30,000 × 2^(n-24) characters: about a second for n = 24,
// doubling with each more. Nothing can interrupt it but terminating its thread.
const redos = (n: number) => {
  const chars = 30_000 * 2 ** (n - 24);
  const piece = `format(format='%0${Math.min(chars, 1_000_000)}d', args=0)`; // format's widths stop near 1e7, as Go's
  const text = Array<string>(Math.ceil(chars / 1_000_000)).fill(piece).join(' + ');
  return `SELECT parse_string_with_regex(string=${text}, regex='(?P<X>[0-9]{1000}[a-z])') AS M FROM scope()`;
};

test('rows stream from a worker in order and in batches, with the summary', { timeout: 30_000 }, async () => {
  const { pool, ...own } = await withPool({}, { batchRows: 300 });
  const id = await own.run('SELECT _value AS N, format(format="r%v", args=_value) AS S FROM range(end=1234)');
  const summary = await own.done(id);
  assert.deepEqual({ rows: summary.rows, cancelled: summary.cancelled, error: summary.error }, { rows: 1234, cancelled: false, error: undefined });
  const got = own.rows(id);
  assert.deepEqual(got.map((r) => r.N), Array.from({ length: 1234 }, (_, i) => i));
  assert.deepEqual(got[7], { N: 7, S: 'r7' });
  const batches = own.pushes.filter((p) => p.channel === 'vql:rows').map((p) => (p.args[1] as string[]).length);
  // Flushed once batchRows is reached (the engine hands over up to 512 rows at a time).
  assert.ok(batches.length >= 3 && batches.every((n) => n <= 512), `batches: ${batches}`);
  assert.equal(pool.stats.started >= 1 && pool.running, 0, 'the job ran on the pool and released its worker');
  await pool.close();
});

test('errors cross the thread with code, message and line/column; logs are pushed', { timeout: 30_000 }, async () => {
  const { pool } = await withPool();
  // Bypassing the service's parse check: the worker parses, fails, and serializes the span.
  const ac = new AbortController();
  const end = await pool.run({ kind: 'query', query: 'SELECT * FROM range(end=3)\nWHERE', env: {} }, { signal: ac.signal, batching: { batchMs: 20, batchRows: 500 }, rows: () => {}, log: () => {} });
  assert.equal(end.error?.code, 'ParseError');
  assert.deepEqual([end.error?.span?.line, end.error?.span?.column], [2, 6]);
  await pool.close();
  const w = harness();
  const id = await w.run("SELECT log(message='hello %v', args=[42]) AS L FROM scope()\nSELECT * FROM rnage(end=3)");
  await w.done(id);
  assert.deepEqual(w.logs(id), ['info: hello 42', 'error: Plugin rnage not found - did you mean `range`?']);
  const bad = await w.s.invoke('artifacts:collect', { artifact: 'Generic.Client.Stats', args: { Nope: '1' } });
  assert.ok(bad.ok);
  const summary = await w.done(bad.value);
  assert.match(summary.error?.message ?? '', /Parameter Nope not known for artifact Generic.Client.Stats/);
});

test('Stop: an endless query stops by message, well before the terminate fallback', { timeout: 30_000 }, async () => {
  const { pool, ...own } = await withPool();
  // CPU-bound and endless: the engine yields to the worker's event loop, which sees the abort.
  const id = await own.run('SELECT * FROM range(end=1000000000000) WHERE _value < 0');
  await new Promise((r) => setTimeout(r, 300));
  const t0 = performance.now();
  own.s.cancel(id);
  const summary = await own.done(id);
  assert.equal(summary.cancelled, true);
  assert.ok(performance.now() - t0 < 900, `stopped in ${Math.round(performance.now() - t0)} ms`);
  assert.equal(pool.stats.killed, 0);
  assert.deepEqual(own.logs(id), []);
  await pool.close();
});

test('cancelAll (a window or tab closed) stops every query of that service only', { timeout: 30_000 }, async () => {
  const a = harness();
  const b = harness();
  const a1 = await a.run('SELECT * FROM clock(ms=10)');
  const a2 = await a.run('SELECT * FROM range(end=1000000000000) WHERE _value < 0');
  const b1 = await b.run('SELECT * FROM clock(ms=10)');
  await new Promise((r) => setTimeout(r, 300));
  a.s.cancelAll();
  const ends = await Promise.all([a.done(a1), a.done(a2)]);
  assert.deepEqual(ends.map((e) => e.cancelled), [true, true]);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(b.pushes.some((p) => p.channel === 'vql:done'), false, "the other service's query still runs");
  b.s.cancel(b1);
  assert.equal((await b.done(b1)).cancelled, true);
});

test('a worker stuck in one engine step is terminated ~1 s after Stop; the pool carries on', { timeout: 30_000 }, async () => {
  const { pool, ...own } = await withPool({ stopTimeoutMs: 1000 });
  const id = await own.run(redos(34)); // minutes in one regex search: it cannot see the abort
  await new Promise((r) => setTimeout(r, 300));
  const t0 = performance.now();
  own.s.cancel(id);
  const summary = await own.done(id);
  const took = performance.now() - t0;
  assert.equal(summary.cancelled, true);
  assert.ok(took >= 950 && took < 3000, `ended ${Math.round(took)} ms after Stop`);
  assert.equal(pool.stats.killed, 1);
  assert.match(own.logs(id).join('\n'), /did not stop within 1000 ms of Stop, so its worker thread was terminated/);
  const next = await own.run('SELECT * FROM range(end=3)');
  assert.equal((await own.done(next)).rows, 3);
  await pool.close();
});

test('the worker reloads the repository for each job: a saved (and re-saved) artifact collects as saved', { timeout: 30_000 }, async () => {
  const { pool, ...own } = await withPool(); // its worker started before the artifact exists
  const yaml = (greeting: string) => `name: Custom.Greet\nparameters:\n  - name: Who\n    default: world\nsources:\n  - query: SELECT format(format="${greeting} %s", args=Who) AS G FROM scope()\n`;
  assert.ok((await own.s.invoke('artifacts:save', yaml('hello'))).ok);
  const collect = async () => {
    const r = await own.s.invoke('artifacts:collect', { artifact: 'Custom.Greet', args: { Who: 'ann' } });
    assert.ok(r.ok);
    const end = await own.done(r.value);
    assert.equal(end.error, undefined);
    return own.rows(r.value);
  };
  assert.deepEqual(await collect(), [{ G: 'hello ann', _Source: 'Custom.Greet' }]);
  await pool.warm(); // every worker the pool has has loaded its engine...
  const started = pool.stats.started;
  assert.ok((await own.s.invoke('artifacts:save', yaml('goodbye'), { replace: 'Custom.Greet' })).ok); // ...before this
  assert.deepEqual(await collect(), [{ G: 'goodbye ann', _Source: 'Custom.Greet' }]);
  assert.equal(pool.stats.started, started, 'collected by a worker that started before the new version was saved');
  await pool.close();
});

test('a worker that fails to load ends the query with a WorkerError, not a hang', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vql-worker-bad-'));
  const script = join(dir, 'query-worker.js');
  writeFileSync(script, "throw new Error('broken worker build');\n");
  const entry = resolveWorkerEntry(script);
  assert.deepEqual(entry, { file: script });
  const pool = new WorkerPool(entry!, { userArtifacts: join(dir, 'artifacts'), spares: 0 });
  const h = harness({ pool });
  const id = await h.run('SELECT * FROM range(end=3)');
  const summary = await h.done(id);
  assert.equal(summary.error?.code, 'WorkerError');
  assert.match(summary.error!.message, /broken worker build/);
  await pool.close();
});

test('worker script resolution: sources, the CLI bundle and its chunks, the Electron bundle', () => {
  assert.deepEqual(workerCandidates('/repo/main/app/worker-script.ts'), ['/repo/main/app/query-worker.ts']);
  const root = mkdtempSync(join(tmpdir(), 'vql-worker-layout-'));
  mkdirSync(join(root, 'dist', 'chunks'), { recursive: true });
  mkdirSync(join(root, 'dist-main'));
  writeFileSync(join(root, 'dist', 'query-worker.js'), '');
  assert.equal(resolveWorkerEntry(undefined, join(root, 'dist', 'cli.js'))?.file, join(root, 'dist', 'query-worker.js'));
  assert.equal(resolveWorkerEntry(undefined, join(root, 'dist', 'chunks', 'serve-ABC.js'))?.file, join(root, 'dist', 'query-worker.js'));
  assert.equal(resolveWorkerEntry(undefined, join(root, 'dist-main', 'main.js'))?.file, join(root, 'dist', 'query-worker.js'));
  assert.equal(resolveWorkerEntry(undefined, join(root, 'a', 'b', 'x.js')), null);
  writeFileSync(join(root, 'dist-main', 'query-worker.mjs'), '');
  assert.equal(resolveWorkerEntry(undefined, join(root, 'dist-main', 'main.js'))?.file, join(root, 'dist-main', 'query-worker.mjs'));
  const fromSource = resolveWorkerEntry();
  assert.equal(fromSource?.file, resolve('main/app/query-worker.ts'));
  assert.match(fromSource?.tsxApi ?? '', /^file:.*tsx/);
});

test('the bundled worker (as scripts/build.mjs builds it) runs queries', { timeout: 60_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'vql-worker-dist-'));
  await build({
    entryPoints: { 'query-worker': 'main/app/query-worker.ts' }, outdir: out, bundle: true, platform: 'node', target: 'node20', format: 'esm', logLevel: 'warning',
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
  const entry = resolveWorkerEntry(undefined, join(out, 'cli.js'));
  assert.deepEqual(entry, { file: join(out, 'query-worker.js') });
  const pool = new WorkerPool(entry!, { userArtifacts: join(out, 'artifacts') });
  const h = harness({ pool });
  const id = await h.run('SELECT _value * 2 AS D FROM range(end=4)');
  assert.equal((await h.done(id)).error, undefined);
  assert.deepEqual(h.rows(id).map((r) => r.D), [0, 2, 4, 6]);
  await pool.close();
});

test('responsiveness: heavy queries on workers leave the event loop free; inline they block it', { timeout: 120_000 }, async (t) => {
  const { pool, ...worker } = await withPool();
  const inline = harness({ isolation: 'inline' });
  const measure = async (x: ReturnType<typeof harness>, query: string) => probeLoop(async () => x.done(await x.run(query)));
  const groupBy = 'SELECT count() AS n FROM range(end=3000000) GROUP BY 1';
  const w1 = await measure(worker, groupBy);
  const w2 = await measure(worker, redos(24));
  const i1 = await measure(inline, groupBy);
  const i2 = await measure(inline, redos(24));
  assert.deepEqual([w1.value.rows, i1.value.rows, w2.value.rows, i2.value.rows], [1, 1, 1, 1]);
  const show = (m: typeof w1) => `longest block ${m.blockMs} ms (wall gap ${m.gapMs} ms), loop busy ${m.activeMs} of ${m.value.ms} ms`;
  t.diagnostic(`GROUP BY 3M rows: worker ${show(w1)}; inline ${show(i1)}`);
  t.diagnostic(`regex step: worker ${show(w2)}; inline ${show(i2)}`);
  assert.ok(w1.blockMs < 150 && w2.blockMs < 150, `worker: ${show(w1)}; ${show(w2)}`);
  // The same probes fail inline: a single engine step (the regex) holds the loop for its whole
  // length, and the GROUP BY keeps it busy for the whole query.
  assert.ok(i2.blockMs > 300, `inline regex: ${show(i2)}`);
  assert.ok(i1.activeMs > 5 * w1.activeMs && i1.blockMs > w1.blockMs, `inline GROUP BY: ${show(i1)}`);
  await pool.close();
});
