/**
 * `npm run bench:csv [-- --rows N[,N...]] [--row-bytes B] [--keep]`: CSV import at scale in real
 * headless Chromium through the CsvImport view (file input -> worker -> columnar store -> table).
 * Generates event-log-like CSV files (epoch and ISO timestamps, numbers, low- and
 * high-cardinality text, some quoted fields) into a temp dir with streaming writes, then
 * measures: time to first rows visible, time to fully loaded, the page's JS heap (CDP, after a
 * GC), whether the page stayed responsive (longest long task and longest lateness of a 10 ms timer
 * during the import), and sort and filter times through the table's UI when it has them.
 * Defaults: 1,000,000 and 5,000,000 rows of ~150 bytes.
 */
import { createWriteStream, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumPath, openApp, type App } from '../test/e2e/harness.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const arg = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const sizes = (arg('--rows') ?? '1000000,5000000').split(',').map(Number);
const rowBytes = Number(arg('--row-bytes') ?? 150);
const keep = argv.includes('--keep');
const dir = join(tmpdir(), 'vql-bench-csv');

const NAMES = Array.from({ length: 200 }, (_, i) => `${['svchost', 'chrome', 'powershell', 'python3', 'sshd'][i % 5]}${i}.exe`);
const USERS = ['SYSTEM', 'alice', 'bob', 'LOCAL SERVICE', 'NETWORK SERVICE'];

/** Writes `rows` rows of about `bytes` bytes each (streaming: memory stays flat). */
async function generate(path: string, rows: number, bytes: number): Promise<void> {
  const out = createWriteStream(path);
  let seed = 7;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const t0 = Date.UTC(2024, 0, 1) / 1000;
  let s = '_ts,Time,Pid,Ppid,CPU,RSS,Name,User,CommandLine\n';
  for (let i = 0; i < rows; i++) {
    const ts = t0 + Math.floor(i / 10);
    const pid = 1000 + Math.floor(rnd() * 60000);
    const name = NAMES[i % NAMES.length]!;
    const head = `${ts},${new Date(ts * 1000 + (i % 10) * 100 + 1).toISOString()},${pid},${pid % 997},${(rnd() * 100).toFixed(2)},${Math.floor(rnd() * 5e8)},${name},${USERS[i % 5]},`;
    let cmd = i % 50 === 0 ? `"""C:\\Program Files\\${name}"" -x, ${i}"` : `C:\\Windows\\System32\\${name} --id ${i} --opt ${Math.floor(rnd() * 1e6)}`;
    const pad = bytes - head.length - cmd.length - 1;
    if (pad > 0 && i % 50 !== 0) cmd += ' --pad ' + 'x'.repeat(Math.max(0, pad - 7));
    s += head + cmd + '\n';
    if (s.length > 1 << 20) {
      if (!out.write(s)) await new Promise<void>((r) => out.once('drain', () => r()));
      s = '';
    }
  }
  await new Promise<void>((r) => out.end(s, () => r()));
}

/** In-page probe: times of the file's `change`, the first grid cell, the end; timer lateness; long tasks. */
function installProbe(): void {
  const w = window as unknown as Record<string, unknown>;
  const b = { t0: 0, first: 0, done: 0, maxGap: 0, longest: 0, longestAt: 0, longTasks: 0, summary: '', heapLimitMB: 0 };
  b.heapLimitMB = ((performance as unknown as { memory?: { jsHeapSizeLimit: number } }).memory?.jsHeapSizeLimit ?? 0) / 1e6;
  w.__csvBench = b;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (!b.t0 || b.done) continue;
      b.longTasks++;
      if (e.duration > b.longest) {
        b.longest = e.duration;
        b.longestAt = e.startTime - b.t0;
      }
    }
  }).observe({ type: 'longtask', buffered: false });
  const input = document.querySelector('input[aria-label="Open CSV file"]')!;
  input.addEventListener('change', () => {
    b.t0 = performance.now();
    // A 10 ms timer loop (headless Chromium runs no animation frames here): its lateness is how
    // long the page could not respond.
    let last = b.t0;
    const tick = () => {
      const now = performance.now();
      b.maxGap = Math.max(b.maxGap, now - last - 10);
      last = now;
      if (!b.first && document.querySelector('[aria-label="Imported rows"] [role="gridcell"]')) b.first = now - b.t0;
      const summary = document.querySelector('[aria-label="Import summary"]')?.textContent ?? '';
      if (/\b(done|failed|cancelled) in\b/.test(summary) && !document.querySelector('[role="progressbar"]')) {
        b.done = now - b.t0;
        b.summary = summary.replace(/\s+/g, ' ').trim();
        return;
      }
      setTimeout(tick, 10);
    };
    setTimeout(tick, 10);
  }, { capture: true, once: true });
}

