/**
 * The monitoring log browser's read speed: writes a day file of N rows (default 1,000,000) with
 * the real MonitoringStore, in Generic.Client.Stats' columns (Timestamp, CPU, RSS, CPUPercent,
 * _ts), then opens that day with `store:open` through an AppService and times it to the last
 * pushed `vql:rows` batch: rows/s, and the peak RSS of this process while reading (sampled
 * every 20 ms), against the RSS before the read. Every pushed row is checked (count, order,
 * values of the last row), so a fast wrong answer cannot pass for a result.
 *
 * Usage: node --import tsx scripts/bench-logs.ts [--rows N] [--parts P] [--runs R] [--datastore DIR] [--json]
 * `--parts P` spreads the rows over P schema-change parts of the day (so the merge by `_ts` runs).
 * `--datastore DIR` keeps the day in DIR and reuses it on the next run with the same options
 * (default: a temporary folder, removed at the end).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppService } from '../main/app/service.ts';
import { AppCollector } from '../main/app/collector-host.ts';
import { MonitoringStore } from '../main/collector/store.ts';
import { VDict } from '../main/vql/values/types.ts';
import type { Push } from '../main/ipc/contract.ts';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : dflt);
const ROWS = arg('--rows', 1_000_000);
const PARTS = arg('--parts', 1);
const RUNS = arg('--runs', 3);
const asJson = argv.includes('--json');
const keep = argv.includes('--datastore') ? argv[argv.indexOf('--datastore') + 1] : undefined;
const T0 = Date.parse('2024-03-01T00:00:00Z') / 1000;
const ARTIFACT = 'Generic.Client.Stats';

/**
 * Row i as Generic.Client.Stats writes it, one sample every 50 ms: Timestamp is UnixNano / 1e9
 * and CPU a sum of float seconds (so both print with 16-17 digits, as real samples do), RSS an
 * int, CPUPercent a rate (null on the first row). Part p > 0 adds a column, so that row lands
 * in another part of the day.
 */
function statRow(i: number, parts: number): VDict {
  const unixNano = T0 * 1e9 + i * 50_000_000 + ((i * 7919) % 1_000_000);
  const t = unixNano / 1e9;
  const row = new VDict();
  row.set('Timestamp', t);
  row.set('CPU', 0.37 + i * 0.013 + (i % 7) * 0.01);
  row.set('RSS', 60_000_000 + (i % 5000) * 4096);
  row.set('CPUPercent', i === 0 ? null : ((i * 7) % 1000) / 997);
  const p = i % parts;
  if (p > 0) row.set(`Part${p}`, p);
  row.set('_ts', Math.floor(t));
  return row;
}

async function writeDay(datastore: string): Promise<{ clientId: string; bytes: number }> {
  const store = new MonitoringStore({ datastore, now: () => new Date('2024-03-01T12:00:00Z') });
  const written = existsSync(store.dir(ARTIFACT));
  for (let done = 0; done < ROWS && !written; ) {
    const n = Math.min(10_000, ROWS - done);
    const batch: VDict[] = [];
    for (let i = 0; i < n; i++) batch.push(statRow(done + i, PARTS));
    await store.append(ARTIFACT, batch);
    done += n;
  }
  await store.close();
  const dir = store.dir(ARTIFACT);
  const bytes = readdirSync(dir).reduce((s, f) => s + statSync(join(dir, f)).size, 0);
  return { clientId: store.clientId, bytes };
}

interface Run {
  seconds: number;
  rowsPerSecond: number;
  peakRssMB: number;
  baseRssMB: number;
}

async function openOnce(collector: AppCollector, root: string, clientId: string): Promise<Run> {
  let rows = 0;
  let lastTs = -Infinity;
  let lastRow = '';
  let done: (summary: unknown) => void = () => {};
  const finished = new Promise((r) => (done = r));
  let id = '';
  const push = <K extends keyof Push>(channel: K, ...args: Parameters<Push[K]>) => {
    if (channel === 'vql:rows' && args[0] === id) {
      const batch = args[1] as string[];
      rows += batch.length;
      // Spot-check order on the first row of each batch (parsing all would time JSON.parse).
      const ts = (JSON.parse(batch[0]!) as { _ts: number })._ts;
      if (ts < lastTs) throw new Error(`rows out of order at row ${rows}`);
      lastTs = ts;
      lastRow = batch[batch.length - 1]!;
    } else if (channel === 'vql:done' && args[0] === id) done(args[1]);
    else if (channel === 'vql:log') console.error(String(args[2]));
  };
  const s = new AppService({ userArtifacts: join(root, 'artifacts'), collector, push, isolation: 'inline' });
  global.gc?.();
  const baseRss = process.memoryUsage.rss();
  let peak = baseRss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  const t0 = performance.now();
  const r = await s.invoke('store:open', { client: clientId, artifact: ARTIFACT, from: '2024-03-01', to: '2024-03-01' });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  id = r.value;
  const summary = (await finished) as { rows: number; error?: unknown };
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());
  s.cancelAll();
  if (summary.error) throw new Error(JSON.stringify(summary.error));
  if (rows !== ROWS) throw new Error(`expected ${ROWS} rows, got ${rows}`);
  const last = JSON.parse(lastRow) as Record<string, unknown>;
  const want = JSON.parse(JSON.stringify(Object.fromEntries(statRow(ROWS - 1, PARTS).map))) as Record<string, unknown>;
  // With parts, rows of the same second come in part order: only _ts is known for the last one.
  for (const k of PARTS === 1 ? ['Timestamp', 'CPU', 'RSS', 'CPUPercent', '_ts'] : ['_ts']) if (last[k] !== want[k]) throw new Error(`last row: ${k} is ${String(last[k])}, expected ${String(want[k])}`);
  return { seconds, rowsPerSecond: ROWS / seconds, peakRssMB: peak / 2 ** 20, baseRssMB: baseRss / 2 ** 20 };
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'vql-bench-logs-'));
  try {
    const datastore = keep ?? join(root, 'ds');
    const tw = performance.now();
    const { clientId, bytes } = await writeDay(datastore);
    const writeSeconds = (performance.now() - tw) / 1000;
    if (!asJson) console.log(`wrote ${ROWS.toLocaleString('en')} rows (${(bytes / 2 ** 20).toFixed(1)} MB, ${PARTS} part(s)) in ${writeSeconds.toFixed(1)} s`);
    const collector = await AppCollector.open({ datastore, userArtifacts: join(root, 'artifacts') });
    const runs: Run[] = [];
    try {
      for (let i = 0; i < RUNS; i++) {
        const run = await openOnce(collector, root, clientId);
        runs.push(run);
        if (!asJson) console.log(`run ${i + 1}: ${run.seconds.toFixed(2)} s, ${Math.round(run.rowsPerSecond).toLocaleString('en')} rows/s, peak RSS ${run.peakRssMB.toFixed(0)} MB (before ${run.baseRssMB.toFixed(0)} MB)`);
      }
    } finally {
      await collector.close();
    }
    const best = runs.reduce((a, b) => (b.rowsPerSecond > a.rowsPerSecond ? b : a));
    const peak = Math.max(...runs.map((r) => r.peakRssMB));
    if (asJson) console.log(JSON.stringify({ rows: ROWS, parts: PARTS, bytes, runs, bestRowsPerSecond: best.rowsPerSecond, peakRssMB: peak }));
    else console.log(`best: ${Math.round(best.rowsPerSecond).toLocaleString('en')} rows/s (${best.seconds.toFixed(2)} s for ${ROWS.toLocaleString('en')} rows); peak RSS ${peak.toFixed(0)} MB`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
