/**
 * `npm run bench:csv [-- --rows N[,N...]] [--big] [--rounds R] [--row-bytes B] [--no-ops] [--keep]`:
 * opening a big CSV file in the log workbench, in real headless Chromium, against DuckDB's own
 * `read_csv_auto` on the same file in the same run (the anchor: a plain DuckDB instance in this
 * process, reading into an in-memory table, before each round of the page).
 *
 * Generates an event-log-like CSV file (epoch and ISO timestamps, numbers, low- and
 * high-cardinality text, some quoted fields; ~150 bytes a row) with streaming writes, then
 * opens it as a person does: Open file…, its path typed into the host-side picker, Enter. The
 * host (the web host, in this process) loads it into the engine (main/tables, DuckDB) while the
 * page shows the first rows. Measured from the Enter in the page: first rows on screen, fully
 * loaded (the summary says "loaded in"), the page's JS heap (CDP, after a GC; and the largest
 * sampled while loading), the main process's RSS (this process runs the host and the engine:
 * the largest sampled while loading), whether the page stayed responsive (the longest lateness
 * of a 10 ms timer, the longest long task), then sort and filter through the grid's own
 * controls, each to its first screen. Defaults: 1,000,000 rows (`--big`: and 5,000,000).
 * Results also go to test-results/bench-csv.json.
 */
import { createWriteStream, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { chromiumPath, openApp, type App } from '../test/e2e/harness.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const arg = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const sizes = (arg('--rows') ?? (argv.includes('--big') ? '1000000,5000000' : '1000000')).split(',').map(Number);
const rounds = Number(arg('--rounds') ?? 1);
const rowBytes = Number(arg('--row-bytes') ?? 150);
const keep = argv.includes('--keep');
const withOps = !argv.includes('--no-ops');
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

/** DuckDB's own reader into an in-memory table, in a plain instance: the anchor (ms). */
async function anchor(path: string): Promise<number> {
  const inst = await DuckDBInstance.create(':memory:');
  const c = await inst.connect();
  const t = performance.now();
  await c.run(`CREATE TABLE t AS SELECT * FROM read_csv_auto('${path.replace(/'/g, "''")}')`);
  const took = performance.now() - t;
  c.closeSync();
  inst.closeSync();
  return took;
}

interface Probe { t0: number; first: number; done: number; maxGap: number; longest: number; longTasks: number; summary: string; heapLimitMB: number }

/**
 * In-page probe: the time of the Enter in the picker's path box, of the first row of the grid
 * with its cells, of the end of the load; a 10 ms timer's lateness; long tasks.
 */
function installProbe(): void {
  const w = window as unknown as Record<string, unknown>;
  const b = { t0: 0, first: 0, done: 0, maxGap: 0, longest: 0, longTasks: 0, summary: '', heapLimitMB: 0 };
  b.heapLimitMB = ((performance as unknown as { memory?: { jsHeapSizeLimit: number } }).memory?.jsHeapSizeLimit ?? 0) / 1e6;
  w.__csvBench = b;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (!b.t0 || b.done) continue;
      b.longTasks++;
      b.longest = Math.max(b.longest, e.duration);
    }
  }).observe({ type: 'longtask', buffered: false });
  const onKey = (e: KeyboardEvent) => {
    if (e.key !== 'Enter' || (e.target as HTMLElement | null)?.getAttribute('aria-label') !== 'Path') return;
    document.removeEventListener('keydown', onKey, true);
    b.t0 = performance.now();
    // A 10 ms timer loop (headless Chromium runs no animation frames here): its lateness is how
    // long the page could not respond.
    let last = b.t0;
    const tick = () => {
      const now = performance.now();
      b.maxGap = Math.max(b.maxGap, now - last - 10);
      last = now;
      if (!b.first && document.querySelector('[aria-label="Workbench rows"] [role="row"][data-row] [role="gridcell"]')) b.first = now - b.t0;
      const summary = document.querySelector('[aria-label="Logs workbench"] [aria-label="Table summary"]')?.textContent ?? '';
      const error = document.querySelector('[aria-label="Logs workbench"] [role="alert"]')?.textContent ?? '';
      if (/loaded in/.test(summary) || /could not be opened|cancelled/.test(summary) || error) {
        b.done = now - b.t0;
        b.summary = (summary || error).replace(/\s+/g, ' ').trim();
        return;
      }
      setTimeout(tick, 10);
    };
    setTimeout(tick, 10);
  };
  document.addEventListener('keydown', onKey, true);
}

