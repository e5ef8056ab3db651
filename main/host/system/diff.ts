/**
 * `diff(query=, key=, period=)`: an event plugin (VELOCIRAPTOR.md 4.7, Velociraptor's
 * vql/common/diff.go). Every `period` seconds (default 60) it runs `query` to completion and
 * compares its rows with the previous run's, matching rows by the `key` column (rendered with
 * Go's `%v`, so 1 and "1" are the same key). Rows whose key is new are emitted with a `Diff`
 * column `added`, rows whose key disappeared (as they were last seen) with `Diff` = `removed`:
 * added rows first, in query order, then removed rows. The first run only records the
 * baseline and emits nothing. Runs until the query is cancelled.
 */
import {
  GET_MEMBER,
  Lazy,
  MEMBERS,
  VDict,
  abortableSleep,
  goText,
  openArgQuery,
  type HostObject,
  type PluginDef,
  type Scope,
  type Value,
} from '../../vql/index.ts';

function isHostRow(v: Value): v is HostObject {
  return typeof v === 'object' && v !== null && typeof (v as Partial<HostObject>)[GET_MEMBER] === 'function';
}

/** A copy of `row` with the Diff column last. */
function withDiff(row: VDict, diff: 'added' | 'removed'): VDict {
  return new VDict(row.entries()).set('Diff', diff);
}

/** A row as an ordered dict of forced values. */
async function toDict(row: Value): Promise<VDict> {
  const d = new VDict();
  if (row instanceof VDict) for (const [k, v] of row.entries()) d.map.set(k, v);
  else if (isHostRow(row)) for (const m of row[MEMBERS]()) d.map.set(m, row[GET_MEMBER](m));
  for (const [k, v] of d.entries()) if (v instanceof Lazy) d.map.set(k, await v.force());
  return d;
}

/** All rows of one run of `query`, by key (a later row with the same key replaces an earlier one). */
async function snapshot(query: Value, key: string, scope: Scope, signal: AbortSignal): Promise<Map<string, VDict> | null> {
  const out = new Map<string, VDict>();
  const src = openArgQuery(query, scope);
  const batches: AsyncIterable<Value[]> | Value[][] = Array.isArray(src) ? [src] : src;
  for await (const batch of batches) {
    if (signal.aborted) return null;
    for (const row of batch) {
      const d = await toDict(row);
      const k = d.get(key);
      out.set(goText(typeof k === 'symbol' ? null : k), d);
    }
  }
  return signal.aborted ? null : out;
}

export const diff: PluginDef = {
  name: 'diff',
  doc:
    'Run query every period seconds and emit the rows that appeared (Diff="added") or disappeared (Diff="removed") ' +
    'since the previous run, matching rows by the key column. The first run emits nothing. Never ends.',
  category: 'event',
  args: {
    query: { type: 'query', required: true, doc: 'The query to run each period (it must end)' },
    key: { type: 'string', required: true, doc: 'The column that identifies a row' },
    period: { type: 'int', doc: 'Seconds between runs', default: '60' },
  },
  batched: true,
  async *run({ scope, args, signal }) {
    const key = args.key as string;
    const seconds = Number(args.period ?? 60);
    const interval = (seconds > 0 ? seconds : 60) * 1000;
    let previous: Map<string, VDict> | null = null;
    for (;;) {
      const current = await snapshot(args.query, key, scope, signal);
      if (!current) return;
      if (previous) {
        const out: VDict[] = [];
        for (const [k, row] of current) if (!previous.has(k)) out.push(withDiff(row, 'added'));
        for (const [k, row] of previous) if (!current.has(k)) out.push(withDiff(row, 'removed'));
        if (out.length) yield out;
      }
      previous = current;
      if (!(await abortableSleep(interval, signal))) return;
    }
  },
};
