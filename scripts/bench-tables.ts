/**
 * `npm run bench:tables [-- flags]`: the log workbench's DuckDB engine (main/tables) against
 * DuckDB's own `read_csv_auto` on the same file in the same run (the anchor), on generated
 * event-log-like files (9 columns, ~150 bytes a row; JSON lines of the same rows) in a temp
 * folder that is removed at the end. Every number is printed with the load average of the
 * moment (the machine is shared); each measure is repeated (`--repeat`, default 3), anchor and
 * table taking turns, and reported as min/median of the per-round ratios.
 *
 * Flags (sizes in rows; 0 leaves the part out):
 * - `--sizes 1000000,5000000`: CSV loads: full load vs the anchor, first rows (the preview),
 *   peak RSS; the event loop's longest block during the first size's load.
 * - `--jsonl 1000000`: JSON lines vs the same rows as CSV (both loaded by the table).
 * - `--ops 10000000`: on that many rows, sort, filter, search, group-by and value counts to
 *   first screen (200 rows), then `table:view` + `table:window` of a sorted view at several
 *   offsets once its table is made.
 * - `--huge-gb 10`: a file of that many GB (a 1 GB file's rows repeated) opened in a child
 *   process with `--memory-mb` (default 1024) as the memory limit; its peak RSS (VmHWM) and the
 *   anchor's under the same limit. Needs the disk room: checked first, the size is cut to fit.
 * - `--quick`: 200,000-row loads and JSON lines, 1,000,000-row operations, no huge file.
 * - `--keep`: keep the generated files (in <tmp>/vql-bench-tables).
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdirSync, readFileSync, rmSync, statfsSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { TableEngine } from '../main/tables/engine.ts';
import { OpenTable } from '../main/tables/table.ts';
import { probeLoop } from '../test/helpers/loop-probe.ts';

const argv = process.argv.slice(2);
const arg = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const quick = argv.includes('--quick');
const list = (s: string) => s.split(',').map(Number).filter((n) => n > 0);
const sizes = list(arg('--sizes') ?? (quick ? '200000' : '1000000,5000000'));
const jsonlRows = Number(arg('--jsonl') ?? (quick ? 200_000 : 1_000_000));
const opsRows = Number(arg('--ops') ?? (quick ? 1_000_000 : 10_000_000));
const hugeGb = Number(arg('--huge-gb') ?? (quick ? 0 : 10));
const memoryMb = Number(arg('--memory-mb') ?? 1024);
const repeat = Math.max(1, Number(arg('--repeat') ?? 3));
const keep = argv.includes('--keep');
const dir = join(tmpdir(), 'vql-bench-tables');

const NAMES = Array.from({ length: 200 }, (_, i) => `${['svchost', 'chrome', 'powershell', 'python3', 'sshd'][i % 5]}${i}.exe`);
const USERS = ['SYSTEM', 'alice', 'bob', 'LOCAL SERVICE', 'NETWORK SERVICE'];
const HEADER = ['_ts', 'Time', 'Pid', 'Ppid', 'CPU', 'RSS', 'Name', 'User', 'CommandLine'];

/** Writes `rows` rows as CSV (and JSON lines of the same rows when `jsonlPath` is given), streaming. */
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

/** `times` copies of `base`'s data rows under its header, streaming. */
async function repeatRows(base: string, out: string, times: number): Promise<void> {
  const head = readFileSync(base).subarray(0, 4096);
  const headerBytes = head.indexOf(10) + 1;
  const w = createWriteStream(out);
  w.write(head.subarray(0, headerBytes));
  for (let i = 0; i < times; i++) {
    for await (const chunk of createReadStream(base, { start: headerBytes, highWaterMark: 1 << 20 })) {
      if (!w.write(chunk)) await new Promise<void>((r) => w.once('drain', () => r()));
    }
  }
  await new Promise<void>((r) => w.end(() => r()));
}

