/**
 * Choosing the store format: `csv` (the default, store.ts) or `jsonl` (Velociraptor's current
 * layout, jsonl-store.ts). Both live in the same client directory, in files of their own names,
 * so a datastore may hold days of both (a collector switched from one to the other); the rows
 * of today are then counted in both.
 */
import { LOG_FORMATS, type DayStore, type LogFormat, type StoreOptions } from './day-store.ts';
import { JsonlMonitoringStore } from './jsonl-store.ts';
import { MonitoringStore } from './store.ts';

export { LOG_FORMATS, type LogFormat } from './day-store.ts';

/** A store writing `format`. */
export function openStore(format: LogFormat, opts: StoreOptions): DayStore {
  return format === 'jsonl' ? new JsonlMonitoringStore(opts) : new MonitoringStore(opts);
}

/** The format named by a flag value, or an error saying which ones exist. */
export function parseLogFormat(text: string): LogFormat {
  if ((LOG_FORMATS as readonly string[]).includes(text)) return text as LogFormat;
  throw new RangeError(`unknown log format '${text}': use ${LOG_FORMATS.join(' or ')} (csv: one CSV file per day, the default; jsonl: Velociraptor's <day>.json with its .json.tidx)`);
}

/** Rows written today (UTC) per query name, in the files of both formats (for `vql monitor --status`). */
export async function rowsTodayAll(opts: StoreOptions): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const format of LOG_FORMATS) {
    const store = openStore(format, opts);
    try {
      for (const [q, n] of await store.rowsToday()) out.set(q, (out.get(q) ?? 0) + n);
    } finally {
      await store.close();
    }
  }
  return out;
}