interface Probe { t0: number; first: number; done: number; maxGap: number; longest: number; longestAt: number; longTasks: number; summary: string; heapLimitMB: number }

interface Result {
  rows: number;
  fileMB: number;
  firstRowsMs: number;
  loadedMs: number;
  heapMB: number;
  heapPeakMB: number;
  maxTimerDelayMs: number;
  longestTaskMs: number;
  /** When the longest task started, from the file's selection. */
  longestTaskAtMs: number;
  longTasks: number;
  heapLimitMB: number;
  summary: string;
  sortMs: Record<string, number | string>;
  filterMs: Record<string, number | string>;
}

async function heapMB(app: App): Promise<number> {
  const cdp = await app.context.newCDPSession(app.page);
  await cdp.send('Performance.enable');
  const { metrics } = await cdp.send('Performance.getMetrics');
  await cdp.detach();
  return (metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0) / 1e6;
}

async function collectGarbage(app: App): Promise<void> {
  const cdp = await app.context.newCDPSession(app.page);
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.detach();
}

/** One click on a column's sort button, timed in the page: the click's work plus the DOM update. */
function sortInPage(col: string): Promise<number | string> {
  return (async () => {
    const head = document.querySelector(`section[aria-label="CSV import"] [role="columnheader"][aria-label="${col}"]`);
    const button = head?.querySelector('button');
    if (!head || !button) return 'no sort button in the table';
    const t0 = performance.now();
    button.click();
    await new Promise((r) => setTimeout(r, 0));
    const ms = performance.now() - t0;
    return head.getAttribute('aria-sort') === 'none' ? 'not sorted after the click' : ms;
  })();
}

/**
 * Types a filter into a column's filter input and waits for the row count to change: the time
 * minus the table's 200 ms typing debounce (the filter itself and the redraw), and the count.
 */
function filterInPage(args: { col: string; text: string }): Promise<{ ms: number; count: string } | string> {
  return (async () => {
    const scope = 'section[aria-label="CSV import"]';
    const input = document.querySelector<HTMLInputElement>(`${scope} input[aria-label="Filter ${args.col}"]`);
    const count = document.querySelector(`${scope} [aria-live="polite"]`);
    if (!input || !count) return `no "Filter ${args.col}" input or row count in the table`;
    const before = count.textContent;
    input.value = args.text;
    const t0 = performance.now();
    input.dispatchEvent(new Event('input', { bubbles: true }));
    for (;;) {
      await new Promise((r) => setTimeout(r, 2));
      if (count.textContent !== before) return { ms: performance.now() - t0 - 200, count: count.textContent ?? '' };
      if (performance.now() - t0 > 60_000) return 'the row count did not change within 60 s';
    }
  })();
}

