/**
 * `npm run bench [-- --json] [--runs N] [--only NAME]`: the engine benchmarks of issue 2.
 * Prints the median of N (default 7) runs in ms and rows/s, or JSON `[{name, median_ms, rows}]`.
 * Runs the bundled engine (dist/) through the same batch API the CLI and the app use.
 * A full run (no `--only`) ends by writing test-results/bench-engine.json and the manual's
 * docs/numbers.md (scripts/bench-report.ts).
 */
import { runBatches, createRegistry } from '../main/vql/index.ts';
import { benchStartup } from './bench-startup.ts';
import { repoRoot, writeBenchRecord, type BenchMeasure } from './bench-record.ts';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { writeNumbersPage } from './bench-report.ts';

interface Bench {
  name: string;
  query?: string;
  /** A plain TypeScript loop doing the same work (the floor). */
  plain?: () => number;
}

const RANGE = 'range(start=0, step=1, end=10000)';
const benches: Bench[] = [
  { name: 'Range10k', query: `SELECT format(format='value %v', args=_value) AS Value FROM ${RANGE} WHERE Value =~ '.' AND 1 = 1 AND _value > 10` },
  { name: 'Foreach10k', query: `SELECT * FROM foreach(row={ SELECT * FROM ${RANGE} }, query={ SELECT format(format='value %v', args=_value) FROM scope() })` },
  { name: 'ForeachWithWorkers10k', query: `SELECT * FROM foreach(row={ SELECT * FROM ${RANGE} }, query={ SELECT format(format='value %v', args=_value) FROM scope() }, workers=10)` },
  { name: 'Filter1M', query: 'SELECT _value AS V, _value * 2 AS Double FROM range(start=0, end=1000000) WHERE V > 10 AND Double < 1500000' },
  {
    name: 'Filter1M (plain TypeScript loop)',
    plain: () => {
      const out: Array<{ V: number; Double: number }> = [];
      for (let i = 0; i < 1_000_000; i++) {
        const row = { _value: i };
        const V = row._value;
        const Double = row._value * 2;
        if (V > 10 && Double < 1_500_000) out.push({ V, Double });
      }
      return out.length;
    },
  },
  { name: 'GroupBy100k', query: 'SELECT count() AS Count, _value > 50000 AS High FROM range(start=0, end=100000) GROUP BY High' },
];

async function once(b: Bench): Promise<{ ms: number; rows: number }> {
  const t0 = performance.now();
  let rows = 0;
  if (b.plain) rows = b.plain();
  else {
    const registry = createRegistry();
    for await (const batch of runBatches(b.query!, { registry })) rows += batch.length;
  }
  return { ms: performance.now() - t0, rows };
}

const argv = process.argv.slice(2);
const asJson = argv.includes('--json');
const runs = argv.includes('--runs') ? Number(argv[argv.indexOf('--runs') + 1]) : 9;
const WARMUP = 5;
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;

const results: Array<{ name: string; median_ms: number; rows: number; cold_ms: number }> = [];
for (const b of benches) {
  if (only && !b.name.startsWith(only)) continue;
  // The engine is JIT-compiled: the first runs measure V8 warming up, not the engine. The app,
  // the collector and `vql` sessions are long-lived, so the table reports warm runs; the
  // first (cold) run is shown beside it.
  const cold = (await once(b)).ms;
  for (let i = 0; i < WARMUP - 1; i++) await once(b);
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < Math.max(5, runs); i++) {
    const r = await once(b);
    times.push(r.ms);
    rows = r.rows;
  }
  times.sort((x, y) => x - y);
  const median = times[Math.floor(times.length / 2)]!;
  results.push({ name: b.name, median_ms: Math.round(median * 100) / 100, rows, cold_ms: Math.round(cold * 100) / 100 });
  if (!asJson) {
    const rate = rows / (median / 1000);
    console.log(
      `${b.name.padEnd(34)} ${median.toFixed(1).padStart(9)} ms  ${rows.toString().padStart(8)} rows  ${Math.round(rate).toLocaleString('en-US').padStart(12)} rows/s   (first run ${cold.toFixed(1)} ms)`,
    );
  }
}
if (!only || 'CliStartup'.startsWith(only) || 'NodeStartup'.startsWith(only)) {
  for (const r of await benchStartup({ runs: Math.max(15, runs) })) {
    if (only && !r.name.startsWith(only)) continue;
    results.push({ ...r, cold_ms: r.median_ms });
    if (!asJson) console.log(`${r.name.padEnd(34)} ${r.median_ms.toFixed(1).padStart(9)} ms  ${String(r.rows).padStart(8)} rows`);
  }
}
if (asJson) console.log(JSON.stringify(results.map(({ name, median_ms, rows }) => ({ name, median_ms, rows })), null, 1));

/** The targets of issue 2, as bounds on the median in ms (Filter1M's second bound: see below). */
const TARGETS: Record<string, { max: number; text: string }> = {
  Range10k: { max: 10, text: '≤ 10 ms' },
  Foreach10k: { max: 30, text: '≤ 30 ms' },
  ForeachWithWorkers10k: { max: 30, text: '≤ 30 ms' },
  Filter1M: { max: 400, text: '≤ 400 ms' },
  GroupBy100k: { max: 100, text: '≤ 100 ms' },
  CliStartup: { max: 150, text: '≤ 150 ms' },
};

if (only) console.error('bench: --only runs are not recorded in docs/numbers.md');
else {
  const measures: BenchMeasure[] = results.map((r) => ({
    name: r.name,
    value: r.median_ms,
    unit: 'ms',
    ...(TARGETS[r.name] ? { target: TARGETS[r.name] } : {}),
    note: r.name.endsWith('Startup') || r.name.startsWith('NodeStartup')
      ? 'median wall time of a process'
      : `median of ${Math.max(5, runs)} warm runs; first run ${r.cold_ms.toFixed(1)} ms; ${r.rows.toLocaleString('en-US')} rows`,
  }));
  const loop = results.find((r) => r.name.startsWith('Filter1M ('));
  const filter = results.find((r) => r.name === 'Filter1M');
  if (loop && filter) {
    measures.push({ name: 'Filter1M ÷ the plain loop', value: Math.round((filter.median_ms / loop.median_ms) * 100) / 100, unit: '×', target: { max: 10, text: '≤ 10×' } });
  }
  writeBenchRecord({ bench: 'engine', title: 'The VQL engine (issue 2) and the CLI start-up', command: 'npm run bench', measures });
  // Open collection… (issue 13): its own script (it builds a 1 GB zip and runs the table engine).
  const collection = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts', 'bench-collection.ts')], { cwd: repoRoot, stdio: asJson ? ['ignore', 'ignore', 'inherit'] : 'inherit' });
  if (collection.status !== 0) console.error('bench: scripts/bench-collection.ts failed; its numbers are left as they were');
  // Velociraptor datastores and vql logs (issue 13): its own script (it builds a datastore and runs the table engine and the CLI).
  const datastores = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts', 'bench-logs-datastore.ts')], { cwd: repoRoot, stdio: asJson ? ['ignore', 'ignore', 'inherit'] : 'inherit' });
  if (datastores.status !== 0) console.error('bench: scripts/bench-logs-datastore.ts failed; its numbers are left as they were');
  const { page, unreadable } = writeNumbersPage();
  for (const u of unreadable) console.error(`bench: test-results/${u.file}: ${u.reason}; left out of the numbers page`);
  if (!asJson) console.log(`wrote ${page}`);
}
