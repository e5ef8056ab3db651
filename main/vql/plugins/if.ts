import type { PluginDef } from '../registry.ts';
import { openArgQuery } from '../eval/coerce.ts';
import { asStream } from '../eval/stream.ts';

/** `if(condition, then, else)` plugin: stream `then` or `else` (SPEC 14.1). */
export const ifPlugin: PluginDef = {
  name: 'if',
  doc: 'Stream the `then` query when the condition is true, else the `else` query (or nothing).',
  args: {
    condition: { type: 'bool', required: true, doc: 'The condition' },
    then: { type: 'query', required: true, doc: 'Rows when true' },
    else: { type: 'query', doc: 'Rows when false' },
  },
  batched: true,
  async *run({ scope, args }) {
    const branch = args.condition === true ? args.then : args.else;
    if (branch !== undefined) yield* asStream(openArgQuery(branch, scope));
  },
};