/**
 * Runs `act` (a sort click, a filter's Enter) in the page and times it to the view's first
 * screen: the row count settled (its "…" gone, having been shown or the count or first row
 * having changed), the header's sort state as asked, and the first row drawn with its cells.
 * Returns ms, or what went wrong.
 */
function viewInPage(args: { kind: 'sort' | 'filter'; col: string; text?: string }): Promise<{ ms: number; count: string } | string> {
  return (async () => {
    const scope = '[aria-label="Logs workbench"]';
    const count = document.querySelector(`${scope} [aria-label="Row count"]`);
    const head = document.querySelector(`${scope} [role="columnheader"][aria-label="${args.col}"]`);
    const firstRow = () => document.querySelector(`${scope} [aria-label="Workbench rows"] [role="row"][aria-rowindex="2"][data-row]`);
    if (!count || !head) return `no row count or no ${args.col} column`;
    const before = `${count.textContent}|${firstRow()?.getAttribute('data-row')}`;
    const sortWanted = args.kind === 'sort' ? ({ none: 'ascending', ascending: 'descending', descending: 'none' } as Record<string, string>)[head.getAttribute('aria-sort') ?? 'none'] : null;
    // A view asked of the engine shows "…" in the count until it is there (caught between polls too).
    let asked = false;
    const watch = new MutationObserver(() => (asked ||= (count.textContent ?? '').includes('…')));
    watch.observe(count, { childList: true, characterData: true, subtree: true });
    const t0 = performance.now();
    try {
      if (args.kind === 'sort') {
        const button = head.querySelector<HTMLButtonElement>('button.sort');
        if (!button) return `no sort button for ${args.col}`;
        button.click();
      } else {
        const input = head.querySelector<HTMLInputElement>(`input[aria-label="Filter ${args.col}"]`);
        if (!input) return `no "Filter ${args.col}" input`;
        input.value = args.text ?? '';
        input.dispatchEvent(new Event('input', { bubbles: true }));
        input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
      }
      for (;;) {
        await new Promise((r) => setTimeout(r, 2));
        const text = count.textContent ?? '';
        const row = firstRow();
        const changed = asked || `${text}|${row?.getAttribute('data-row')}` !== before;
        const sorted = sortWanted === null || head.getAttribute('aria-sort') === sortWanted;
        if (sorted && changed && !text.includes('…') && (row || /^0 of/.test(text.trim()))) return { ms: performance.now() - t0, count: text.trim() };
        if (performance.now() - t0 > 120_000) return 'the view did not change within 120 s';
      }
    } finally {
      watch.disconnect();
    }
  })();
}

interface Result {
  rows: number;
  fileMB: number;
  anchorMs: number;
  firstRowsMs: number;
  loadedMs: number;
  ratio: number;
  pageHeapMB: number;
  pageHeapPeakMB: number;
  mainRssPeakMB: number;
  mainRssBeforeMB: number;
  maxTimerDelayMs: number;
  longestTaskMs: number;
  longTasks: number;
  heapLimitMB: number;
  loadAverage: string;
  summary: string;
  ops: Record<string, number | string>;
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

/** Sort and filter through the grid's own controls, each timed to its first screen. */
async function tableOps(app: App): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  const run = async (label: string, a: Parameters<typeof viewInPage>[0]) => {
    const r = await app.page.evaluate(viewInPage, a);
    out[label] = typeof r === 'string' ? r : r.ms;
    if (typeof r !== 'string' && a.kind === 'filter' && a.text) out[`${label} rows`] = r.count;
  };
  for (const col of ['CPU', 'Name', 'CommandLine']) {
    await run(`sort ${col} asc`, { kind: 'sort', col });
    await run(`sort ${col} desc`, { kind: 'sort', col });
    await run(`sort ${col} off`, { kind: 'sort', col });
  }
  for (const [col, text] of [['CPU', '>99'], ['User', '=alice'], ['CommandLine', 'Program Files']] as const) {
    await run(`filter ${col} "${text}"`, { kind: 'filter', col, text });
    await run(`filter ${col} cleared`, { kind: 'filter', col, text: '' });
  }
  return out;
}

