/**
 * Velociraptor datastores (issue 13): a server datastore built in Velociraptor's current layout
 * (JSONL day files with their `.json.tidx`, test/logs/fixtures.ts) is
 * 1. listed as the app's "Open datastore…" lists it (`store:datastore` then `store:artifacts`:
 *    clients with hostnames, artifacts, days with rows and sizes): a year of daily files for 5
 *    artifacts, target under 1 s;
 * 2. opened as a 30-day range through the table engine (`table:open` of kind `logs`), against
 *    the same rows as one JSONL file (`table:open` of kind `file`), target within 1.5x;
 * 3. streamed by `vql logs show` (the bundled CLI, output read from a pipe): a 1M-row day, target
 *    at least 300k rows/s, with flat memory (the peak RSS of the 1M-row run against a 100k-row
 *    run of the same day file's first rows).
 * Every result is checked (row counts), so a fast wrong answer is not a result: a wrong one is
 * printed and the exit code is 1. Writes test-results/bench-logs-datastore.json.
 *
 * Usage: node --import tsx scripts/bench-logs-datastore.ts [--runs N] [--json]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, createWriteStream, mkdirSync, existsSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { at, jsonlDayPath, writeJsonlDay, writeSnapshot } from '../test/logs/fixtures.ts';
import { tableHandlers } from '../main/app/tables.ts';
import { eventsHandlers } from '../main/app/events.ts';
import { TableEngine } from '../main/tables/engine.ts';
import type { ServiceContext } from '../main/app/service.ts';
import type { Result, TableInfo } from '../main/ipc/contract.ts';
import { repoRoot, writeBenchRecord, type BenchMeasure } from './bench-record.ts';

const argv = process.argv.slice(2);
const RUNS = argv.includes('--runs') ? Number(argv[argv.indexOf('--runs') + 1]) : 3;
const asJson = argv.includes('--json');
const log = (s: string) => (asJson ? process.stderr.write(s + '\n') : console.log(s));
const C = 'C.4f5e52adf0a337a9';
const ARTIFACTS = ['Generic.Client.Stats', 'Windows.Events.ProcessCreation', 'Windows.Events.DNSQueries', 'Linux.Events.SSHLogin', 'Windows.Detection.Usn/Changes'];
const RANGE_DAYS = 30;
const RANGE_ROWS_PER_DAY = 20_000;
const SHOW_ROWS = 1_000_000;
let failed = false;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}
function check(ok: boolean, what: string): void {
  if (!ok) {
    failed = true;
    console.error(`bench-logs-datastore: WRONG: ${what}`);
  }
}

const tmp = mkdtempSync(join(tmpdir(), 'vql-bench-ds-'));
const root = join(tmp, 'datastore');
mkdirSync(join(tmp, 'engine'), { recursive: true });
const engine = new TableEngine({ tempRoot: join(tmp, 'engine') });
const ctx = { opts: { push: () => {} } } as unknown as ServiceContext;
const tables = tableHandlers(ctx, engine);
const events = eventsHandlers(ctx);

/** A row like Generic.Client.Stats / process events (~150 bytes of JSON with the appended columns). */
const row = (i: number) => ({ Timestamp: 1700000000 + i / 10, CPU: (i % 1000) / 10, RSS: 18000000 + i, Name: `proc${i % 97}.exe`, Pid: i % 65536 });

