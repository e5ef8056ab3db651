/**
 * `node --import tsx scripts/bench-main-lag.ts [--runs N] [--worker-script FILE] [--json]`:
 * how queries through AppService affect the main process, with queries on worker threads
 * (the default) and inline: time to the first row and to all rows of
 * `SELECT * FROM range(start=0, end=100000)`, and the longest event-loop block while it and two
 * heavy queries run (a 3M-row GROUP BY, a one-second regex step: RE2 is linear, so a long search with a 1000-state pattern). Pushes are JSON-encoded as
 * the web host does, so the main thread pays what it pays in the app.
 * The worker is dist/query-worker.js when built (as `vql serve` and Electron use it), else the
 * .ts source through tsx; the first ("cold") run starts on a pool whose spare is not ready yet.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AppService } from '../main/app/service.ts';
import { WorkerPool } from '../main/app/worker-pool.ts';
import { resolveWorkerEntry } from '../main/app/worker-script.ts';
import { probeLoop } from '../test/helpers/loop-probe.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, 'worker-script': { type: 'string' }, json: { type: 'boolean', default: false } } });
const runs = Number(values.runs);
const built = fileURLToPath(new URL('../dist/query-worker.js', import.meta.url));
const entry = resolveWorkerEntry(values['worker-script'] ?? (existsSync(built) ? built : undefined));
if (!entry) throw new Error('no query worker script found: run npm run build, or pass --worker-script');
const userArtifacts = join(mkdtempSync(join(tmpdir(), 'vql-bench-lag-')), 'artifacts');

interface Sample { firstRowMs: number; allRowsMs: number; rows: number; blockMs: number; gapMs: number }

/** One query through a service: timings and the loop's longest block while it ran. */
async function measure(service: (push: (ch: string, ...a: unknown[]) => void) => AppService, query: string): Promise<Sample> {
  let first = 0;
  let rows = 0;
  let end!: () => void;
  const ended = new Promise<void>((r) => (end = r));
  const s = service((channel, ...args) => {
    JSON.stringify({ type: 'push', channel, args }); // the web host's cost per push
    if (channel === 'vql:rows') {
      if (!first) first = performance.now();
      rows += (args[1] as string[]).length;
    } else if (channel === 'vql:done') end();
  });
  const t0 = performance.now();
  const load = await probeLoop(async () => {
    const r = await s.invoke('vql:run', { query });
    if (!r.ok) throw new Error(r.error.message);
    await ended;
  });
  return { firstRowMs: first - t0, allRowsMs: performance.now() - t0, rows, blockMs: load.blockMs, gapMs: load.gapMs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results: Record<string, Record<string, number>> = {};
function record(name: string, samples: Sample[]): void {
  results[name] = {
    firstRowMedianMs: Math.round(median(samples.map((s) => s.firstRowMs))),
    allRowsMedianMs: Math.round(median(samples.map((s) => s.allRowsMs))),
    maxBlockMs: Math.max(...samples.map((s) => s.blockMs)),
    maxWallGapMs: Math.max(...samples.map((s) => s.gapMs)),
    rows: samples[0]!.rows,
  };
}

const RANGE = 'SELECT * FROM range(start=0, end=100000)';
const HEAVY = { groupBy: 'SELECT count() AS n FROM range(end=3000000) GROUP BY 1', regex: "SELECT parse_string_with_regex(string=format(format='%030000d', args=0), regex='(?P<X>[0-9]{1000}[a-z])') AS M FROM scope()" };

for (const mode of ['worker', 'inline'] as const) {
  const pool = mode === 'worker' ? new WorkerPool(entry, { userArtifacts }) : undefined;
  const service = (push: (ch: string, ...a: unknown[]) => void) =>
    new AppService({ userArtifacts, isolation: mode, pool, push: push as ConstructorParameters<typeof AppService>[0]['push'] });
  if (pool) record('worker range 100k, cold pool', [await measure(service, RANGE)]);
  await pool?.warm();
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    samples.push(await measure(service, RANGE));
    await pool?.warm(); // the spare used by the run is back (or replaced) before the next
  }
  record(`${mode} range 100k`, samples);
  for (const [name, q] of Object.entries(HEAVY)) record(`${mode} ${name}`, [await measure(service, q)]);
  await pool?.close();
}

if (values.json) console.log(JSON.stringify({ workerScript: entry.file, runs, results }, null, 1));
else {
  console.log(`worker script: ${entry.file}; ${runs} runs of the range query (median), heavy queries once`);
  console.table(results);
}
