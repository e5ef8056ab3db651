import type { Value } from '../values/types.ts';
import type { PluginDef } from '../registry.ts';
import type { Scope } from '../eval/scope.ts';
import { iterateValue } from '../eval/iterate.ts';
import { openArgQuery } from '../eval/coerce.ts';
import { member, orNull } from '../protocols/member.ts';
import { Channel, LinkedAbort, type RowSource } from '../eval/stream.ts';

/**
 * `foreach(row, query, column, workers, async)` (SPEC 14.1): for each row item, run `query`
 * in a child scope with the item as a new top layer. With workers > 1 the items run
 * concurrently and output order is undefined.
 */
export const foreach: PluginDef = {
  name: 'foreach',
  doc: 'For each row of `row`, run `query` with the row\'s columns as variables (or emit the rows when there is no query).',
  args: {
    row: { type: 'any', required: true, doc: 'A query, a list or a value to iterate' },
    query: { type: 'query', doc: 'Run for each row, in a scope with the row on top' },
    column: { type: 'string', doc: 'Iterate this column of each row instead of the row' },
    workers: { type: 'int', doc: 'Run this many items concurrently (output order undefined)', default: '1' },
    async: { type: 'bool', doc: 'Run concurrently with 100 workers' },
  },
  batched: true,
  async *run({ scope, args, signal }) {
    const column = args.column as string | undefined;
    const query = args.query;
    let workers = Number(args.workers ?? 1);
    if (args.async === true) workers = 100;
    const items = rowItems(args.row, column, scope);
    if (query === undefined) {
      yield* items;
      return;
    }
    if (workers <= 1) {
      for await (const batch of items) {
        // Rows of queries that complete synchronously are gathered into one output batch.
        let out: Value[] = [];
        for (const item of batch) {
          if (signal.aborted) return;
          const src = openArgQuery(query, scope.child(item));
          if (Array.isArray(src)) {
            for (const r of src) out.push(r);
            // Never run items ahead of what a LIMIT (or other consumer) can still use.
            if (scope.demand && out.length >= scope.demand.remaining) {
              yield out;
              out = [];
            }
            continue;
          }
          if (out.length) yield out;
          out = [];
          yield* src;
        }
        if (out.length) yield out;
      }
      return;
    }
    yield* concurrent(items, workers, (item) => openArgQuery(query, scope.child(item)), signal);
  },
};

async function* rowItems(row: Value, column: string | undefined, scope: Scope): AsyncGenerator<Value[]> {
  for await (const batch of iterateValue(row, scope)) {
    if (column === undefined) {
      yield batch;
      continue;
    }
    const out: Value[] = [];
    for (const item of batch) out.push(orNull(await member(item, column, scope)));
    yield out;
  }
}

/** Runs `run(item)` for items with at most `workers` in flight, merging their batches. */
async function* concurrent(
  items: AsyncIterable<Value[]>,
  workers: number,
  run: (item: Value) => RowSource,
  signal: AbortSignal,
): AsyncGenerator<Value[]> {
  const link = new LinkedAbort(signal);
  const out = new Channel<Value[]>(workers * 2);
  const iterator = items[Symbol.asyncIterator]();
  let pending: Value[] = [];
  let done = false;
  const next = async (): Promise<{ item: Value } | null> => {
    while (pending.length === 0) {
      if (done) return null;
      const r = await iterator.next();
      // Other workers may have queued rows while this one waited: re-check before giving up.
      if (r.done) done = true;
      else pending.push(...r.value);
    }
    return { item: pending.shift() };
  };
  const worker = async () => {
    for (;;) {
      if (link.signal.aborted) return;
      const n = await next();
      if (!n) return;
      const src = run(n.item);
      if (Array.isArray(src)) {
        if (src.length) await out.push(src);
      } else {
        for await (const b of src) await out.push(b);
      }
    }
  };
  const all = Promise.all(Array.from({ length: workers }, worker)).then(
    () => out.close(),
    (e) => out.close(e),
  );
  try {
    for await (const batches of out.drain()) yield batches.length === 1 ? batches[0]! : batches.flat();
    await all;
  } finally {
    link.abort();
  }
}