try {
  // 1. A year of daily files for 5 artifacts (a few rows each: listing reads the indexes only).
  const t0 = Date.now();
  writeSnapshot(root, { [C]: 'desk-01.example.com' });
  const start = Date.parse('2023-01-01T00:00:00Z');
  for (const a of ARTIFACTS) {
    for (let d = 0; d < 365; d++) {
      const day = new Date(start + d * 86_400_000).toISOString().slice(0, 10);
      const rows = a === ARTIFACTS[0] && d >= 365 - RANGE_DAYS ? RANGE_ROWS_PER_DAY : 24;
      const batches = Array.from({ length: Math.ceil(rows / 100) }, (_, b) => ({ ts: at(day, Math.floor((b * 86_000) / Math.ceil(rows / 100))), rows: Array.from({ length: Math.min(100, rows - b * 100) }, (_, k) => row(b * 100 + k)) }));
      writeJsonlDay(jsonlDayPath(root, C, a, day), C, batches);
    }
  }
  log(`built ${ARTIFACTS.length} artifacts x 365 days in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const listMs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const fresh = eventsHandlers(ctx); // a new counter each time: nothing cached
    const s = performance.now();
    const ds = value(await fresh.invoke['store:datastore'](root));
    const arts = value(await fresh.invoke['store:artifacts'](ds.clients[0]!.id, ds.root));
    listMs.push(performance.now() - s);
    fresh.close();
    check(ds.clients[0]!.hostname === 'desk-01.example.com', 'the hostname');
    check(arts.length === 5 && arts.every((a) => a.days.length === 365), `5 artifacts of 365 days (got ${arts.map((a) => a.days.length)})`);
    check(arts.find((a) => a.artifact === ARTIFACTS[0])!.days.at(-1)!.rows === RANGE_ROWS_PER_DAY, 'the row count of a day');
  }
  log(`list: ${median(listMs).toFixed(0)} ms (median of ${RUNS})`);

  // 2. A 30-day range as one table, against the same rows as one file.
  const days = Array.from({ length: RANGE_DAYS }, (_, i) => new Date(start + (365 - RANGE_DAYS + i) * 86_400_000).toISOString().slice(0, 10));
  const one = join(tmp, 'one', 'range.jsonl');
  mkdirSync(dirname(one), { recursive: true });
  const out = createWriteStream(one);
  for (const d of days) out.write(readFileSync(jsonlDayPath(root, C, ARTIFACTS[0]!, d)));
  out.end();
  await once(out, 'close');
  const openTimed = async (source: Record<string, unknown>): Promise<{ ms: number; info: TableInfo }> => {
    const s = performance.now();
    let info = value(await tables.invoke['table:open'](source as never));
    while (info.state === 'loading') {
      await new Promise((r) => setTimeout(r, 10));
      info = value(await tables.invoke['table:info'](info.id));
    }
    const ms = performance.now() - s;
    value(await tables.invoke['table:close'](info.id));
    return { ms, info };
  };
  const rangeMs: number[] = [];
  const fileMs: number[] = [];
  const want = RANGE_DAYS * RANGE_ROWS_PER_DAY;
  for (let r = 0; r < RUNS; r++) {
    const a = await openTimed({ kind: 'logs', client: C, artifact: ARTIFACTS[0], from: days[0], to: days.at(-1), datastore: root });
    const b = await openTimed({ kind: 'file', path: one });
    check(a.info.state === 'ready' && a.info.rowCount === want, `the range's rows (${a.info.rowCount} of ${want}, ${a.info.state})`);
    check(b.info.state === 'ready' && b.info.rowCount === want, `the file's rows (${b.info.rowCount} of ${want})`);
    rangeMs.push(a.ms);
    fileMs.push(b.ms);
  }
  const ratio = median(rangeMs) / median(fileMs);
  log(`open ${RANGE_DAYS} days (${want.toLocaleString('en-US')} rows): ${median(rangeMs).toFixed(0)} ms; the same rows as one file: ${median(fileMs).toFixed(0)} ms; ${ratio.toFixed(2)}x`);

  // 3. vql logs show over a 1M-row day.
  const showDay = '2024-01-01';
  const showPath = jsonlDayPath(root, C, 'Big.Day', showDay);
  writeJsonlDay(showPath, C, Array.from({ length: SHOW_ROWS / 1000 }, (_, b) => ({ ts: at(showDay, b * 80), rows: Array.from({ length: 1000 }, (_, k) => row(b * 1000 + k)) })));
  const bin = join(repoRoot, 'bin', 'vql.js');
  if (!existsSync(join(repoRoot, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: npm run build');
  const show = async (to: string): Promise<{ ms: number; rows: number; peakMb: number }> => {
    const s = performance.now();
    const child = spawn(process.execPath, [bin, 'logs', 'show', 'Big.Day', '--from', showDay, '--to', to, '--datastore', root], { stdio: ['ignore', 'pipe', 'inherit'] });
    let rows = 0;
    let peak = 0;
    const poll = setInterval(() => {
      try {
        const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]) / 1024);
      } catch {
        // Ended, or not Linux.
      }
    }, 20);
    child.stdout.on('data', (b: Buffer) => {
      for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) rows++;
    });
    const [code] = await once(child, 'close');
    clearInterval(poll);
    if (code !== 0) throw new Error(`vql logs show exited ${code}`);
    return { ms: performance.now() - s, rows, peakMb: peak };
  };
  const showRuns: Array<{ ms: number; rows: number; peakMb: number }> = [];
  for (let r = 0; r < RUNS; r++) showRuns.push(await show(showDay));
  const small = await show(`${showDay}T02:13:20Z`); // the first 100 batches: 100k rows, read through the index
  for (const r of showRuns) check(r.rows === SHOW_ROWS, `vql logs show printed ${r.rows} rows of ${SHOW_ROWS}`);
  check(small.rows === 100_000, `the 100k-row range printed ${small.rows}`);
  const showMs = median(showRuns.map((r) => r.ms));
  const rate = SHOW_ROWS / (showMs / 1000);
  const peak = Math.max(...showRuns.map((r) => r.peakMb));
  log(`vql logs show, ${SHOW_ROWS.toLocaleString('en-US')} rows: ${showMs.toFixed(0)} ms, ${Math.round(rate).toLocaleString('en-US')} rows/s (process start included); peak RSS ${peak.toFixed(0)} MB (100k rows: ${small.peakMb.toFixed(0)} MB)`);

  const measures: BenchMeasure[] = [
    { name: 'List a datastore: 1 client, 5 artifacts x 365 JSONL days', value: Math.round(median(listMs)), unit: 'ms', target: { max: 1000, text: '< 1 s' }, note: `store:datastore + store:artifacts, fresh counter; median of ${RUNS}` },
    { name: `Open ${RANGE_DAYS} JSONL days as one table ÷ the same rows as one file`, value: Math.round(ratio * 100) / 100, unit: '×', target: { max: 1.5, text: '≤ 1.5×' }, note: `${want.toLocaleString('en-US')} rows: ${median(rangeMs).toFixed(0)} ms against ${median(fileMs).toFixed(0)} ms` },
    { name: 'vql logs show, a 1M-row JSONL day', value: Math.round(rate), unit: 'rows/s', target: { min: 300_000, text: '≥ 300k rows/s' }, note: `${showMs.toFixed(0)} ms including process start; median of ${RUNS}` },
    { name: 'vql logs show peak RSS, 1M rows ÷ 100k rows', value: Math.round((peak / small.peakMb) * 100) / 100, unit: '×', target: { max: 1.5, text: 'flat (≤ 1.5×)' }, note: `${peak.toFixed(0)} MB against ${small.peakMb.toFixed(0)} MB` },
  ];
  if (!failed) writeBenchRecord({ bench: 'logs-datastore', title: 'Velociraptor datastores and vql logs (issue 13)', command: 'node --import tsx scripts/bench-logs-datastore.ts', measures });
  if (asJson) console.log(JSON.stringify(measures));
} finally {
  tables.close();
  events.close();
  engine.dispose();
  rmSync(tmp, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
