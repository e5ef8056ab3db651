// Micro benchmark of the results table's view logic at scale (the console's results and the
// live events: a query can return a million rows): 1,000,000 rows x 8 columns (numbers,
// timestamps, low- and high-cardinality text) in a columnar source. Reports sort, filter,
// search, append and export times (min, median and max of 5 runs: the max is usually the first,
// cold run) and checks every sort's order, so a fast wrong answer cannot pass for a result.
// (Files opened in the log workbench are the engine's: scripts/bench-tables.ts, bench-csv.ts.)
// Usage: node --import tsx scripts/bench-table.ts [rows]
import { cellText } from '../renderer/lib/table/cell-text.ts';
import { exportChunks } from '../renderer/lib/table/export.ts';
import type { Cell, ColumnInfo, TableSource } from '../renderer/lib/table/source.ts';
import { TableView } from '../renderer/lib/table/view.ts';
import { median } from './bench-stats.ts';

const args = process.argv.slice(2);
const N = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);

/** A columnar source: one typed array or string array per column. */
class ColumnarSource implements TableSource {
  constructor(readonly columns: ColumnInfo[], readonly data: Array<ArrayLike<Cell>>, public rowCount: number) {}
  cell(row: number, col: number): Cell {
    return this.data[col][row];
  }
  subscribe(): () => void {
    return () => {};
  }
}

function generate(n: number): ColumnarSource {
  let seed = 42;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const names = Array.from({ length: 60 }, (_, i) => ['svchost.exe', 'chrome.exe', 'Explorer.EXE', 'python3', 'sshd', 'bash'][i % 6].replace('.', `${i}.`));
  const users = ['root', 'SYSTEM', 'alice', 'bob', 'www-data', 'NETWORK SERVICE'];
  const words = ['error', 'warning', 'info', 'connection', 'opened', 'closed', 'failed', 'logon', 'user', 'process'];
  const id = new Float64Array(n), pid = new Float64Array(n), cpu = new Float64Array(n), ts = new Float64Array(n);
  const name: string[] = new Array(n), path: string[] = new Array(n), user: string[] = new Array(n), msg: string[] = new Array(n);
  let t = Date.UTC(2024, 4, 1);
  for (let i = 0; i < n; i++) {
    id[i] = i;
    pid[i] = Math.floor(rnd() * 65536);
    cpu[i] = Math.round(rnd() * 100000) / 100;
    t += Math.floor(rnd() * 2000);
    ts[i] = t;
    name[i] = names[Math.floor(rnd() * names.length)];
    path[i] = `C:\\Windows\\System32\\drivers\\${Math.floor(rnd() * 1e9).toString(16)}.sys`;
    user[i] = users[Math.floor(rnd() * users.length)];
    msg[i] = `${words[Math.floor(rnd() * 10)]} ${words[Math.floor(rnd() * 10)]} #${Math.floor(rnd() * 1e6)} from 10.0.${i % 256}.${(i * 7) % 256}`;
  }
  // Parsed data (JSON.parse, papaparse) holds flat strings; concatenation above made ropes.
  const flat = (a: string[]) => JSON.parse(JSON.stringify(a)) as string[];
  const columns: ColumnInfo[] = [
    { name: 'Id', type: 'number' }, { name: 'Pid', type: 'number' }, { name: 'CPU', type: 'number' }, { name: 'Time', type: 'timestamp' },
    { name: 'Name', type: 'text' }, { name: 'Path', type: 'text' }, { name: 'User', type: 'text' }, { name: 'Message', type: 'text' },
  ];
  return new ColumnarSource(columns, [id, pid, cpu, ts, flat(name), flat(path), flat(user), flat(msg)], n);
}

function time(label: string, setup: () => void, run: () => void, check?: () => void, runs = 5): void {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    setup();
    const t0 = performance.now();
    run();
    ms.push(performance.now() - t0);
  }
  check?.();
  // The minimum is the best estimate on a shared machine; the median shows the spread.
  const max = runs > 1 ? `  max ${Math.max(...ms).toFixed(0).padStart(5)} ms` : '';
  console.log(`${label.padEnd(52)} min ${Math.min(...ms).toFixed(0).padStart(5)} ms  median ${median(ms).toFixed(0).padStart(5)} ms${max}`);
}

