/**
 * The monitoring log browser's open speed: writes a day file of N rows (default 1,000,000) with
 * the real MonitoringStore, in Generic.Client.Stats' columns (Timestamp, CPU, RSS, CPUPercent,
 * _ts), then opens that day as the browser does, with `table:open` of kind `logs` through an
 * AppService (the table engine, DuckDB, in this process), and times the first rows (the reply)
 * and the end of the load (the `table:progress` push saying ready): rows/s, and the peak RSS of
 * this process while loading (sampled every 20 ms), against the RSS before. The table is
 * checked (row count, `_ts` order, the values of the last row, through the SQL box), so a fast
 * wrong answer cannot pass for a result: a wrong one is printed and the exit code is 1.
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
import type { Push, TableProgress, TableSqlResult } from '../main/ipc/contract.ts';
import { writeBenchRecord } from './bench-record.ts';

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
  firstRowsSeconds: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssMB: number;
  baseRssMB: number;
  /** What the check of the table found wrong ('' when nothing). */
  wrong: string;
}

async function openOnce(collector: AppCollector, root: string, clientId: string): Promise<Run> {
  let id = '';
  let ready: (p: TableProgress) => void = () => {};
  const finished = new Promise<TableProgress>((r) => (ready = r));
  const early: Array<[string, TableProgress]> = [];
  const push = <K extends keyof Push>(channel: K, ...args: Parameters<Push[K]>) => {
    if (channel !== 'table:progress') return;
    const [tid, p] = args as [string, TableProgress];
    if (!id) early.push([tid, p]);
    else if (tid === id && p.info && p.info.state !== 'loading') ready(p);
  };
  const s = new AppService({ userArtifacts: join(root, 'artifacts'), collector, push, isolation: 'inline' });
  global.gc?.();
  const baseRss = process.memoryUsage.rss();
  let peak = baseRss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  const t0 = performance.now();
  const r = await s.invoke('table:open', { kind: 'logs', client: clientId, artifact: ARTIFACT, from: '2024-03-01', to: '2024-03-01' });
  const firstRowsSeconds = (performance.now() - t0) / 1000;
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  id = r.value.id;
  for (const [tid, p] of early) if (tid === id && p.info && p.info.state !== 'loading') ready(p);
  if (r.value.state !== 'loading') ready({ phase: r.value.state, fraction: 1, rowsRead: r.value.rowCount, info: r.value });
  const end = await finished;
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());
  const wrong: string[] = [];
  if (end.info!.state !== 'ready') throw new Error(`the load ended ${end.info!.state}: ${end.info!.error?.message}`);
  if (end.info!.rowCount !== ROWS) wrong.push(`expected ${ROWS} rows, got ${end.info!.rowCount}`);
  const sql = async (text: string): Promise<TableSqlResult> => {
    const q = await s.invoke('table:sql', { id, sql: text });
    if (!q.ok) throw new Error(`${text}: ${q.error.message}`);
    return q.value;
  };
  const disorder = (await sql('SELECT count(*) FROM (SELECT _ts, lag(_ts) OVER (ORDER BY _row) AS before FROM data) WHERE _ts < before')).cells[0]![0];
  if (disorder !== 0) wrong.push(`${String(disorder)} rows come before an earlier _ts`);
  // The last row's values as DuckDB holds them (a timestamp column as epoch seconds).
  const cols = PARTS === 1 ? ['Timestamp', 'CPU', 'RSS', 'CPUPercent', '_ts'] : ['_ts'];
  const asNumber = (c: string) => `CASE WHEN typeof(${JSON.stringify(c)}) LIKE 'TIMESTAMP%' THEN epoch(TRY_CAST(${JSON.stringify(c)} AS TIMESTAMPTZ)) ELSE TRY_CAST(${JSON.stringify(c)} AS DOUBLE) END`;
  const last = (await sql(`SELECT ${cols.map(asNumber).join(', ')} FROM data ORDER BY _row DESC LIMIT 1`)).cells[0]!;
  const want = Object.fromEntries(statRow(ROWS - 1, PARTS).map) as Record<string, unknown>;
  // With parts, rows of the same second come in part order: only _ts is known for the last one.
  cols.forEach((k, i) => {
    if (last[i] !== want[k]) wrong.push(`last row: ${k} is ${String(last[i])}, expected ${String(want[k])}`);
  });
  s.cancelAll();
  return { firstRowsSeconds, seconds, rowsPerSecond: ROWS / seconds, peakRssMB: peak / 2 ** 20, baseRssMB: baseRss / 2 ** 20, wrong: wrong.join('; ') };
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
        if (!asJson) console.log(`run ${i + 1}: first rows ${(run.firstRowsSeconds * 1000).toFixed(0)} ms, loaded ${run.seconds.toFixed(2)} s, ${Math.round(run.rowsPerSecond).toLocaleString('en')} rows/s, peak RSS ${run.peakRssMB.toFixed(0)} MB (before ${run.baseRssMB.toFixed(0)} MB)`);
        if (run.wrong) {
          console.error(`WRONG: ${run.wrong}`);
          process.exitCode = 1;
        }
      }
    } finally {
      await collector.close();
    }
    const best = runs.reduce((a, b) => (b.rowsPerSecond > a.rowsPerSecond ? b : a));
    const peak = Math.max(...runs.map((r) => r.peakRssMB));
    if (asJson) console.log(JSON.stringify({ rows: ROWS, parts: PARTS, bytes, runs, bestRowsPerSecond: best.rowsPerSecond, peakRssMB: peak }));
    else console.log(`best: ${Math.round(best.rowsPerSecond).toLocaleString('en')} rows/s (${best.seconds.toFixed(2)} s for ${ROWS.toLocaleString('en')} rows); peak RSS ${peak.toFixed(0)} MB`);
    // The latest result, for docs/numbers.md (scripts/bench-report.ts); not when a check failed.
    if (!runs.some((r) => r.wrong)) {
      const day = `${ROWS.toLocaleString('en-US')} rows, ${PARTS} part${PARTS === 1 ? '' : 's'}`;
      writeBenchRecord({
        bench: PARTS === 1 ? 'logs' : `logs-${PARTS}-parts`,
        title: `Opening a day of Generic.Client.Stats in Monitoring logs (${day})`,
        command: `node --import tsx scripts/bench-logs.ts --rows ${ROWS} --parts ${PARTS} --runs ${RUNS}`,
        measures: [
          { name: `${day}: loaded (best of ${RUNS})`, value: Math.round(best.seconds * 100) / 100, unit: 's', note: `${Math.round(best.rowsPerSecond).toLocaleString('en-US')} rows/s; ${(bytes / 2 ** 20).toFixed(1)} MB` },
          { name: `${day}: peak RSS of the host and engine`, value: Math.round(peak), unit: 'MB' },
        ],
      });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
