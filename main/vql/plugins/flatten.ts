import { VDict, isHostObject, GET_MEMBER, MEMBERS, type Value } from '../values/types.ts';
import type { PluginDef } from '../registry.ts';
import type { Scope } from '../eval/scope.ts';
import { openArgQuery } from '../eval/coerce.ts';
import { asStream } from '../eval/stream.ts';
import { iterateValue } from '../eval/iterate.ts';

/**
 * `flatten(query)`: expands list-valued cells into a cartesian product of rows (SPEC 14.1).
 * The last column is the outermost loop; empty cells are kept unchanged.
 */
export const flatten: PluginDef = {
  name: 'flatten',
  doc: 'Flatten each row: list cells become one row per element (a cartesian product across columns).',
  args: { query: { type: 'query', required: true, doc: 'The rows to flatten' } },
  batched: true,
  async *run({ scope, args, signal }) {
    for await (const batch of asStream(openArgQuery(args.query, scope))) {
      for (const row of batch) {
        if (signal.aborted) return;
        const out = await flattenRow(row, scope);
        if (out.length) yield out;
      }
    }
  },
};

function rowEntries(row: Value): Array<[string, Value]> {
  if (row instanceof VDict) return [...row.entries()];
  if (isHostObject(row)) {
    const out: Array<[string, Value]> = [];
    for (const m of row[MEMBERS]()) {
      const v = row[GET_MEMBER](m);
      if (typeof v !== 'symbol') out.push([m, v]);
    }
    return out;
  }
  return [];
}

async function cellValues(v: Value, scope: Scope): Promise<Value[] | null> {
  const out: Value[] = [];
  for await (const b of iterateValue(v, scope)) {
    for (const item of b) {
      out.push(item instanceof VDict && item.has('_value') ? item.get('_value') : item);
    }
  }
  return out.length ? out : null;
}

async function flattenRow(row: Value, scope: Scope): Promise<VDict[]> {
  const entries = rowEntries(row);
  const cells: Value[][] = [];
  for (const [, v] of entries) cells.push((await cellValues(v, scope)) ?? [v]);
  const out: VDict[] = [];
  const idx = new Array<number>(cells.length).fill(0);
  for (;;) {
    const d = new VDict();
    for (let c = 0; c < cells.length; c++) d.set(entries[c]![0], cells[c]![idx[c]!]);
    out.push(d);
    // The first column varies fastest; the last is the outermost loop.
    let c = 0;
    while (c < cells.length) {
      idx[c]!++;
      if (idx[c]! < cells[c]!.length) break;
      idx[c] = 0;
      c++;
    }
    if (c >= cells.length) break;
  }
  return out;
}
