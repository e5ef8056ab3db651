/**
 * Reading the rows of a tracker's sync and update queries (VQL-FUNCTIONS.md 7.2): columns
 * `id` (required), `parent_id`, `start_time`, `end_time`, `data` (a dict) and, for updates,
 * `update_type` (`start` or `exit`). Times may be times, RFC 3339 strings or epoch seconds.
 */
import { ABSENT, VDict, VTime, type Scope, type Value } from '../../vql/index.ts';
import { normalizeRow } from '../../vql/eval/normalize.ts';
import { toTime } from '../../vql/eval/coerce.ts';
import type { ProcessUpdate } from './tracker.ts';

/** Milliseconds since the epoch of a time value; null when absent, unparsable or Go's zero time. */
export function timeMs(v: Value): number | null {
  if (v === null || v === undefined || v === ABSENT || v === '') return null;
  const t = v instanceof VTime ? v : toTime(v);
  if (!t || t.unix <= -62135596800) return null;
  return t.millis;
}

function idText(v: Value): string | null {
  if (v === null || v === undefined || v === ABSENT || v === '') return null;
  return typeof v === 'string' ? v : String(v);
}

/** One query row as an update, or null when it has no `id`. */
export async function readUpdate(row: Value, scope: Scope): Promise<ProcessUpdate | null> {
  const d = await normalizeRow(row, scope);
  const get = (k: string): Value => {
    const v = d.get(k);
    return v === ABSENT ? null : v;
  };
  const id = idText(get('id'));
  if (id === null) return null;
  const data = get('data');
  return {
    id,
    parentId: idText(get('parent_id')),
    startMs: timeMs(get('start_time')),
    endMs: timeMs(get('end_time')),
    data: data instanceof VDict ? data : new VDict(),
    updateType: typeof get('update_type') === 'string' ? (get('update_type') as string) : undefined,
  };
}
