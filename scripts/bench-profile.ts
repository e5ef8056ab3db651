/**
 * `node --import tsx scripts/bench-profile.ts`: what self-profiling costs (main/host/profile/).
 * - the query log every statement now feeds (main/vql/eval/recent.ts): ns per query, against
 *   the cost of the cheapest query a Session runs (one query() call per row);
 * - how long each snapshot profile takes (metrics, goroutine, queries, logs), and the heap
 *   snapshot's size and pause;
 * - how much a running V8 CPU profile, and the allocation sampler, slow a query down
 *   (Filter1M of `npm run bench`, alone and with profile(profile=TRUE) / profile_memory()
 *   running beside it).
 * Prints one line per measure (median of RUNS).
 */
import { collect, createRegistry, runBatches } from '../main/vql/index.ts';
import { createHostRegistry } from '../main/host/index.ts';
import { queryStarted } from '../main/vql/eval/recent.ts';
import { parseStatement } from '../main/vql/index.ts';

const RUNS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timeIt(fn: () => Promise<unknown> | unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

async function rowsOf(query: string, registry = createRegistry()): Promise<number> {
  let n = 0;
  for await (const b of runBatches(query, { registry })) n += b.length;
  return n;
}

async function queryLog(): Promise<void> {
  const stmt = parseStatement('SELECT 1 FROM scope()');
  const N = 200_000;
  const ms = await timeIt(() => {
    for (let i = 0; i < N; i++) queryStarted(stmt)();
  });
  const perLog = (ms * 1e6) / N;
  const SESSIONS = 20_000;
  const q = `SELECT * FROM foreach(row={ SELECT * FROM range(end=${SESSIONS}) }, query={ SELECT * FROM query(query='SELECT 1 AS X FROM scope()') })`;
  const registry = createHostRegistry();
  const qms = await timeIt(() => rowsOf(q, registry));
  const perSession = (qms * 1e6) / SESSIONS;
  console.log(`query log: ${perLog.toFixed(0)} ns per query; a query() call (a Session of its own) takes ${perSession.toFixed(0)} ns: ${(100 * perLog / perSession).toFixed(2)}% of the cheapest query`);
}

async function snapshots(): Promise<void> {
  const registry = createHostRegistry();
  for (const arg of ['metrics', 'goroutine', 'queries', 'logs']) {
    const ms = await timeIt(() => collect(`SELECT * FROM profile(${arg}=TRUE)`, { registry }));
    console.log(`profile(${arg}=TRUE): ${ms.toFixed(1)} ms`);
  }
  const logs: string[] = [];
  const t0 = performance.now();
  await collect('SELECT * FROM profile(heap=TRUE)', { registry, log: (_l, m) => logs.push(m) });
  console.log(`profile(heap=TRUE): ${(performance.now() - t0).toFixed(0)} ms; ${logs.find((l) => l.includes('heap snapshot')) ?? logs.join(' | ')}`);
}

const FILTER1M = 'SELECT _value AS V, _value * 2 AS Double FROM range(start=0, end=1000000) WHERE V > 10 AND Double < 1500000';

async function overhead(): Promise<void> {
  const alone = await timeIt(() => rowsOf(FILTER1M));
  const registry = createHostRegistry();
  const beside = async (profileQuery: string) => {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const controller = new AbortController();
      const running = collect(profileQuery, { registry, signal: controller.signal });
      // The profiler starts on the next turns of the event loop: let it.
      await new Promise((r) => setTimeout(r, 50));
      const t0 = performance.now();
      await rowsOf(FILTER1M);
      times.push(performance.now() - t0);
      controller.abort();
      await running;
    }
    return median(times);
  };
  const cpu = await beside('SELECT * FROM profile(profile=TRUE, duration=60)');
  const mem = await beside('SELECT * FROM profile_memory()');
  console.log(`Filter1M alone: ${alone.toFixed(0)} ms; under a CPU profile: ${cpu.toFixed(0)} ms (x${(cpu / alone).toFixed(2)}); under the allocation sampler: ${mem.toFixed(0)} ms (x${(mem / alone).toFixed(2)})`);
}

await queryLog();
await snapshots();
await overhead();