const mb = (n: number) => `${Math.round(n / 2 ** 20)} MB`;
const ms = (n: number) => `${Math.round(n)} ms`;
const load = () => loadavg()[0]!.toFixed(2);
const rss = () => process.memoryUsage().rss;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const minMed = (xs: number[], f: (n: number) => string) => `min ${f(Math.min(...xs))} / median ${f(median(xs))}`;
const ratio = (n: number) => `${n.toFixed(2)}×`;

/** DuckDB's own reader into an in-memory table, in a plain instance: the anchor. */
async function anchor(path: string, reader = 'read_csv_auto'): Promise<number> {
  const inst = await DuckDBInstance.create(':memory:');
  const c = await inst.connect();
  const t = performance.now();
  await c.run(`CREATE TABLE t AS SELECT * FROM ${reader}('${path.replace(/'/g, "''")}')`);
  const took = performance.now() - t;
  c.closeSync();
  inst.closeSync();
  return took;
}

interface Opened {
  first: number;
  full: number;
  t: OpenTable;
  peak: number;
}

async function openTable(engine: TableEngine, path: string): Promise<Opened> {
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

async function closeTable(t: OpenTable): Promise<void> {
  t.close();
  await t.loaded;
}

const lines: string[] = [];
function say(s: string): void {
  lines.push(s);
  console.log(s);
}

async function csvLoads(engine: TableEngine): Promise<void> {
  for (const [k, rows] of sizes.entries()) {
    const csv = join(dir, `rows-${rows}.csv`);
    await generate(csv, rows);
    say(`\nCSV load: ${rows.toLocaleString('en-US')} rows × 9 columns, ${mb(statSync(csv).size)} (${repeat} rounds, anchor then table)`);
    const ratios: number[] = [];
    const firsts: number[] = [];
    let peak = 0;
    for (let i = 0; i < repeat; i++) {
      const la = load();
      const a = await anchor(csv);
      const r = await openTable(engine, csv);
      await closeTable(r.t);
      ratios.push(r.full / a);
      firsts.push(r.first);
      peak = Math.max(peak, r.peak);
      say(`  round ${i + 1}: anchor ${ms(a)}, table ${ms(r.full)} = ${ratio(r.full / a)}, first rows ${ms(r.first)}, load average ${la}`);
    }
    say(`  => full load ${minMed(ratios, ratio)} the anchor (target ≤ ${rows >= 5_000_000 ? '2' : '1.5'}×); first rows ${minMed(firsts, ms)} (target ≤ 300 ms); peak RSS ${mb(peak)}`);
    if (k === 0) {
      const probe = await probeLoop(async () => closeTable((await openTable(engine, csv)).t));
      say(`  event loop during a load: longest block ${probe.blockMs} ms (cpu ${probe.cpuBlockMs ?? '?'} ms, wall gap ${probe.gapMs} ms), load average ${load()}`);
    }
    if (!keep) rmSync(csv, { force: true });
  }
}

async function jsonlVsCsv(engine: TableEngine): Promise<void> {
  const csv = join(dir, `same-${jsonlRows}.csv`);
  const jsonl = join(dir, `same-${jsonlRows}.jsonl`);
  await generate(csv, jsonlRows, jsonl);
  say(`\nJSON lines vs CSV: ${jsonlRows.toLocaleString('en-US')} rows, JSON lines ${mb(statSync(jsonl).size)}, CSV ${mb(statSync(csv).size)} (${repeat} rounds)`);
  const ratios: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const la = load();
    const c = await openTable(engine, csv);
    await closeTable(c.t);
    const j = await openTable(engine, jsonl);
    await closeTable(j.t);
    const aj = await anchor(jsonl, 'read_json_auto');
    ratios.push(j.full / c.full);
    say(`  round ${i + 1}: CSV ${ms(c.full)}, JSON lines ${ms(j.full)} = ${ratio(j.full / c.full)} (DuckDB's read_json_auto alone ${ms(aj)}), load average ${la}`);
  }
  say(`  => JSON lines ${minMed(ratios, ratio)} the same rows as CSV (target ≤ 1.5×)`);
  if (!keep) {
    rmSync(csv, { force: true });
    rmSync(jsonl, { force: true });
  }
}

