/**
 * What the chart of a table opened by the engine plots (the monitoring log browser): an
 * aggregate the engine computes over the grid's view (`table:timeline`), not rows in the page.
 * Bars of rows per time bucket, and per bucket the average of the number columns the user
 * checks. Which column is the time axis, which columns can be averaged, which lines show
 * first, and the arrays uPlot wants. Pure: tested in plain Node.
 */
import type { TableColumn, TableTimeline } from '../../../main/ipc/contract.ts';
import { preferredSeries, TIME_NAMES } from './series.ts';

/** The series of the row counts (the bars). */
export const ROWS_SERIES = 'Rows';

/**
 * The time axis: a timestamp column named like the time of the row (Timestamp, EventTime...),
 * else `_ts` (when the collector received it), else the first timestamp column; null when none.
 */
export function timeAxis(columns: readonly TableColumn[]): string | null {
  const times = columns.filter((c) => c.type === 'timestamp');
  for (const want of TIME_NAMES) {
    const c = times.find((x) => x.name.toLowerCase() === want);
    if (c) return c.name;
  }
  return times.find((c) => c.name === '_ts')?.name ?? times[0]?.name ?? null;
}

/** Number columns that can be averaged per bucket (`_row` and `_raw` are the engine's own). */
export function averageable(columns: readonly TableColumn[]): string[] {
  return columns.filter((c) => c.type === 'number' && c.name !== '_row').map((c) => c.name);
}

/** What shows before the user picks: CPU% and RSS when present (Generic.Client.Stats), else the row counts. */
export function defaultLines(numbers: readonly string[]): string[] {
  const preferred = preferredSeries(numbers);
  return preferred.length ? preferred : [ROWS_SERIES];
}

export interface TimelinePlot {
  /** The middle of each bucket, epoch seconds (a bar is drawn around it). */
  xs: number[];
  /** One array per series in `names` order: counts for ROWS_SERIES, averages (null: no number in the bucket) for a column. */
  ys: Array<Array<number | null>>;
  /** Rows in all buckets (the view's rows with a time). */
  rows: number;
}

/** uPlot's data for `names` (ROWS_SERIES and column names) from a timeline with `series`. */
export function timelinePlot(tl: TableTimeline, names: readonly string[]): TimelinePlot {
  const xs = tl.counts.map((_, i) => (tl.start + (i + 0.5) * tl.bucketMs) / 1000);
  const ys = names.map((n) => (n === ROWS_SERIES ? tl.counts.slice() : tl.series?.find((s) => s.column === n)?.avg.slice() ?? xs.map(() => null)));
  return { xs, ys, rows: tl.counts.reduce((a, b) => a + b, 0) };
}

/** Shortest x range shown (seconds): one bar (a single row) is not stretched over the whole plot. */
const MIN_RANGE = 60;

/** The x range of the bars (epoch seconds): from the first bar's start to the last one's end, at least MIN_RANGE around them. */
export function timelineRange(tl: TableTimeline): [number, number] {
  const from = tl.start / 1000;
  const to = (tl.start + Math.max(1, tl.counts.length) * tl.bucketMs) / 1000;
  if (to - from >= MIN_RANGE) return [from, to];
  const mid = (from + to) / 2;
  return [mid - MIN_RANGE / 2, mid + MIN_RANGE / 2];
}

const UNITS: Array<[number, string]> = [[365 * 86_400_000, 'year'], [7 * 86_400_000, 'week'], [86_400_000, 'day'], [3_600_000, 'hour'], [60_000, 'minute'], [1000, 'second'], [1, 'millisecond']];

/** A bucket width as a person says it: "15 minutes", "1 day", "500 milliseconds"; months of 30 days are "30 days". */
export function bucketText(ms: number): string {
  for (const [size, unit] of UNITS) {
    if (ms >= size && ms % size === 0) {
      const n = ms / size;
      return `${n} ${unit}${n === 1 ? '' : 's'}`;
    }
  }
  return `${ms} ms`;
}
