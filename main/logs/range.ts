/**
 * The rows of a range of one artifact's monitoring log, in any layout (datastore.ts), as one
 * stream of JSON text: days in order, and within a day its files (CSV schema parts, JSONL,
 * 2018 CSV) merged in `_ts` order (merge.ts), the order the table engine gives the same range
 * (main/tables/load.ts `loadLogs`). What `vql logs show` prints; memory stays flat (one batch
 * per file of the day being read).
 *
 * A range is days (`YYYY-MM-DD`, UTC, inclusive) or times (ISO 8601, or epoch ms): with times,
 * the first and last days keep only the rows received in `[from, to)`: a JSONL day with its
 * `.json.tidx` reads only the bytes of those rows (tidx.ts); other files are read and filtered
 * by `_ts`.
 */
import { dayName, dayStart } from '../collector/paths.ts';
import { readDayRows } from './csv-read.ts';
import type { DayFile } from './datastore.ts';
import type { JsonBatch, Warn } from './json-rows.ts';
import { readJsonlText } from './jsonl-rows.ts';
import { readLegacyRows } from './legacy.ts';
import { mergeByKey } from './merge.ts';
import { tidxByteRange } from './tidx.ts';

/** A range: its days, and the times (epoch ms) when it does not take whole days. */
export interface TimeRange {
  fromDay: string;
  toDay: string;
  /** First time included (ms), when the range starts inside a day. */
  fromMs?: number;
  /** First time left out (ms), when the range ends inside a day. */
  toMs?: number;
}

/** Parses `--from`/`--to` (a day, an ISO time, or epoch ms); returns a problem (string) or the range. */
export function parseRange(from: string | number | undefined, to: string | number | undefined): TimeRange | string {
  const one = (v: string | number | undefined, end: boolean): { day: string; ms?: number } | string | undefined => {
    if (v === undefined || v === '') return undefined;
    const s = String(v);
    if (!Number.isNaN(dayStart(s))) return { day: s };
    const ms = typeof v === 'number' || /^\d{10,}$/.test(s) ? Number(s) : /^\d{4}-\d{2}-\d{2}T/.test(s) ? Date.parse(s) : NaN;
    if (!Number.isFinite(ms)) return `invalid ${end ? '--to' : '--from'} ${JSON.stringify(s)}: give a day (2024-05-01, UTC), a time (2024-05-01T10:00:00Z) or epoch milliseconds`;
    return { day: dayName(new Date(ms)), ms };
  };
  const f = one(from, false);
  const t = one(to, true);
  if (typeof f === 'string') return f;
  if (typeof t === 'string') return t;
  if (!f && !t) return { fromDay: '0000-01-01', toDay: '9999-12-31' };
  const fromDay = f?.day ?? '0000-01-01';
  const toDay = t?.day ?? '9999-12-31';
  if (fromDay > toDay || (f?.ms !== undefined && t?.ms !== undefined && f.ms >= t.ms)) return `the range ${String(from)}..${String(to)} ends before it starts`;
  return { fromDay, toDay, ...(f?.ms !== undefined ? { fromMs: f.ms } : {}), ...(t?.ms !== undefined ? { toMs: t.ms } : {}) };
}

/** Keeps the rows of a batch whose key (`_ts`, seconds) is in `[fromMs, toMs)`. */
async function* filtered(src: AsyncGenerator<JsonBatch>, fromMs?: number, toMs?: number): AsyncGenerator<JsonBatch> {
  if (fromMs === undefined && toMs === undefined) {
    yield* src;
    return;
  }
  const lo = fromMs ?? -Infinity;
  const hi = toMs ?? Infinity;
  for await (const b of src) {
    const out: JsonBatch = { rows: [], keys: [] };
    for (let i = 0; i < b.rows.length; i++) {
      const ms = b.keys[i]! * 1000;
      // A row with no time at all (no `_ts` before it) is kept only by a whole-day range.
      if (ms >= lo && ms < hi) {
        out.rows.push(b.rows[i]!);
        out.keys.push(b.keys[i]!);
      }
    }
    if (out.rows.length) yield out;
  }
}

/** The rows of one day file, limited to the time range when it cuts into this day. */
async function* fileRows(f: DayFile, range: TimeRange, warn: Warn, signal?: AbortSignal): AsyncGenerator<JsonBatch> {
  const fromMs = range.fromMs !== undefined && f.day === dayName(new Date(range.fromMs)) ? range.fromMs : undefined;
  const toMs = range.toMs !== undefined && f.day === dayName(new Date(range.toMs)) ? range.toMs : undefined;
  if (f.format === 'jsonl') {
    if (f.tidx && (fromMs !== undefined || toMs !== undefined)) {
      const r = await tidxByteRange(f.path, f.tidx, fromMs, toMs);
      if (r) {
        if (r.end > r.start) yield* readJsonlText(f.path, warn, { start: r.start, end: r.end, firstLine: r.firstRow, cut: true }, signal);
        return;
      }
    }
    yield* filtered(readJsonlText(f.path, warn, {}, signal), fromMs, toMs);
  } else if (f.format === 'csv2018') {
    // No time in the rows: a range inside the day keeps the whole day.
    yield* readLegacyRows(f.path, warn, signal);
  } else yield* filtered(readDayRows(f.path, warn, signal), fromMs, toMs);
}

/** The rows of `files` (day then file order, as datastore.ts `rangeFiles` gives them) in the range's order. */
export async function* rangeRows(files: readonly DayFile[], range: TimeRange, warn: Warn, signal?: AbortSignal): AsyncGenerator<string[]> {
  for (let i = 0; i < files.length && !signal?.aborted; ) {
    let j = i;
    while (j < files.length && files[j]!.day === files[i]!.day) j++;
    const day = files.slice(i, j);
    i = j;
    if (day.length === 1) {
      for await (const b of fileRows(day[0]!, range, warn, signal)) yield b.rows;
    } else yield* mergeByKey(day.map((f) => fileRows(f, range, warn, signal)), signal);
  }
}
