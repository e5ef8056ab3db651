import { VBytes, VDict, isHostObject } from '../values/types.ts';
import type { FunctionDef } from '../registry.ts';
import { byteLength } from '../values/kinds.ts';
import { MaterializedQuery } from '../eval/query-values.ts';

/** `len(list)`: length of an array, string (bytes) or dict; 0 for anything else (SPEC 14.2). */
export const len: FunctionDef = {
  name: 'len',
  doc: 'The length of an array, a string (in bytes) or a dict; 0 for anything else.',
  args: { list: { type: 'lazy', required: true, doc: 'The value to measure' } },
  async run({ args }) {
    const v = await (args.list as { get(): unknown }).get();
    if (Array.isArray(v)) return v.length;
    if (typeof v === 'string' || v instanceof VBytes) return byteLength(v);
    if (v instanceof VDict) return v.size;
    if (v instanceof MaterializedQuery) return v.rows.length;
    if (isHostObject(v)) return 0;
    return 0;
  },
};