async function operations(engine: TableEngine): Promise<void> {
  const csv = join(dir, `ops-${opsRows}.csv`);
  await generate(csv, opsRows);
  say(`\nOperations on ${opsRows.toLocaleString('en-US')} rows (CSV ${mb(statSync(csv).size)}), to first screen (count + 200 rows); ${repeat} rounds each`);
  const a = await anchor(csv);
  const r = await openTable(engine, csv);
  say(`  load ${ms(r.full)} = ${ratio(r.full / a)} the anchor (${ms(a)}), first rows ${ms(r.first)}, peak RSS ${mb(r.peak)}, load average ${load()}`);
  const t = r.t;
  // Each operation is timed on an idle engine: the table of the view made before is waited for.
  let lastView: string | null = null;
  const timeOf = async (label: string, f: () => Promise<unknown>, target: number) => {
    const xs: number[] = [];
    const las: string[] = [];
    for (let i = 0; i < repeat; i++) {
      if (lastView) await t.locate(lastView, 1);
      las.push(load());
      const t0 = performance.now();
      const out = await f();
      xs.push(performance.now() - t0);
      if (out && typeof out === 'object' && 'view' in out) lastView = String(out.view);
    }
    say(`  ${label}: ${minMed(xs, ms)} (target ≤ ${target} ms), load average ${las.join(' ')}`);
  };
  await timeOf('sort by CommandLine (text) desc', () => t.makeView({ sort: [{ column: 'CommandLine', desc: true }] }, 200), 1000);
  await timeOf('sort by CPU, then Pid', () => t.makeView({ sort: [{ column: 'CPU' }, { column: 'Pid' }] }, 200), 1000);
  await timeOf('filter User =alice, CPU >50', () => t.makeView({ filters: [{ column: 'User', text: '=alice' }, { column: 'CPU', text: '>50' }] }, 200), 1000);
  await timeOf('filter CommandLine contains "chrome1"', () => t.makeView({ filters: [{ column: 'CommandLine', text: 'chrome1' }] }, 200), 1000);
  await timeOf('search "powershell7" in 3 columns', () => t.makeView({ search: { text: 'powershell7', columns: ['Name', 'User', 'CommandLine'] } }, 200), 1000);
  await timeOf('group by User, Name', () => t.groups(undefined, ['User', 'Name'], 1000), 1000);
  await timeOf('value counts of Pid', () => t.values(undefined, 'Pid', 100), 1000);
  await timeOf('value counts of Name', () => t.values(undefined, 'Name', 100), 1000);
  await timeOf('timeline of _ts', () => t.timeline(undefined, '_ts', 100), 1000);
  // Scrolling a sorted view: table:view, then table:window at offsets once its table is made.
  if (lastView) await t.locate(lastView, 1);
  for (const [label, sort] of [['CPU (number)', [{ column: 'CPU' }]], ['CommandLine (text) desc', [{ column: 'CommandLine', desc: true }]]] as const) {
    const la = load();
    const t0 = performance.now();
    const { view } = await t.makeView({ sort: [...sort] }, 200);
    const first = performance.now() - t0;
    await t.locate(view, 1);
    const made = performance.now() - t0;
    const offsets = [0, 1000, 100_000, Math.floor(opsRows / 2), opsRows - 200];
    const xs: number[] = [];
    for (let i = 0; i < repeat; i++) {
      for (const off of offsets) {
        const w0 = performance.now();
        await t.window({ view, offset: off, limit: 200 });
        xs.push(performance.now() - w0);
      }
    }
    say(`  scrolling a view sorted by ${label}: first screen ${ms(first)}, its table made ${ms(made)} after the request; windows of 200 rows at ${offsets.join(', ')} (${xs.length}): ${minMed(xs, (n) => `${n.toFixed(1)} ms`)}, worst ${Math.max(...xs).toFixed(1)} ms (target ≤ 50 ms), load average ${la} → ${load()}`);
  }
  say(`  RSS after: ${mb(rss())}`);
  await closeTable(t);
  if (!keep) rmSync(csv, { force: true });
}

