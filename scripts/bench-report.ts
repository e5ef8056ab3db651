/**
 * The manual's page of measured numbers, docs/numbers.md, written from the benchmarks' own
 * results so that no number in it is copied by hand: `npm run bench` calls it at its end, and
 * `node --import tsx scripts/bench-report.ts` runs it alone.
 *
 * Each benchmark leaves its latest result in `test-results/bench-<name>.json`
 * (scripts/bench-record.ts; bench-csv.json in its own older shape is read too). Those files are
 * build output and not kept in the repository, so the latest record of every benchmark is also
 * kept in docs/numbers.json: a newer file in test-results replaces a benchmark's entry there, and
 * a benchmark not run this time keeps its last one, with its date. The page is then rendered from
 * docs/numbers.json: per benchmark, when, on what machine (cores, load), each measure and its
 * target, met or missed.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, type BenchMeasure, type BenchRecord } from './bench-record.ts';

/** A file of test-results/ that could not be read as a benchmark record, and why. */
export interface Unreadable {
  file: string;
  reason: string;
}

/** bench-csv.json (scripts/bench-csv.ts): an array of runs, one per file size. */
interface CsvRun {
  rows: number;
  fileMB: number;
  anchorMs: number;
  firstRowsMs: number;
  loadedMs: number;
  ratio: number;
  pageHeapMB?: number;
  pageHeapPeakMB?: number;
  mainRssPeakMB?: number;
  loadAverage?: string;
  ops?: Record<string, number>;
}

function fromCsvRuns(runs: CsvRun[], mtime: Date): BenchRecord {
  const measures: BenchMeasure[] = [];
  for (const r of runs) {
    const n = `${r.rows.toLocaleString('en-US')} rows (${Math.round(r.fileMB)} MB)`;
    measures.push({ name: `${n}: first rows on screen`, value: r.firstRowsMs, unit: 'ms', target: { max: 1000, text: '≤ 1 s' } });
    measures.push({
      name: `${n}: fully loaded, × DuckDB's read_csv_auto`,
      value: Math.round(r.ratio * 100) / 100,
      unit: '×',
      target: { max: 1.5, text: '≤ 1.5×' },
      note: `${(r.loadedMs / 1000).toFixed(1)} s against ${(r.anchorMs / 1000).toFixed(1)} s`,
    });
    if (r.pageHeapMB !== undefined) measures.push({ name: `${n}: page's JS heap after GC`, value: r.pageHeapMB, unit: 'MB', ...(r.pageHeapPeakMB !== undefined ? { note: `${r.pageHeapPeakMB.toFixed(0)} MB at most while loading` } : {}) });
    if (r.mainRssPeakMB !== undefined) measures.push({ name: `${n}: host and engine, peak RSS`, value: r.mainRssPeakMB, unit: 'MB' });
    for (const [op, ms] of Object.entries(r.ops ?? {})) {
      if (typeof ms === 'number') measures.push({ name: `${n}: ${op}, first screen`, value: ms, unit: 'ms', target: { max: 500, text: '≤ 0.5 s' } });
    }
  }
  const load = (runs.find((r) => r.loadAverage)?.loadAverage ?? '').split(/\s+/).map(Number);
  return {
    bench: 'csv',
    title: 'Opening a CSV file in the Logs workbench (Chromium, through the picker)',
    command: 'npm run bench:csv',
    date: mtime.toISOString(),
    // bench-csv.json does not record the machine: only the load average, taken during the run.
    machine: { cores: 0, cpu: 'not recorded', load: [load[0] ?? 0, load[1] ?? 0, load[2] ?? 0], node: 'not recorded', platform: 'not recorded' },
    measures,
  };
}

function isRecord(x: unknown): x is BenchRecord {
  const r = x as BenchRecord;
  return !!r && typeof r === 'object' && typeof r.bench === 'string' && typeof r.date === 'string' && Array.isArray(r.measures) && !!r.machine;
}

/** The records found in `dir` (test-results/), and the files that are not records. */
export function readRecords(dir: string): { records: BenchRecord[]; unreadable: Unreadable[] } {
  const records: BenchRecord[] = [];
  const unreadable: Unreadable[] = [];
  if (!existsSync(dir)) return { records, unreadable };
  for (const file of readdirSync(dir).filter((f) => /^bench-.*\.json$/.test(f)).sort()) {
    const path = join(dir, file);
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      unreadable.push({ file, reason: `not JSON: ${(e as Error).message}` });
      continue;
    }
    if (isRecord(data)) records.push(data);
    else if (file === 'bench-csv.json' && Array.isArray(data)) records.push(fromCsvRuns(data as CsvRun[], statSync(path).mtime));
    else unreadable.push({ file, reason: 'not a benchmark record (see scripts/bench-record.ts)' });
  }
  return { records, unreadable };
}

