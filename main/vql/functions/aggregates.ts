/**
 * Aggregate functions (SPEC 11.3). Each call site keeps its state in the current aggregate
 * context, so without GROUP BY they yield running values.
 */
import { type Value } from '../values/types.ts';
import type { FunctionDef } from '../registry.ts';
import type { LazyArg } from '../eval/coerce.ts';
import { lt } from '../protocols/compare.ts';
import { force } from '../eval/coerce.ts';
import { then } from '../eval/maybe.ts';
import { normInt } from '../values/types.ts';

export const count: FunctionDef = {
  name: 'count',
  doc: 'Running count of rows (per GROUP BY bin).',
  isAggregate: true,
  args: { items: { type: 'any', doc: 'Evaluated but ignored' } },
  run({ state }) {
    const n = ((state.value as number | undefined) ?? 0) + 1;
    state.value = n;
    return n;
  },
};

export const sum: FunctionDef = {
  name: 'sum',
  doc: 'Running integer sum of item (floats are truncated).',
  isAggregate: true,
  args: { item: { type: 'int', required: true, doc: 'The value to add' } },
  run({ state, args }) {
    const prev = (state.value as number | bigint | undefined) ?? 0;
    const x = args.item as number | bigint;
    let r: number | bigint;
    if (typeof prev === 'number' && typeof x === 'number' && Number.isSafeInteger(prev + x)) r = prev + x;
    else r = normInt(BigInt(prev) + BigInt(x));
    state.value = r;
    return r;
  },
};

function minMax(name: string, isMin: boolean): FunctionDef {
  return {
    name,
    doc: isMin ? 'Running minimum of item (using VQL `<`).' : 'Running maximum of item (using VQL `<`).',
    isAggregate: true,
    args: { item: { type: 'lazy', required: true, doc: 'The value to compare' } },
    run({ state, args, scope }) {
      return then((args.item as LazyArg).get(), (raw) =>
        then(force(raw, scope), (item: Value) => {
          const cell = state as { value: unknown };
          const has = cell.value !== undefined;
          const cur = (cell.value as { v: Value } | undefined)?.v;
          // min: replace unless NOT (item < state); max: replace unless item < state.
          const replace = !has || (isMin ? lt(item, cur, scope) : !lt(item, cur, scope));
          if (replace) cell.value = { v: item };
          return (cell.value as { v: Value }).v;
        }),
      );
    },
  };
}

export const min = minMax('min', true);
export const max = minMax('max', false);

export const enumerate: FunctionDef = {
  name: 'enumerate',
  doc: 'Running array of every item seen.',
  isAggregate: true,
  args: { items: { type: 'any', doc: 'The value to collect' } },
  run({ state, args }) {
    const list = (state.value as Value[] | undefined) ?? [];
    list.push(args.items === undefined ? null : args.items);
    state.value = list;
    return list.slice();
  },
};

