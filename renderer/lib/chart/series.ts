/**
 * What the live time chart plots from a TableSource of rows in the page (live events):
 * which column is the time axis, which columns are numeric, which to show first, and the
 * arrays uPlot wants (x in epoch seconds, ascending). Pure: tested in plain Node.
 */
import type { Cell, TableSource } from '../table/source.ts';

/** Names that mean "the time of this row", best first (compared case-insensitively). */
export const TIME_NAMES = ['timestamp', 'eventtime', 'time', 'event_time', 'timecreated', 'ts'];

/** Columns shown first when present (Generic.Client.Stats: CPU% and RSS). */
const PREFERRED = [/^cpu_?percent$|^cpu%$/i, /^rss$/i];

/** Rows sampled (from the end) to decide a column's kind. */
const SAMPLE = 200;

/**
 * Epoch seconds of a time cell, or NaN. Numbers are read by magnitude (seconds, ms, µs or ns
 * since 1970); `isMillis` says the column already holds milliseconds (a `timestamp` column of
 * the table). Text is parsed as a date (ISO 8601 / RFC 3339) or as a number.
 */
export function toEpochSeconds(v: Cell, isMillis = false): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return NaN;
    if (isMillis) return v / 1000;
    const a = Math.abs(v);
    return a < 1e11 ? v : a < 1e14 ? v / 1e3 : a < 1e17 ? v / 1e6 : v / 1e9;
  }
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    if (Number.isFinite(n)) return toEpochSeconds(n);
    const t = Date.parse(v);
    return Number.isFinite(t) ? t / 1000 : NaN;
  }
  return NaN;
}

/** The last (up to SAMPLE) non-null cells of a column. */
function sample(src: TableSource, col: number): Cell[] {
  const out: Cell[] = [];
  for (let r = src.rowCount - 1; r >= 0 && out.length < SAMPLE; r--) {
    const v = src.cell(r, col);
    if (v !== null && v !== undefined && v !== '') out.push(v);
  }
  return out;
}

function looksLikeTime(src: TableSource, col: number): boolean {
  const isMillis = src.columns[col]!.type === 'timestamp';
  const cells = sample(src, col);
  return cells.length > 0 && cells.every((v) => {
    const s = toEpochSeconds(v, isMillis);
    // 1990..2200: a plain counter or a small number is not a time.
    return s > 631_152_000 && s < 7_258_118_400;
  });
}

/**
 * The time column: one named like a time (Timestamp, EventTime, Time...) whose values read as
 * times, else the first `timestamp`-typed column, else `_ts` (the collector's receive time),
 * else any column with "time" or "date" in its name that reads as times; -1 when none.
 */
export function detectTimeColumn(src: TableSource): number {
  const names = src.columns.map((c) => c.name.toLowerCase());
  for (const want of TIME_NAMES) {
    const i = names.indexOf(want);
    if (i >= 0 && looksLikeTime(src, i)) return i;
  }
  const typed = src.columns.findIndex((c) => c.type === 'timestamp');
  if (typed >= 0) return typed;
  const ts = names.indexOf('_ts');
  if (ts >= 0 && looksLikeTime(src, ts)) return ts;
  return names.findIndex((n, i) => /time|date/.test(n) && looksLikeTime(src, i));
}

/** Columns (other than the time column and `_ts`) whose sampled values are all numbers. */
export function numericColumns(src: TableSource, timeCol: number): number[] {
  const out: number[] = [];
  src.columns.forEach((c, i) => {
    if (i === timeCol || c.name === '_ts' || c.type === 'timestamp') return;
    const cells = sample(src, i);
    if (cells.length && cells.every((v) => typeof v === 'number')) out.push(i);
  });
  return out;
}

/** The columns worth showing first when present: CPU% and RSS (Generic.Client.Stats). */
export function preferredSeries(names: readonly string[]): string[] {
  return PREFERRED.map((re) => names.find((n) => re.test(n))).filter((n): n is string => n !== undefined);
}

