/**
 * `npm run bench:tables [-- --sizes 1000000,5000000] [--big 10000000] [--keep]`: the log
 * workbench's DuckDB engine (main/tables) against DuckDB's own `read_csv_auto` in this same
 * process and run (the anchor), on generated event-log-like CSV files (scripts/bench-csv.ts's
 * shape: 9 columns, ~150 bytes a row) and JSON lines of the same rows, in a temp dir:
 * - load: anchor vs table (full load) and first rows (preview), ratios, RSS of this process;
 * - JSON lines vs the same rows as CSV;
 * - the event loop during the 1M-row load (test/helpers/loop-probe.ts: longest block);
 * - on the big file (default 10M rows): sort, filter, group-by, value counts to first screen,
 *   and windows of the sorted view once materialized.
 * Each timing is the best of `--repeat` (default 2) runs: the machine is shared.
 */
import { createWriteStream, mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { TableEngine } from '../main/tables/engine.ts';
import { OpenTable } from '../main/tables/table.ts';
import { probeLoop } from '../test/helpers/loop-probe.ts';

const argv = process.argv.slice(2);
const arg = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const sizes = (arg('--sizes') ?? '1000000,5000000').split(',').map(Number);
const big = Number(arg('--big') ?? 10_000_000);
const repeat = Number(arg('--repeat') ?? 2);
const keep = argv.includes('--keep');
const dir = join(tmpdir(), 'vql-bench-tables');
mkdirSync(dir, { recursive: true });

const NAMES = Array.from({ length: 200 }, (_, i) => `${['svchost', 'chrome', 'powershell', 'python3', 'sshd'][i % 5]}${i}.exe`);
const USERS = ['SYSTEM', 'alice', 'bob', 'LOCAL SERVICE', 'NETWORK SERVICE'];
const HEADER = ['_ts', 'Time', 'Pid', 'Ppid', 'CPU', 'RSS', 'Name', 'User', 'CommandLine'];

/** Writes `rows` rows as CSV (and JSON lines when `jsonl` is given), streaming. */
async function generate(csvPath: string, rows: number, jsonlPath?: string): Promise<void> {
  const csv = createWriteStream(csvPath);
  const jl = jsonlPath ? createWriteStream(jsonlPath) : null;
  let seed = 7;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const t0 = Date.UTC(2024, 0, 1) / 1000;
  let s = HEADER.join(',') + '\n';
  let j = '';
  const flush = async (out: ReturnType<typeof createWriteStream>, text: string) => {
    if (!out.write(text)) await new Promise<void>((r) => out.once('drain', () => r()));
  };
  for (let i = 0; i < rows; i++) {
    const ts = t0 + Math.floor(i / 10);
    const pid = 1000 + Math.floor(rnd() * 60000);
    const name = NAMES[i % NAMES.length]!;
    const time = new Date(ts * 1000 + (i % 10) * 100 + 1).toISOString();
    const cpu = (rnd() * 100).toFixed(2);
    const rss = Math.floor(rnd() * 5e8);
    let cmd = i % 50 === 0 ? `"C:\\Program Files\\${name}" -x, ${i}` : `C:\\Windows\\System32\\${name} --id ${i} --opt ${Math.floor(rnd() * 1e6)}`;
    const head = `${ts},${time},${pid},${pid % 997},${cpu},${rss},${name},${USERS[i % 5]},`;
    if (i % 50 !== 0) cmd += ' --pad ' + 'x'.repeat(Math.max(0, 150 - head.length - cmd.length - 8));
    s += head + (i % 50 === 0 ? `"${cmd.replace(/"/g, '""')}"` : cmd) + '\n';
    if (jl) j += JSON.stringify({ _ts: ts, Time: time, Pid: pid, Ppid: pid % 997, CPU: Number(cpu), RSS: rss, Name: name, User: USERS[i % 5], CommandLine: cmd }) + '\n';
    if (s.length > 1 << 20) {
      await flush(csv, s);
      s = '';
      if (jl) {
        await flush(jl, j);
        j = '';
      }
    }
  }
  await new Promise<void>((r) => csv.end(s, () => r()));
  if (jl) await new Promise<void>((r) => jl.end(j, () => r()));
}

const mb = (n: number) => `${Math.round(n / 2 ** 20)} MB`;
const rss = () => process.memoryUsage().rss;

/** DuckDB's own read_csv_auto into an in-memory table, in a plain instance: the anchor. */
async function anchor(path: string, reader = 'read_csv_auto'): Promise<number> {
  const inst = await DuckDBInstance.create(':memory:');
  const c = await inst.connect();
  const t = performance.now();
  await c.run(`CREATE TABLE t AS SELECT * FROM ${reader}('${path}')`);
  const ms = performance.now() - t;
  c.closeSync();
  inst.closeSync();
  return ms;
}

async function best<T extends number>(n: number, f: () => Promise<T>): Promise<number> {
  let b = Infinity;
  for (let i = 0; i < n; i++) b = Math.min(b, await f());
  return b;
}

const engine = new TableEngine({ tempRoot: dir });

async function openTable(path: string): Promise<{ first: number; full: number; t: OpenTable; peak: number }> {
  let peak = rss();
  const sampler = setInterval(() => (peak = Math.max(peak, rss())), 50);
  const t0 = performance.now();
  const t = await OpenTable.open(engine, `b${Math.random()}`, path, { kind: 'file', path }, [path], () => {});
  const first = performance.now() - t0;
  await t.loaded;
  const full = performance.now() - t0;
  clearInterval(sampler);
  if (t.state !== 'ready') throw new Error(`${path}: ${JSON.stringify(t.error)}`);
  return { first, full, t, peak: Math.max(peak, rss()) };
}

async function main(): Promise<void> {
  // Warm the bindings (module load is a one-time cost of the process, not of a load).
  await anchor('/dev/null', 'read_csv_auto').catch(() => 0);
  const lines: string[] = [];
  const say = (s: string) => {
    lines.push(s);
    console.log(s);
  };
  for (const rows of sizes) {
    const csv = join(dir, `rows-${rows}.csv`);
    const jsonl = join(dir, `rows-${rows}.jsonl`);
    await generate(csv, rows, rows <= 1_000_000 ? jsonl : undefined);
    say(`\n${rows.toLocaleString('en-US')} rows × 9 columns, CSV ${mb(statSync(csv).size)}`);
    const a = await best(repeat, () => anchor(csv));
    let first = Infinity;
    let full = Infinity;
    let peak = 0;
    for (let i = 0; i < repeat; i++) {
      const r = await openTable(csv);
      first = Math.min(first, r.first);
      full = Math.min(full, r.full);
      peak = Math.max(peak, r.peak);
      r.t.close();
      await r.t.loaded;
    }
    say(`  anchor read_csv_auto ${Math.round(a)} ms; table full load ${Math.round(full)} ms (${(full / a).toFixed(2)}× anchor); first rows ${Math.round(first)} ms; peak RSS ${mb(peak)}`);
    if (rows <= 1_000_000) {
      const probe = await probeLoop(async () => {
        const r = await openTable(csv);
        r.t.close();
        await r.t.loaded;
      });
      say(`  event loop during the load: longest block ${probe.blockMs} ms (cpu ${probe.cpuBlockMs ?? '?'} ms, wall gap ${probe.gapMs} ms)`);
      const aj = await best(repeat, () => anchor(jsonl, 'read_json_auto'));
      let fj = Infinity;
      for (let i = 0; i < repeat; i++) {
        const r = await openTable(jsonl);
        fj = Math.min(fj, r.full);
        r.t.close();
        await r.t.loaded;
      }
      say(`  JSON lines ${mb(statSync(jsonl).size)}: table ${Math.round(fj)} ms = ${(fj / full).toFixed(2)}× the same rows as CSV (DuckDB read_json_auto anchor ${Math.round(aj)} ms)`);
    }
    if (!keep) rmSync(csv, { force: true });
    if (!keep) rmSync(jsonl, { force: true });
  }
  if (big > 0) {
    const csv = join(dir, `rows-${big}.csv`);
    await generate(csv, big);
    say(`\n${big.toLocaleString('en-US')} rows, CSV ${mb(statSync(csv).size)}: operations to first screen (200 rows)`);
    const a = await anchor(csv);
    const r = await openTable(csv);
    say(`  load ${Math.round(r.full)} ms (${(r.full / a).toFixed(2)}× anchor ${Math.round(a)} ms), peak RSS ${mb(r.peak)}`);
    const t = r.t;
    const time = async (label: string, f: () => Promise<unknown>) => {
      const t0 = performance.now();
      await f();
      const ms = performance.now() - t0;
      say(`  ${label}: ${Math.round(ms)} ms`);
      return ms;
    };
    let view = '';
    await time('sort by CommandLine (text) desc', async () => (view = (await t.makeView({ sort: [{ column: 'CommandLine', desc: true }] }, 200)).view));
    await time('sort by CPU, then Pid', () => t.makeView({ sort: [{ column: 'CPU' }, { column: 'Pid' }] }, 200));
    await time('filter User=alice, CPU >50', () => t.makeView({ filters: [{ column: 'User', text: '=alice' }, { column: 'CPU', text: '>50' }] }, 200));
    await time('filter CommandLine contains "chrome1"', () => t.makeView({ filters: [{ column: 'CommandLine', text: 'chrome1' }] }, 200));
    await time('search "powershell7" in 3 columns', () => t.makeView({ search: { text: 'powershell7', columns: ['Name', 'User', 'CommandLine'] } }, 200));
    await time('group by User, Name', () => t.groups(undefined, ['User', 'Name'], 1000));
    await time('value counts of Pid', () => t.values(undefined, 'Pid', 100));
    await time('timeline of _ts', () => t.timeline(undefined, '_ts', 100));
    const mat0 = performance.now();
    await t.locate(view, 1);
    say(`  the sorted view materialized ${Math.round(performance.now() - mat0)} ms after its first screen`);
    const windows: number[] = [];
    for (let i = 0; i < 20; i++) {
      const off = Math.floor((i / 20) * (big - 200));
      const t0 = performance.now();
      await t.window({ view, offset: off, limit: 200 });
      windows.push(performance.now() - t0);
    }
    windows.sort((x, y) => x - y);
    say(`  scrolling the sorted view: windows of 200 rows, median ${windows[10]!.toFixed(1)} ms, worst ${windows[19]!.toFixed(1)} ms; RSS now ${mb(rss())}`);
    t.close();
    await t.loaded;
    if (!keep) rmSync(csv, { force: true });
  }
  engine.dispose();
}

await main();