async function pageRound(path: string, rows: number, a: number): Promise<Result> {
  const app = await openApp('bench-csv');
  try {
    const { page } = app;
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.getByRole('tab', { name: 'Logs workbench' }).click();
    // tsx compiles this file with esbuild's keepNames: functions sent to the page call __name().
    await page.evaluate('globalThis.__name = (f) => f');
    await page.evaluate(installProbe);
    await page.getByRole('button', { name: 'Open file…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Path').fill(path);
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const rssSampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 50);
    let heapPeak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        heapPeak = Math.max(heapPeak, await heapMB(app).catch(() => 0));
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    await dialog.getByLabel('Path').press('Enter');
    await page.waitForFunction(() => (window as unknown as { __csvBench: Probe }).__csvBench.done > 0, undefined, { timeout: 20 * 60_000, polling: 250 });
    sampling = false;
    clearInterval(rssSampler);
    await sampler;
    const probe = await page.evaluate(() => (window as unknown as { __csvBench: Probe }).__csvBench);
    await collectGarbage(app);
    const heap = await heapMB(app);
    await app.screenshot(`loaded-${rows}`);
    const ops = withOps && /loaded in/.test(probe.summary) ? await tableOps(app) : {};
    if (withOps) await app.screenshot(`ops-${rows}`);
    if (app.errors.length) console.error(`page errors: ${app.errors.join('\n')}`);
    return {
      rows, fileMB: statSync(path).size / 1e6, anchorMs: a, firstRowsMs: probe.first, loadedMs: probe.done, ratio: probe.done / a,
      pageHeapMB: heap, pageHeapPeakMB: Math.max(heapPeak, heap), mainRssPeakMB: rssPeak / 2 ** 20, mainRssBeforeMB: rssBefore / 2 ** 20,
      maxTimerDelayMs: probe.maxGap, longestTaskMs: probe.longest, longTasks: probe.longTasks, heapLimitMB: probe.heapLimitMB,
      loadAverage: loadavg().map((x) => x.toFixed(2)).join(' '), summary: probe.summary, ops,
    };
  } finally {
    await app.close();
  }
}

if (!chromiumPath()) {
  console.error('bench:csv needs Chromium (apt-get install -y chromium, or set CHROMIUM_PATH)');
  process.exit(1);
}
const results: Result[] = [];
const f = (x: number) => x.toFixed(0);
for (const n of sizes) {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `events-${n}-${rowBytes}.csv`);
  if (!existsSync(path)) {
    const t = performance.now();
    await generate(path, n, rowBytes);
    console.error(`generated ${path} (${(statSync(path).size / 1e6).toFixed(0)} MB) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  try {
    for (let round = 1; round <= rounds; round++) {
      const a = await anchor(path);
      const r = await pageRound(path, n, a);
      results.push(r);
      console.log(`\n${n.toLocaleString('en')} rows (${f(r.fileMB)} MB), round ${round}: anchor read_csv_auto ${f(r.anchorMs)} ms; the workbench: first rows on screen ${f(r.firstRowsMs)} ms, fully loaded ${f(r.loadedMs)} ms = ${r.ratio.toFixed(2)}× the anchor (load average ${r.loadAverage})`);
      console.log(`  page JS heap after GC ${f(r.pageHeapMB)} MB (largest sampled ${f(r.pageHeapPeakMB)} MB, limit ${f(r.heapLimitMB)} MB); main process RSS peak ${f(r.mainRssPeakMB)} MB (before ${f(r.mainRssBeforeMB)} MB)`);
      console.log(`  page timer late by at most ${f(r.maxTimerDelayMs)} ms; longest task ${f(r.longestTaskMs)} ms (${r.longTasks} long tasks)`);
      console.log(`  summary: ${r.summary}`);
      for (const [k, v] of Object.entries(r.ops)) console.log(`  ${k}: ${typeof v === 'number' ? `${f(v)} ms to the first screen` : v}`);
    }
  } finally {
    if (!keep) rmSync(path, { force: true });
  }
}
mkdirSync(join(root, 'test-results'), { recursive: true });
writeFileSync(join(root, 'test-results', 'bench-csv.json'), JSON.stringify(results, null, 2));
