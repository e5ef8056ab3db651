/**
 * The charts' axes (Plot.svelte draws them with uPlot): the time axis written like the grid
 * writes times (the same zone and ISO form: lib/settings/time-zone.ts), and value ranges that
 * stay readable with few points. uPlot's own defaults label times in the browser's zone in
 * their own style, and a series of one value, or two close ones, gets a range that is all
 * padding or all tick labels alike; these replace them. Pure: tested in plain Node.
 */
import { timeParts, type TimeZoneMode } from '../settings/time-zone.ts';

/** The finest part of a time the tick labels of a step need. */
export type TickUnit = 'day' | 'minute' | 'second' | 'millisecond';

/** The unit for ticks `incrSeconds` apart: whole days show dates only; below a minute, seconds; below a second, milliseconds. */
export function tickUnit(incrSeconds: number): TickUnit {
  if (incrSeconds >= 86_400 && incrSeconds % 86_400 === 0) return 'day';
  if (incrSeconds >= 60 && incrSeconds % 60 === 0) return 'minute';
  if (incrSeconds >= 1 && Number.isInteger(incrSeconds)) return 'second';
  return 'millisecond';
}

/** Characters of the grid's `HH:MM:SS.mmm` kept for a unit. */
const TIME_CHARS: Record<Exclude<TickUnit, 'day'>, number> = { minute: 5, second: 8, millisecond: 12 };

/**
 * Tick labels for the time axis: ticks at `splits` (epoch seconds), `incrSeconds` apart. Each
 * label is the start of the grid's text for that instant in the zone: the time of day cut to
 * the unit of the step (`08:05`, `08:05:30`, `08:05:30.250`) and, under the first tick and
 * wherever the day changes, the date (`08:05\n2024-05-01`); whole-day steps show the date alone.
 * So `${date}T${time}` of a label is a prefix of the grid's text of the same instant.
 * @example timeTickLabels([1714550400, 1714550700], 300, 'utc') // ['08:00\n2024-05-01', '08:05']
 */
export function timeTickLabels(splits: readonly number[], incrSeconds: number, mode: TimeZoneMode): string[] {
  const unit = tickUnit(incrSeconds);
  let lastDate = '';
  return splits.map((s) => {
    const p = timeParts(s * 1000, mode);
    if (!p) return '';
    if (unit === 'day') return p.date;
    const time = p.time.slice(0, TIME_CHARS[unit]);
    const label = p.date !== lastDate ? `${time}\n${p.date}` : time;
    lastDate = p.date;
    return label;
  });
}

/** Shortest time span shown (seconds): a single row, or rows within seconds, are not stretched edge to edge. */
export const MIN_TIME_SPAN = 60;

/** The x range (epoch seconds) for data from `min` to `max`: at least MIN_TIME_SPAN, centred on the data. */
export function timeRange(min: number | null, max: number | null, nowSeconds = Date.now() / 1000): [number, number] {
  const lo = min !== null && Number.isFinite(min) ? min : max;
  const hi = max !== null && Number.isFinite(max) ? max : lo;
  if (lo === null || hi === null || !Number.isFinite(lo) || !Number.isFinite(hi)) return [nowSeconds - MIN_TIME_SPAN, nowSeconds];
  if (hi - lo >= MIN_TIME_SPAN) return [lo, hi];
  const mid = (lo + hi) / 2;
  return [mid - MIN_TIME_SPAN / 2, mid + MIN_TIME_SPAN / 2];
}

/** 1, 2 or 5 times a power of ten: the smallest such step at least `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  // A hair of tolerance, so 0.30000000000000004 / 0.1 does not jump to 5.
  return (f <= 1 + 1e-9 ? 1 : f <= 2 + 1e-9 ? 2 : f <= 5 + 1e-9 ? 5 : 10) * p;
}

/** Steps of a value axis (about this many between the bounds). */
const STEPS = 4;
/** Room above and below the values, as a share of their spread. */
const PAD = 0.1;
/** Room around a value that does not change, as a share of its size (1 around zero). */
const FLAT_PAD = 0.05;

/**
 * The y range of a series whose values go from `min` to `max` (null: no values): never of zero
 * height. Values that vary get a tenth of their spread above and below; one value, or all
 * equal, get 5% of it (±1 around 0); counts (`fromZero`) start at 0. Values that are all zero
 * or more never get a negative bound. The bounds are rounded out to a 1-2-5 step so ticks fall
 * on round numbers, and there are always at least two distinct ticks to label.
 * @example valueRange(5, 5) // [4.6, 5.4]
 */
export function valueRange(min: number | null, max: number | null, fromZero = false): [number, number] {
  const finite = (v: number | null): v is number => v !== null && Number.isFinite(v);
  if (!finite(min) && !finite(max)) return [0, 1];
  let lo = finite(min) ? min : (max as number);
  let hi = finite(max) ? max : lo;
  if (lo > hi) [lo, hi] = [hi, lo];
  const nonNegative = lo >= 0;
  if (fromZero) lo = Math.min(0, lo);
  const spread = hi - lo;
  const pad = spread > 0 ? spread * PAD : Math.abs(hi) * FLAT_PAD || 1;
  let a = fromZero && lo === 0 ? 0 : lo - pad;
  let b = hi + pad;
  if (nonNegative && a < 0) a = 0;
  const step = niceStep((b - a) / STEPS);
  a = Math.floor(a / step + 1e-9) * step;
  b = Math.ceil(b / step - 1e-9) * step;
  // Rounding keeps a few digits of noise away from the labels (0.30000000000000004).
  const round = (v: number) => Number(v.toPrecision(12));
  return [round(a), round(b)];
}
