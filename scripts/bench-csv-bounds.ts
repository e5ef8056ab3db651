/**
 * `node --import tsx scripts/bench-csv-bounds.ts [--static DIR] [--wait S] [--keep]`: what the
 * log workbench does with files that are not CSV, in real headless Chromium: a 300 MB file with
 * no newline, a 50 MB file of NUL bytes after one CSV line, and a 2 GB sparse file
 * (`truncate -s 2G`), each opened as a person does (Open file…, its path typed into the picker,
 * Enter), read by the engine on the host. For each: the time until the view shows the outcome
 * (loaded, or an error), what it says (the summary with its problem count, or the error), how
 * late a 10 ms timer in the page ran at worst (the page could not respond for that long) and the
 * longest long task. `--static` serves another renderer build (e.g. one built from an older
 * checkout with `vite build --outDir`), to compare; `--wait` is how long to wait for the view
 * (default 120 s).
 */
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromiumPath, openApp } from '../test/e2e/harness.ts';

const argv = process.argv.slice(2);
const arg = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const staticDir = arg('--static') ? resolve(arg('--static')!) : undefined;
const waitMs = Number(arg('--wait') ?? 120) * 1000;
const dir = join(tmpdir(), 'vql-bench-csv-bounds');

/** Writes `mib` MiB of `fill`, after `head` (streamed: memory stays flat). */
function writeFile(path: string, mib: number, fill: number, head = ''): void {
  if (existsSync(path)) return;
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(2 ** 20, fill);
  if (head) writeSync(fd, head);
  for (let i = 0; i < mib; i++) writeSync(fd, chunk);
  closeSync(fd);
}

/** In-page probe: the Enter in the picker's path box, a 10 ms timer's lateness, long tasks, the view's outcome. */
function installProbe(): void {
  const w = window as unknown as Record<string, unknown>;
  const b = { t0: 0, done: 0, maxGap: 0, longest: 0, summary: '', alert: '' };
  w.__bounds = b;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (b.t0 && !b.done) b.longest = Math.max(b.longest, e.duration);
  }).observe({ type: 'longtask', buffered: false });
  const onKey = (e: KeyboardEvent) => {
    if (e.key !== 'Enter' || (e.target as HTMLElement | null)?.getAttribute('aria-label') !== 'Path') return;
    document.removeEventListener('keydown', onKey, true);
    b.t0 = performance.now();
    let last = b.t0;
    const tick = () => {
      const now = performance.now();
      b.maxGap = Math.max(b.maxGap, now - last - 10);
      last = now;
      const scope = document.querySelector('[aria-label="Logs workbench"]');
      const summary = scope?.querySelector('[aria-label="Table summary"]')?.textContent ?? '';
      const alert = scope?.querySelector('[role="alert"]')?.textContent ?? '';
      if (/loaded in|could not be opened|cancelled/.test(summary) || alert) {
        b.done = now - b.t0;
        b.summary = summary.replace(/\s+/g, ' ').trim();
        b.alert = alert.replace(/\s+/g, ' ').trim();
        return;
      }
      setTimeout(tick, 10);
    };
    setTimeout(tick, 10);
  };
  document.addEventListener('keydown', onKey, true);
}

interface Probe { t0: number; done: number; maxGap: number; longest: number; summary: string; alert: string }

if (!chromiumPath()) {
  console.error('no Chromium found (apt-get install -y chromium, or set CHROMIUM_PATH)');
  process.exit(1);
}
mkdirSync(dir, { recursive: true });
const files = [
  { name: 'no-newline-300MB.csv', make: (p: string) => writeFile(p, 300, 0x61, 'id,data\n1,') },
  { name: 'nul-50MB.csv', make: (p: string) => writeFile(p, 50, 0, 'id,name\n1,x\n') },
  { name: 'sparse-2GB.csv', make: (p: string) => existsSync(p) || execFileSync('truncate', ['-s', '2G', p]) },
];
console.log(`renderer: ${staticDir ?? 'dist-renderer (this checkout)'}`);
for (const f of files) {
  const path = join(dir, f.name);
  f.make(path);
  const app = await openApp('bench-csv-bounds', staticDir ? { staticDir } : {});
  try {
    const { page } = app;
    await page.getByRole('tab', { name: 'Logs workbench' }).click();
    await page.evaluate('globalThis.__name = (f) => f');
    await page.evaluate(installProbe);
    await page.getByRole('button', { name: 'Open file…' }).click();
    await page.getByRole('dialog').getByLabel('Path').fill(path);
    await page.getByRole('dialog').getByLabel('Path').press('Enter');
    const t0 = Date.now();
    let probe: Probe | null = null;
    // page.evaluate itself waits while the page is frozen: the wall clock bounds the wait.
    while (Date.now() - t0 < waitMs) {
      probe = await Promise.race([
        page.evaluate(() => (window as unknown as { __bounds: Probe }).__bounds),
        new Promise<null>((r) => setTimeout(() => r(null), Math.max(1000, waitMs - (Date.now() - t0)))),
      ]);
      if (probe?.done) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    if (probe?.done) {
      console.log(`${f.name}: shown after ${probe.done.toFixed(0)} ms; page timer late by at most ${probe.maxGap.toFixed(0)} ms; longest task ${probe.longest.toFixed(0)} ms`);
      console.log(`  summary: ${probe.summary.slice(0, 300) || '(none)'}${probe.alert ? `; error: ${probe.alert.slice(0, 300)}` : ''}`);
    } else {
      console.log(`${f.name}: nothing shown within ${waitMs / 1000} s (wall); page timer late by at least ${probe ? probe.maxGap.toFixed(0) : '(page did not answer)'} ms; longest task ${probe ? probe.longest.toFixed(0) : '?'} ms`);
    }
  } finally {
    await app.close();
  }
}
if (!argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