/** The columns shown before the user picks: CPU% and RSS when present, else the first numeric one. */
export function defaultSeries(names: readonly string[]): string[] {
  const preferred = preferredSeries(names);
  return preferred.length ? preferred : names.slice(0, 1);
}

/** uPlot's data: x (epoch seconds, ascending) and one y array per series. */
export interface ChartData {
  xs: number[];
  ys: Array<Array<number | null>>;
  /** Rows plotted (xs also holds one gap marker per break in the data). */
  points: number;
}

/** A pause this much longer than the typical step between rows (and over a minute) breaks the lines. */
const GAP_FACTOR = 20;

/**
 * The points to draw: rows with a readable time, sorted by it; non-numbers become gaps, and so
 * does a long pause (a day without rows between two days of logs is not drawn as a line).
 */
export function chartData(src: TableSource, timeCol: number, cols: readonly number[]): ChartData {
  const isMillis = src.columns[timeCol]?.type === 'timestamp';
  let pts: Array<{ x: number; r: number }> = [];
  let sorted = true;
  for (let r = 0; r < src.rowCount; r++) {
    const x = toEpochSeconds(src.cell(r, timeCol), isMillis);
    if (!Number.isFinite(x)) continue;
    if (pts.length && x < pts[pts.length - 1]!.x) sorted = false;
    pts.push({ x, r });
  }
  if (!sorted) pts = pts.sort((a, b) => a.x - b.x || a.r - b.r);
  const steps = pts.slice(1).map((p, i) => p.x - pts[i]!.x).sort((a, b) => a - b);
  const gap = Math.max(60, (steps[steps.length >> 1] ?? 0) * GAP_FACTOR);
  const xs: number[] = [];
  const ys: Array<Array<number | null>> = cols.map(() => []);
  pts.forEach((p, i) => {
    if (i > 0 && p.x - pts[i - 1]!.x > gap) {
      xs.push((p.x + pts[i - 1]!.x) / 2);
      for (const y of ys) y.push(null);
    }
    xs.push(p.x);
    cols.forEach((c, k) => {
      const v = src.cell(p.r, c);
      ys[k]!.push(typeof v === 'number' && Number.isFinite(v) ? v : null);
    });
  });
  return { xs, ys, points: pts.length };
}

/** Short axis labels: 1.2k, 34M, 0.25. */
export function compactNumber(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(3)}k`;
  return `${+v.toPrecision(3)}`;
}

/** Units of axis labels, largest first, with the size from which each is used. */
const AXIS_UNITS: Array<[div: number, suffix: string, from: number]> = [[1e9, 'G', 1e9], [1e6, 'M', 1e6], [1e3, 'k', 1e4], [1, '', 0]];

/**
 * Axis tick labels sharing one unit (k, M, G) and just enough decimals to tell ticks apart.
 * Ticks close together on a large value (1714550399.5, 1714550400) would need more than 3
 * decimals in their unit: a smaller unit is taken, so no two ticks read alike.
 */
export function axisLabels(vals: ReadonlyArray<number | null>): string[] {
  const finite = vals.filter((v): v is number => v !== null && Number.isFinite(v));
  if (!finite.length) return vals.map(() => '');
  const max = Math.max(...finite.map(Math.abs));
  const gap = finite.length > 1 ? Math.abs(finite[1]! - finite[0]!) : 0;
  const decimalsFor = (div: number) => (gap > 0 ? Math.max(0, Math.ceil(-Math.log10(gap / div) - 1e-9)) : 0);
  const units = AXIS_UNITS.filter(([, , from]) => max >= from);
  const [div, suffix] = units.find(([d], i) => decimalsFor(d) <= 3 || i === units.length - 1)!;
  const decimals = Math.min(6, decimalsFor(div));
  return vals.map((v) => (v === null || !Number.isFinite(v) ? '' : `${(v / div).toFixed(decimals)}${suffix}`));
}