/** In a child process (so that its peak RSS is its own): opens `path` with the memory limit, prints JSON. */
async function hugeChild(path: string, memMb: number, which: string): Promise<void> {
  const hwm = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;
  if (which === 'anchor') {
    const inst = await DuckDBInstance.create(':memory:', { memory_limit: `${memMb}MB`, temp_directory: join(dir, 'anchor-spill') });
    const c = await inst.connect();
    const t0 = performance.now();
    await c.run(`CREATE TABLE t AS SELECT * FROM read_csv_auto('${path}')`);
    console.log(JSON.stringify({ full: performance.now() - t0, peak: hwm() }));
    c.closeSync();
    inst.closeSync();
    rmSync(join(dir, 'anchor-spill'), { recursive: true, force: true });
    return;
  }
  const engine = new TableEngine({ tempRoot: dir, memoryLimit: memMb * 2 ** 20 });
  const r = await openTable(engine, path);
  const t0 = performance.now();
  const v = await r.t.makeView({ sort: [{ column: 'CPU', desc: true }] }, 200);
  const sort = performance.now() - t0;
  const t1 = performance.now();
  await r.t.values(undefined, 'User', 100);
  const values = performance.now() - t1;
  console.log(JSON.stringify({ first: r.first, full: r.full, rows: r.t.rowCount, sort, values, total: v.total, peak: hwm() }));
  await closeTable(r.t);
  engine.dispose();
}

async function huge(): Promise<void> {
  const free = statfsSync(dir).bavail * statfsSync(dir).bsize;
  // The file, its 1 GB base, and DuckDB's spill (the table, compressed, can be half the file's size).
  const fits = Math.floor((free / 2 ** 30 - 1 - 2) / 1.6);
  const gb = Math.min(hugeGb, fits);
  if (gb < 1) {
    say(`\nHuge file: skipped, ${mb(free)} free in ${dir}`);
    return;
  }
  const base = join(dir, 'base-1gb.csv');
  const big = join(dir, `huge-${gb}gb.csv`);
  await generate(base, Math.round(2 ** 30 / 151));
  await repeatRows(base, big, gb);
  rmSync(base, { force: true });
  say(`\nHuge file: ${mb(statSync(big).size)}${gb < hugeGb ? ` (cut from ${hugeGb} GB to fit the free disk, ${mb(free)})` : ''}, memory limit ${memoryMb} MB, each in its own process`);
  const self = fileURLToPath(import.meta.url);
  const child = (which: string) => {
    const la = load();
    const out = spawnSync(process.execPath, [...process.execArgv, self, '--huge-child', big, String(memoryMb), which], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (out.status !== 0) throw new Error(`${which} failed: ${out.stderr}`);
    return { ...JSON.parse(out.stdout.trim().split('\n').at(-1)!), la };
  };
  const a = child('anchor');
  say(`  anchor read_csv_auto: ${ms(a.full)}, peak RSS ${mb(a.peak)}, load average ${a.la}`);
  const t = child('table');
  say(`  table: full load ${ms(t.full)} = ${ratio(t.full / a.full)} the anchor, first rows ${ms(t.first)}, ${t.rows.toLocaleString('en-US')} rows, peak RSS ${mb(t.peak)} (limit ${memoryMb} MB), load average ${t.la}`);
  say(`  then: sort by CPU to first screen ${ms(t.sort)}, value counts of User ${ms(t.values)}`);
  if (!keep) rmSync(big, { force: true });
}

async function main(): Promise<void> {
  if (argv[0] === '--huge-child') return hugeChild(argv[1]!, Number(argv[2]), argv[3]!);
  mkdirSync(dir, { recursive: true });
  say(`bench:tables on ${new Date().toISOString()}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  // Warm the bindings (module load is a one-time cost of the process, not of a load).
  await anchor('/dev/null').catch(() => 0);
  const engine = new TableEngine({ tempRoot: dir });
  try {
    if (sizes.length) await csvLoads(engine);
    if (jsonlRows > 0) await jsonlVsCsv(engine);
    if (opsRows > 0) await operations(engine);
    if (hugeGb > 0) await huge();
  } finally {
    engine.dispose();
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
