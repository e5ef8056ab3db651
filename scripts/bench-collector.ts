/**
 * `npm run bench:collector [-- --seconds N] [--log-format csv|jsonl] [--only footprint|flood|store] [--json]`:
 * the collector's benchmarks, measured from outside the `vql monitor` process with pidusage.
 * - Footprint: only Generic.Client.Stats, at Frequency=1 and Frequency=10, for N s each
 *   (default 60): median and peak RSS, average CPU % of one core.
 * - Throughput: an event artifact that emits rows as fast as it can, for 10 s: rows/s
 *   written to the day files (counted in the files after a clean stop) and peak RSS.
 * - Store: the store alone, in this process: 1M rows in batches of 5000 written (rows/s), the
 *   restart's repair() of that day, and for JSONL the day read back through its index (rows/s)
 *   and one hour of it found by the binary search on the index.
 * `--log-format` picks the files the collector writes (`vql monitor --log-format`): CSV (the
 * default) or Velociraptor's JSONL with its time index; run it once of each to compare.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pidusage from 'pidusage';
import { median } from './bench-stats.ts';
import { openStore } from '../main/collector/stores.ts';
import { readJsonlRows } from '../main/collector/jsonl-read.ts';
import { VDict } from '../main/vql/values/types.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const seconds = argv.includes('--seconds') ? Number(argv[argv.indexOf('--seconds') + 1]) : 60;
const asJson = argv.includes('--json');
const logFormat = argv.includes('--log-format') ? argv[argv.indexOf('--log-format') + 1]! : 'csv';
if (logFormat !== 'csv' && logFormat !== 'jsonl') throw new Error(`--log-format: csv or jsonl, not ${logFormat}`);
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;

interface Sample {
  rss: number;
  cpu: number;
}

async function runMonitor(datastore: string, definitions: string | null, forSeconds: number, warmup = 5): Promise<{ samples: Sample[]; wall: number }> {
  const args = ['bin/vql.js', 'monitor', '--datastore', datastore, '--log-format', logFormat];
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
    if (!e.isFile()) continue;
    if (e.name.endsWith('.csv')) {
      const text = readFileSync(join(e.parentPath, e.name), 'utf8');
      n += text.split('\n').length - 2; // minus the header and the final empty line
    } else if (e.name.endsWith('.json')) {
      n += readFileSync(join(e.parentPath, e.name), 'utf8').split('\n').length - 1; // one row a line
    }
  }
  return n;
}

const results: Array<{ name: string; median_ms: number; rows: number; [k: string]: unknown }> = [];

for (const frequency of only === undefined || only === 'footprint' ? [1, 10] : []) {
  const ds = mkdtempSync(join(tmpdir(), 'vql-bench-monitor-'));
  writeFileSync(join(ds, 'events.yaml'), `Events:\n  artifacts:\n  - Generic.Client.Stats\n  version: 1\n  parameters:\n    Generic.Client.Stats:\n      Frequency: ${frequency}\n`);
  const { samples } = await runMonitor(ds, null, seconds);
  const rss = samples.map((s) => s.rss);
  const cpu = samples.reduce((a, s) => a + s.cpu, 0) / samples.length;
  const r = { name: `Footprint Stats Frequency=${frequency} (${logFormat})`, median_ms: 0, rows: 0, rss_median_mb: +(median(rss) / 1048576).toFixed(1), rss_peak_mb: +(Math.max(...rss) / 1048576).toFixed(1), cpu_percent: +cpu.toFixed(2), seconds };
  results.push(r);
  if (!asJson) console.log(`${r.name.padEnd(34)} RSS median ${r.rss_median_mb} MB, peak ${r.rss_peak_mb} MB, CPU ${r.cpu_percent}% of a core over ${seconds} s`);
  rmSync(ds, { recursive: true, force: true });
}

if (only === undefined || only === 'flood') {
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
  const r = { name: `Throughput Flood (${logFormat})`, median_ms: 0, rows, rows_per_second: Math.round(rate), rss_peak_mb: +(Math.max(...samples.map((s) => s.rss)) / 1048576).toFixed(1), seconds: floodSeconds + 1, wall_s: +wall.toFixed(1) };
  results.push(r);
  if (!asJson) console.log(`${r.name.padEnd(34)} ${rows} rows in ~${floodSeconds + 1} s: ${r.rows_per_second.toLocaleString('en-US')} rows/s written, peak RSS ${r.rss_peak_mb} MB`);
  rmSync(ds, { recursive: true, force: true });
}

if (only === undefined || only === 'store') {
  // In-process: the store alone (no query engine), then a restart's repair() of the day and its read-back.
  const ds = mkdtempSync(join(tmpdir(), 'vql-bench-store-'));
  const rows = 1_000_000;
  const at = (i: number) => new Date(Date.UTC(2024, 0, 2, 0, 0, 0) + i * 432_000); // 200 batches over the day
  let batchNo = 0;
  const store = openStore(logFormat, { datastore: ds, clientId: 'C.0123456789abcdef', now: () => at(batchNo) });
  const users = ['root', 'alice', 'bob', 'www-data', 'SYSTEM'];
  const batches: VDict[][] = [];
  for (let done = 0; done < rows; done += 5000) {
    const batch: VDict[] = [];
    for (let seq = done; seq < done + 5000; seq++) batch.push(new VDict([['Seq', seq], ['Pid', 1000 + (seq % 30000)], ['Name', `proc${seq % 97}.exe`], ['User', users[seq % 5]!], ['RSS', seq * 4096]]));
    batches.push(batch);
  }
  const t0 = performance.now();
  for (const b of batches) {
    await store.append('Bench.Events', b);
    batchNo++;
  }
  const write = (performance.now() - t0) / 1000;
  await store.close();
  const again = openStore(logFormat, { datastore: ds, clientId: 'C.0123456789abcdef', now: () => at(batchNo) });
  const t1 = performance.now();
  await again.repair();
  const repair = (performance.now() - t1) / 1000;
  await again.close();
  const r: (typeof results)[number] = { name: `Store 1M rows (${logFormat})`, median_ms: 0, write_ms: +(write * 1000).toFixed(0), rows, rows_per_second: Math.round(rows / write), repair_ms: +(repair * 1000).toFixed(0) };
  if (logFormat === 'jsonl') {
    const file = join(again.dir('Bench.Events'), '2024-01-02.json');
    const t2 = performance.now();
    let n = 0;
    for await (const b of readJsonlRows(file)) n += b.length;
    r.read_rows_per_second = Math.round(n / ((performance.now() - t2) / 1000));
    // One hour of the day (from noon), found by the binary search on the index.
    const from = Date.UTC(2024, 0, 2, 12);
    const t3 = performance.now();
    let m = 0;
    for await (const b of readJsonlRows(file, { from, to: from + 3_600_000 })) m += b.length;
    r.hour_rows = m;
    r.hour_read_ms = +(performance.now() - t3).toFixed(1);
  }
  results.push(r);
  if (!asJson) {
    const extra = logFormat === 'jsonl' ? `; read back ${Number(r.read_rows_per_second).toLocaleString('en-US')} rows/s; one hour (${r.hour_rows} rows) found by the index and read in ${r.hour_read_ms} ms` : '';
    console.log(`${r.name.padEnd(34)} written at ${Number(r.rows_per_second).toLocaleString('en-US')} rows/s; repair() at restart ${r.repair_ms} ms${extra}`);
  }
  rmSync(ds, { recursive: true, force: true });
}

if (asJson) console.log(JSON.stringify(results, null, 1));
