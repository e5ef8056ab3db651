import type { PluginDef } from '../registry.ts';
import { openArgQuery } from '../eval/coerce.ts';
import { asStream } from '../eval/stream.ts';

/** `chain(a=..., b=...)`: each argument, in order, converted to a query and run to completion. */
export const chain: PluginDef = {
  name: 'chain',
  doc: 'Run each argument as a query, one after another, in argument order.',
  args: {},
  freeArgs: true,
  batched: true,
  async *run({ scope, args, signal }) {
    for (const key of Object.keys(args)) {
      if (signal.aborted) return;
      yield* asStream(openArgQuery(args[key], scope.child(null)));
    }
  },
};