/** Fails loudly if the view's rows are not ordered by col (empties last, ties in arrival order). */
function checkSorted(view: TableView, col: number, desc: boolean): void {
  const rows = view.displayRows();
  const src = view.source;
  const key = (r: number) => {
    const v = src.cell(r, col);
    return typeof v === 'number' ? v : cellText(v, 'text').toLowerCase();
  };
  for (let i = 1; i < rows.length; i++) {
    const a = key(rows[i - 1]), b = key(rows[i]);
    const c = a < b ? -1 : a > b ? 1 : 0;
    if ((desc ? -c : c) > 0 || (c === 0 && rows[i - 1] > rows[i])) throw new Error(`sort by column ${col} ${desc ? 'desc' : 'asc'} wrong at position ${i}`);
  }
}

const t0 = performance.now();
const src = generate(N);
console.log(`generated ${N.toLocaleString('en-US')} rows x ${src.columns.length} columns in ${(performance.now() - t0).toFixed(0)} ms`);
const view = new TableView(src);
const reset = () => {
  for (let c = 0; c < 8; c++) view.setFilter(c, '');
  view.setSearch('');
  view.setSort(null);
};
let now = 0;
time('view, no sort/filter (identity)', reset, () => view.sync(++now));
for (const [col, label] of [[0, 'Id (number, already ordered)'], [2, 'CPU (float)'], [3, 'Time (timestamp)'], [4, 'Name (text, 60 values)'], [5, 'Path (text, ~1M distinct, long prefix)'], [7, 'Message (text, ~1M distinct)']] as const) {
  for (const desc of [false, true]) {
    time(`sort ${label} ${desc ? 'desc' : 'asc'}`, () => (reset(), view.sync(++now), view.setSort({ col, desc })), () => view.sync(++now), () => checkSorted(view, col, desc));
  }
}
const filters: Array<[number, string, string]> = [
  [2, '>500 <=750', 'CPU >500 <=750'], [1, '1000..2000', 'Pid range 1000..2000'], [3, '2024-05-03..2024-05-05', 'Time range of days'],
  [4, 'chrome', 'Name contains chrome'], [4, '!svchost', 'Name !svchost'], [7, 'failed|error', 'Message failed|error'], [6, '=root', 'User =root'],
];
for (const [col, text, label] of filters) {
  time(`filter ${label}`, () => (reset(), view.sync(++now), view.setFilter(col, text)), () => view.sync(++now));
  console.log(`${''.padEnd(52)}   -> ${view.count.toLocaleString('en-US')} rows`);
}
time('search "logon" (all 8 columns)', () => (reset(), view.sync(++now), view.setSearch('logon')), () => view.sync(++now));
console.log(`${''.padEnd(52)}   -> ${view.count.toLocaleString('en-US')} rows`);
time('search "12345" (digits: in numbers too)', () => (reset(), view.sync(++now), view.setSearch('12345')), () => view.sync(++now));
console.log(`${''.padEnd(52)}   -> ${view.count.toLocaleString('en-US')} rows`);
time('filter Name chrome + sort Message desc', () => (reset(), view.sync(++now), view.setFilter(4, 'chrome'), view.setSort({ col: 7, desc: true })), () => view.sync(++now));

// Live growth: a source that grows by 1,000-row batches, view unsorted, filter active.
const growing = generate(N);
const full = growing.rowCount;
const live = new TableView(growing);
live.setFilter(7, 'error');
time('append 1,000-row batch to 1M (filtered, unsorted)', () => ((growing.rowCount = full - 1000), live.recompute(0)), () => ((growing.rowCount = full), live.sync(1e9)), undefined, 5);

reset();
view.sync(++now);
for (const neutralize of [true]) {
  let chars = 0;
  time(`export CSV of 1M rows (neutralize ${neutralize})`, () => (chars = 0), () => {
    for (const part of exportChunks(view, 'csv', { neutralize })) chars += part.length;
  }, undefined, 1);
  console.log(`${''.padEnd(52)}   -> ${(chars / 1e6).toFixed(0)} M characters`);
}
let jsonChars = 0;
time('export JSON of 1M rows', () => (jsonChars = 0), () => {
  for (const part of exportChunks(view, 'json')) jsonChars += part.length;
}, undefined, 1);
console.log(`${''.padEnd(52)}   -> ${(jsonChars / 1e6).toFixed(0)} M characters`);