/** `kept` with each benchmark replaced by a record of `fresh` that is as new or newer. */
export function mergeRecords(kept: BenchRecord[], fresh: BenchRecord[]): BenchRecord[] {
  const byBench = new Map(kept.map((r) => [r.bench, r]));
  for (const r of fresh) {
    const old = byBench.get(r.bench);
    if (!old || Date.parse(r.date) >= Date.parse(old.date)) byBench.set(r.bench, r);
  }
  return [...byBench.values()].sort((a, b) => a.bench.localeCompare(b.bench));
}

function num(v: number): string {
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return v.toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** 'met', 'missed' or '' (no target) for one measure. */
export function verdict(m: BenchMeasure): string {
  if (!m.target || (m.target.max === undefined && m.target.min === undefined)) return '';
  const ok = (m.target.max === undefined || m.value <= m.target.max) && (m.target.min === undefined || m.value >= m.target.min);
  return ok ? 'met' : '**missed**';
}

function when(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** More runnable work than cores when it finished: its times include waiting for a core. */
export function busy(r: BenchRecord): boolean {
  return r.machine.load[0] > (r.machine.cores || 2);
}

function machineText(r: BenchRecord): string {
  const m = r.machine;
  const load = `load ${m.load.join(' / ')}`;
  const note = busy(r) ? ' (busy: more work than cores, so times include waiting for a core)' : '';
  if (!m.cores) return `${load}${note} (cores and CPU not recorded)`;
  return `${m.cores} cores (${m.cpu}), ${load}${note}, Node ${m.node}, ${m.platform}`;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The page, from the records. */
export function renderNumbers(records: BenchRecord[]): string {
  const out: string[] = [
    '# Measured numbers',
    '',
    '<!-- Generated by scripts/bench-report.ts from docs/numbers.json: do not edit by hand. -->',
    '',
    'Every benchmark\'s latest result, written by the benchmarks themselves: `npm run bench` (the',
    'engine) ends by rewriting this page, and `node --import tsx scripts/bench-report.ts` rewrites it',
    'from whatever results are in `test-results/` (the other `bench:*` scripts). A benchmark not run',
    'since keeps its last result, with its date. The machine matters: these are 2-core machines',
    'shared with other jobs, so read the load average beside each result. What each benchmark does,',
    'and older measurements: [Performance](performance.md).',
    '',
  ];
  if (records.length === 0) {
    out.push('No benchmark has written a result yet: run `npm run bench`.', '');
    return out.join('\n');
  }
  out.push('| benchmark | command | measured | machine | targets |', '|---|---|---|---|---|');
  for (const r of records) {
    const verdicts = r.measures.map(verdict).filter(Boolean);
    const missed = verdicts.filter((v) => v !== 'met').length;
    const targets = verdicts.length === 0 ? '' : missed === 0 ? `all ${verdicts.length} met` : `${missed} of ${verdicts.length} **missed**`;
    out.push(`| [${cell(r.title)}](#${r.bench}) | \`${cell(r.command)}\` | ${when(r.date)} | ${r.machine.cores ? `${r.machine.cores} cores, ` : ''}load ${r.machine.load[0]}${busy(r) ? ' (busy)' : ''} | ${targets} |`);
  }
  out.push('');
  for (const r of records) {
    out.push(`<a id="${r.bench}"></a>`, '', `## ${r.title}`, '');
    out.push(`\`${r.command}\`, ${when(r.date)}, on ${machineText(r)}.`, '');
    out.push('| measure | result | target | |', '|---|---:|---|---|');
    for (const m of r.measures) {
      const value = `${num(m.value)}${m.unit === '×' ? '×' : ` ${m.unit}`}`;
      out.push(`| ${cell(m.name)} | ${value}${m.note ? ` (${cell(m.note)})` : ''} | ${cell(m.target?.text ?? '')} | ${verdict(m)} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

/**
 * Merges test-results/bench-*.json into docs/numbers.json and rewrites docs/numbers.md.
 * Returns what it read and could not read.
 */
export function writeNumbersPage(root = repoRoot): { page: string; records: BenchRecord[]; unreadable: Unreadable[] } {
  const store = join(root, 'docs', 'numbers.json');
  let kept: BenchRecord[] = [];
  if (existsSync(store)) {
    const data: unknown = JSON.parse(readFileSync(store, 'utf8'));
    if (!Array.isArray(data) || !data.every(isRecord)) throw new Error(`${store}: not a list of benchmark records; delete it to start again`);
    kept = data;
  }
  const { records: fresh, unreadable } = readRecords(join(root, 'test-results'));
  const records = mergeRecords(kept, fresh);
  writeFileSync(store, `${JSON.stringify(records, null, 1)}\n`);
  const page = join(root, 'docs', 'numbers.md');
  writeFileSync(page, renderNumbers(records));
  return { page, records, unreadable };
}

// Run as a script (not when bundled into dist/bench.js, which calls writeNumbersPage itself).
if (process.argv[1]?.replace(/\\/g, '/').endsWith('scripts/bench-report.ts')) {
  const { page, records, unreadable } = writeNumbersPage();
  for (const u of unreadable) console.error(`bench-report: test-results/${u.file}: ${u.reason}; left out`);
  console.log(`wrote ${page} (${records.length} benchmark${records.length === 1 ? '' : 's'})`);
}
