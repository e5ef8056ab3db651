/**
 * When a number is a time: the column's name announces one and the value lies in a plausible
 * epoch range. Shared by the engine's column typing (main/tables/columns.ts) and the query/event
 * row sources, so a column like Generic.Client.Stats' `Timestamp` (epoch seconds, a float)
 * shows, sorts and exports as a time wherever it comes from.
 */

/** Column names that announce a time: `_ts`, `Time`, `CreateTime`, `timestamp`, `created_at`, `date`... */
export const TIME_NAME = /(^|_)ts$|time|date|stamp|(^|_)at$|epoch|^when$/i;

/** Epoch seconds from 1973 to 2286. */
export const EPOCH_SECONDS = [1e8, 1e10] as const;
/** Epoch milliseconds from 1973 to 5138. */
export const EPOCH_MILLIS = [1e11, 1e14] as const;

/** Milliseconds per unit when `v` is an epoch time in a column named `name` (1000 for seconds, 1 for ms), else 0. */
export function epochScale(name: string, v: unknown): number {
  if (typeof v !== 'number' || !TIME_NAME.test(name)) return 0;
  if (v >= EPOCH_SECONDS[0] && v < EPOCH_SECONDS[1]) return 1000;
  if (v >= EPOCH_MILLIS[0] && v < EPOCH_MILLIS[1]) return 1;
  return 0;
}
