/**
 * `node --import tsx scripts/bench-startup.ts [--json] [--runs N]`: measures the start-up of the
 * `vql` command. Runs `node bin/vql.js query "SELECT 1 AS X FROM scope()"` N times (default 15,
 * after one warm-up) and prints the median wall time in ms, next to the median of a plain
 * `node -e ""` (the floor: what Node itself costs). With `--json` prints
 * `[{"name":"CliStartup","median_ms":N,"rows":1},{"name":"NodeStartup (floor)","median_ms":N,"rows":0}]`.
 *
 * `benchStartup()` is exported for scripts/bench.ts. The paths are resolved from this module's
 * URL, which points into scripts/ when run with tsx and into dist/ when bundled: `../bin/vql.js`
 * is the same file from both. The CLI bundle (dist/cli.js) must exist: `npm run build`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface StartupResult {
  name: string;
  median_ms: number;
  rows: number;
}

export interface StartupOptions {
  /** Timed runs per command (after one warm-up); default 15. */
  runs?: number;
}

const QUERY = 'SELECT 1 AS X FROM scope()';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Runs `node <args>` once; returns the wall time in ms and the stdout. */
function timeNode(args: string[], cwd: string): { ms: number; stdout: string } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  const ms = performance.now() - t0;
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`node ${args.join(' ')} exited with ${r.status ?? r.signal}:\n${r.stderr}`);
  }
  return { ms, stdout: r.stdout };
}

/** Rows in the CLI's default (json) output: indented arrays joined by `][`. */
function countRows(stdout: string): number {
  if (stdout.trim() === '') return 0;
  const parts = stdout.split('][');
  let rows = 0;
  parts.forEach((p, i) => {
    rows += (JSON.parse((i > 0 ? '[' : '') + p + (i < parts.length - 1 ? ']' : '')) as unknown[]).length;
  });
  return rows;
}

function measure(name: string, args: string[], cwd: string, runs: number, rowsOf: (stdout: string) => number): StartupResult {
  const warm = timeNode(args, cwd);
  const rows = rowsOf(warm.stdout);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = timeNode(args, cwd);
    const n = rowsOf(r.stdout);
    if (n !== rows) throw new Error(`${name}: run ${i + 1} gave ${n} rows, the warm-up gave ${rows}`);
    times.push(r.ms);
  }
  return { name, median_ms: Math.round(median(times) * 100) / 100, rows };
}

/** Median start-up of the `vql` CLI and of bare Node, in ms. */
export async function benchStartup(options: StartupOptions = {}): Promise<StartupResult[]> {
  const runs = Math.max(1, Math.floor(options.runs ?? 15));
  const bin = fileURLToPath(new URL('../bin/vql.js', import.meta.url));
  const root = fileURLToPath(new URL('..', import.meta.url));
  if (!existsSync(new URL('../dist/cli.js', import.meta.url))) {
    throw new Error('dist/cli.js is missing: run `npm run build` first');
  }
  const cli = measure('CliStartup', [bin, 'query', QUERY], root, runs, countRows);
  if (cli.rows !== 1) throw new Error(`CliStartup: expected 1 row, got ${cli.rows}`);
  const floor = measure('NodeStartup (floor)', ['-e', ''], root, runs, () => 0);
  return [cli, floor];
}

/** True when this file is the script being run (not when imported or bundled into bench.js). */
function isMain(): boolean {
  const entry = process.argv[1];
  return entry !== undefined && /(^|[\\/])bench-startup\.(ts|js|mjs)$/.test(entry);
}

if (isMain()) {
  const argv = process.argv.slice(2);
  const asJson = argv.includes('--json');
  const runs = argv.includes('--runs') ? Number(argv[argv.indexOf('--runs') + 1]) : 15;
  const results = await benchStartup({ runs });
  if (asJson) console.log(JSON.stringify(results));
  else {
    for (const r of results) {
      console.log(`${r.name.padEnd(34)} ${r.median_ms.toFixed(1).padStart(9)} ms  ${r.rows.toString().padStart(8)} rows`);
    }
    const [cli, floor] = results;
    console.log(`${'CLI overhead over node'.padEnd(34)} ${(cli!.median_ms - floor!.median_ms).toFixed(1).padStart(9)} ms`);
  }
}
