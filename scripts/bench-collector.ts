/**
 * `npm run bench:collector [-- --seconds N] [--json]`: the collector's benchmarks, measured
 * from outside the `vql monitor` process with pidusage.
 * - Footprint: only Generic.Client.Stats, at Frequency=1 and Frequency=10, for N s each
 *   (default 60): median and peak RSS, average CPU % of one core.
 * - Throughput: an event artifact that emits rows as fast as it can, for 10 s: rows/s
 *   written to the daily CSV (counted in the files after a clean stop) and peak RSS.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pidusage from 'pidusage';
import { median } from './bench-stats.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const seconds = argv.includes('--seconds') ? Number(argv[argv.indexOf('--seconds') + 1]) : 60;
const asJson = argv.includes('--json');

interface Sample {
  rss: number;
  cpu: number;
}

async function runMonitor(datastore: string, definitions: string | null, forSeconds: number, warmup = 5): Promise<{ samples: Sample[]; wall: number }> {
  const args = ['bin/vql.js', 'monitor', '--datastore', datastore];
  if (definitions) args.push('--definitions', definitions);
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const samples: Sample[] = [];
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, warmup * 1000));
  await pidusage(child.pid!); // the first call only sets the CPU baseline
  for (let i = 0; i < forSeconds; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const u = await pidusage(child.pid!);
    samples.push({ rss: u.memory, cpu: u.cpu });
  }
  child.kill('SIGTERM');
  const code = await new Promise((r) => child.on('exit', r));
  if (code !== 0) throw new Error(`vql monitor exited ${String(code)}: ${stderr}`);
  pidusage.clear();
  return { samples, wall: (Date.now() - t0) / 1000 };
}

function countRows(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !e.name.endsWith('.csv')) continue;
    const text = readFileSync(join(e.parentPath, e.name), 'utf8');
    n += text.split('\n').length - 2; // minus the header and the final empty line
  }
  return n;
}

const results: Array<{ name: string; median_ms: number; rows: number; [k: string]: unknown }> = [];

for (const frequency of [1, 10]) {
  const ds = mkdtempSync(join(tmpdir(), 'vql-bench-monitor-'));
  writeFileSync(join(ds, 'events.yaml'), `Events:\n  artifacts:\n  - Generic.Client.Stats\n  version: 1\n  parameters:\n    Generic.Client.Stats:\n      Frequency: ${frequency}\n`);
  const { samples } = await runMonitor(ds, null, seconds);
  const rss = samples.map((s) => s.rss);
  const cpu = samples.reduce((a, s) => a + s.cpu, 0) / samples.length;
  const r = { name: `Footprint Stats Frequency=${frequency}`, median_ms: 0, rows: 0, rss_median_mb: +(median(rss) / 1048576).toFixed(1), rss_peak_mb: +(Math.max(...rss) / 1048576).toFixed(1), cpu_percent: +cpu.toFixed(2), seconds };
  results.push(r);
  if (!asJson) console.log(`${r.name.padEnd(34)} RSS median ${r.rss_median_mb} MB, peak ${r.rss_peak_mb} MB, CPU ${r.cpu_percent}% of a core over ${seconds} s`);
  rmSync(ds, { recursive: true, force: true });
}

{
  const ds = mkdtempSync(join(tmpdir(), 'vql-bench-flood-'));
  const defs = join(ds, 'defs');
  mkdirSync(defs);
  writeFileSync(join(defs, 'Bench.Flood.yaml'), `name: Bench.Flood
type: CLIENT_EVENT
resources:
  cpu_limit: 100
  ops_per_second: 100000000
sources:
  - query: |
      SELECT * FROM foreach(row={ SELECT * FROM clock(ms=1) },
        query={ SELECT _value AS N, 'row' AS Kind, _value * 2 AS Double FROM range(end=5000) })
`);
  writeFileSync(join(ds, 'events.yaml'), 'Events:\n  artifacts:\n  - Bench.Flood\n  version: 1\n');
  const floodSeconds = 10;
  const { samples, wall } = await runMonitor(ds, defs, floodSeconds, 1);
  const rows = countRows(join(ds, 'clients'));
  const rate = rows / (floodSeconds + 1);
  const r = { name: 'Throughput Flood', median_ms: 0, rows, rows_per_second: Math.round(rate), rss_peak_mb: +(Math.max(...samples.map((s) => s.rss)) / 1048576).toFixed(1), seconds: floodSeconds + 1, wall_s: +wall.toFixed(1) };
  results.push(r);
  if (!asJson) console.log(`${r.name.padEnd(34)} ${rows} rows in ~${floodSeconds + 1} s: ${r.rows_per_second.toLocaleString('en-US')} rows/s written, peak RSS ${r.rss_peak_mb} MB`);
  rmSync(ds, { recursive: true, force: true });
}

if (asJson) console.log(JSON.stringify(results, null, 1));
