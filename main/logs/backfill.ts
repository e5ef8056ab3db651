/**
 * The live view's backfill: the rows of today's day files of an event artifact, so that opening
 * the view shows what was collected already instead of an empty table and chart.
 *
 * The seam with the live rows is exact. Every row carries `_ts`, the second the collector
 * received it (event-query.ts), and the view subscribes before it asks for the backfill. The
 * backfill takes `through` = the current second, waits for that second to end (no row can get
 * that `_ts` any more), has the collector write what it holds (Collector.flush), then reads the
 * rows with `_ts <= through`. Those were all received before the subscription's rows with a
 * later `_ts`, which the view keeps; it drops live rows with `_ts <= through`, which the
 * backfill has. So no row shows twice, and none is missing.
 *
 * Only the newest `limit` rows (and MAX_BACKFILL_BYTES of text) are returned; `total` says how
 * many the day holds. The files are read in bounded memory (csv-read.ts), however big.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventsBackfill, EventsBackfillRequest, RowJson } from '../ipc/contract.ts';
import { dayName } from '../collector/paths.ts';
import { dayParts } from './store.ts';
import { readDayRows } from './csv-read.ts';

/** Most rows one backfill returns: the live view's buffer holds as many. */
export const MAX_BACKFILL_ROWS = 10_000;
/** Most text one backfill returns (the newest rows that fit), so one reply stays a few MB. */
export const MAX_BACKFILL_BYTES = 8 << 20;
/** How long the backfill waits for the collector to write the rows it holds. */
export const FLUSH_WAIT_MS = 5000;
/** Notes kept per backfill; more are counted. */
const MAX_NOTES = 5;

/** What the backfill reads from: the artifact's directory and its collector query. */
export interface BackfillSource {
  /** The day files' directory of `Artifact` (its sources in subdirectories) or `Artifact/Source`. */
  readonly dir: string;
  /** Whether the artifact's query runs (rows may be arriving): then the seam is waited for. */
  readonly running: boolean;
  /** Writes the rows the query received so far; resolves once they are on disk. */
  flush(): Promise<void>;
  /** The clock (epoch ms); `_ts` comes from the same one. */
  readonly now?: () => number;
}

/** The checked request: the artifact and the row limit; or the problem, as text. */
export function checkBackfillRequest(req: EventsBackfillRequest): { artifact: string; limit: number } | string {
  if (!req || typeof req !== 'object') return 'events:backfill needs {artifact, limit?}';
  const { artifact, limit = MAX_BACKFILL_ROWS } = req;
  if (typeof artifact !== 'string' || !artifact || artifact.startsWith('/') || artifact.endsWith('/')) return `events:backfill: invalid artifact name ${JSON.stringify(artifact)}`;
  if (!Number.isInteger(limit) || limit < 0) return `events:backfill: the limit must be a whole number of rows, not ${JSON.stringify(limit)}`;
  return { artifact, limit: Math.min(limit, MAX_BACKFILL_ROWS) };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/** Today's rows up to the seam (see the module comment), the newest `limit`. */
export async function backfill(src: BackfillSource, limit: number): Promise<EventsBackfill> {
  const now = src.now ?? Date.now;
  const through = Math.floor(now() / 1000);
  const notes: string[] = [];
  let skipped = 0;
  const note = (m: string) => (notes.length < MAX_NOTES ? notes.push(m) : skipped++);
  if (src.running) {
    // Rows received during the second `through` get that `_ts`: once it is over, none can.
    await sleep((through + 1) * 1000 - now());
    let timer: NodeJS.Timeout | undefined;
    const flushed = await Promise.race([src.flush().then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), FLUSH_WAIT_MS)))]);
    clearTimeout(timer);
    if (!flushed) note(`the collector could not write its newest rows within ${FLUSH_WAIT_MS / 1000} s (its log says why): rows of the seconds before the view opened may be missing here (the files get them)`);
  }
  const day = dayName(new Date(through * 1000));
  const tails: Array<{ rows: RowJson[]; keys: number[] }> = [];
  let total = 0;
  for (const dir of await queryDirs(src.dir)) {
    for (const path of (await dayParts(dir)).get(day) ?? []) {
      const tail = await readTail(path, through, limit, note);
      total += tail.count;
      tails.push(tail);
    }
  }
  if (skipped) notes.push(`and ${skipped} more like these`);
  return { rows: newest(tails, limit), total, through, day, notes };
}

/** The directory and its sources' subdirectories (none when it does not exist yet). */
async function queryDirs(dir: string): Promise<string[]> {
  try {
    return [dir, ...(await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => join(dir, e.name))];
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** The last `limit` rows of one part with a merge key (`_ts`) up to `through`, and how many there are. */
async function readTail(path: string, through: number, limit: number, warn: (m: string) => void) {
  let rows: RowJson[] = [];
  let keys: number[] = [];
  let count = 0;
  for await (const batch of readDayRows(path, warn)) {
    for (let i = 0; i < batch.rows.length; i++) {
      if (!(batch.keys[i]! <= through)) continue;
      count++;
      rows.push(batch.rows[i]!);
      keys.push(batch.keys[i]!);
    }
    // Cut back now and then, not per row: the work stays linear in the file.
    if (rows.length > 2 * limit + 1000) {
      rows = rows.slice(-limit);
      keys = keys.slice(-limit);
    }
  }
  return limit ? { rows: rows.slice(-limit), keys: keys.slice(-limit), count } : { rows: [], keys: [], count };
}

/** The newest `limit` rows of all parts in time order (ties keep part order), within MAX_BACKFILL_BYTES. */
function newest(tails: ReadonlyArray<{ rows: RowJson[]; keys: number[] }>, limit: number): RowJson[] {
  if (limit === 0) return [];
  const all = tails.flatMap((t, p) => t.rows.map((row, i) => ({ row, key: t.keys[i]!, p, i })));
  // Stable: equal keys stay in part order, then file order.
  all.sort((a, b) => a.key - b.key || a.p - b.p || a.i - b.i);
  const kept = all.slice(-limit);
  let bytes = 0;
  let first = kept.length;
  while (first > 0 && (bytes += kept[first - 1]!.row.length) <= MAX_BACKFILL_BYTES) first--;
  return kept.slice(first).map((x) => x.row);
}