/** Sort and filter through the table's own controls (column sort buttons, "Filter <column>" inputs). */
async function tableOps(app: App): Promise<Pick<Result, 'sortMs' | 'filterMs'>> {
  const { page } = app;
  const sortMs: Record<string, number | string> = {};
  const filterMs: Record<string, number | string> = {};
  for (const col of ['CPU', 'Time', 'Name', 'CommandLine']) {
    sortMs[`${col} asc`] = await page.evaluate(sortInPage, col);
    sortMs[`${col} desc`] = await page.evaluate(sortInPage, col);
    await page.evaluate(sortInPage, col); // the third click clears the sort
  }
  for (const [col, text] of [['CPU', '>99'], ['Name', 'chrome1'], ['User', '=alice'], ['CommandLine', 'Program Files']] as const) {
    const r = await page.evaluate(filterInPage, { col, text });
    filterMs[`${col} "${text}"`] = typeof r === 'string' ? r : r.ms;
    if (typeof r !== 'string') filterMs[`${col} "${text}" rows`] = r.count;
    await page.evaluate(filterInPage, { col, text: '' });
  }
  return { sortMs, filterMs };
}

async function benchOne(rows: number): Promise<Result> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `events-${rows}-${rowBytes}.csv`);
  if (!existsSync(path)) {
    const t = performance.now();
    await generate(path, rows, rowBytes);
    console.error(`generated ${path} (${(statSync(path).size / 1e6).toFixed(0)} MB) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  const app = await openApp('bench-csv');
  try {
    const { page } = app;
    await page.getByRole('tab', { name: 'CSV import' }).click();
    // tsx compiles this file with esbuild's keepNames: functions sent to the page call __name().
    await page.evaluate('globalThis.__name = (f) => f');
    await page.evaluate(installProbe);
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await heapMB(app).catch(() => 0));
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    await page.getByLabel('Open CSV file').setInputFiles(path);
    await page.waitForFunction(() => ((window as unknown as { __csvBench: Probe }).__csvBench.done > 0), undefined, { timeout: 10 * 60_000, polling: 250 });
    sampling = false;
    await sampler;
    const probe = await page.evaluate(() => (window as unknown as { __csvBench: Probe }).__csvBench);
    await collectGarbage(app);
    const heap = await heapMB(app);
    await app.screenshot(`loaded-${rows}`);
    const ops = await tableOps(app);
    await app.screenshot(`ops-${rows}`);
    if (app.errors.length) console.error(`page errors: ${app.errors.join('\n')}`);
    return {
      rows, fileMB: statSync(path).size / 1e6, firstRowsMs: probe.first, loadedMs: probe.done, heapMB: heap, heapPeakMB: Math.max(peak, heap),
      maxTimerDelayMs: probe.maxGap, longestTaskMs: probe.longest, longestTaskAtMs: probe.longestAt, longTasks: probe.longTasks, heapLimitMB: probe.heapLimitMB, summary: probe.summary, ...ops,
    };
  } finally {
    await app.close();
    if (!keep) rmSync(path, { force: true });
  }
}

if (!chromiumPath()) {
  console.error('bench:csv needs Chromium (apt-get install -y chromium, or set CHROMIUM_PATH)');
  process.exit(1);
}
const results: Result[] = [];
for (const n of sizes) {
  const r = await benchOne(n);
  results.push(r);
  const f = (x: number) => x.toFixed(0);
  console.log(`\n${n.toLocaleString('en')} rows (${f(r.fileMB)} MB): first rows ${f(r.firstRowsMs)} ms, fully loaded ${f(r.loadedMs)} ms`);
  console.log(`  page JS heap after GC ${f(r.heapMB)} MB (peak sampled ${f(r.heapPeakMB)} MB); longest timer delay ${f(r.maxTimerDelayMs)} ms, longest task ${f(r.longestTaskMs)} ms at ${f(r.longestTaskAtMs)} ms (${r.longTasks} long tasks); heap limit ${f(r.heapLimitMB)} MB`);
  console.log(`  summary: ${r.summary}`);
  for (const [k, v] of Object.entries(r.sortMs)) console.log(`  sort ${k}: ${typeof v === 'number' ? f(v) + ' ms' : v}`);
  for (const [k, v] of Object.entries(r.filterMs)) console.log(`  filter ${k}: ${typeof v === 'number' ? f(v) + ' ms (after the 200 ms typing debounce)' : v}`);
}
mkdirSync(join(root, 'test-results'), { recursive: true });
writeFileSync(join(root, 'test-results', 'bench-csv.json'), JSON.stringify(results, null, 2));
