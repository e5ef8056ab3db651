import { ABSENT, type Value } from '../values/types.ts';
import type { FunctionDef } from '../registry.ts';
import { index, member } from '../protocols/member.ts';

/** `get(item, member)`: a dotted path lookup; integer parts index (SPEC 14.2). */
export const get: FunctionDef = {
  name: 'get',
  doc: 'Look up a dotted path in an item (default: the scope): get(item=x, member="a.0.b").',
  args: {
    item: { type: 'any', doc: 'The value to look in (default: the current scope)' },
    member: { type: 'string', doc: 'Dotted path; integer parts index arrays' },
    field: { type: 'any', doc: 'One member (a name or an index), not split on dots' },
    default: { type: 'any', doc: 'Returned when the path is missing' },
  },
  async run({ args, scope, log }) {
    let v: Value = args.item === undefined ? scope : args.item;
    if (args.field !== undefined) {
      const f = args.field;
      const r = typeof f === 'number' || typeof f === 'bigint' ? await index(v, f, scope) : await member(v, String(f), scope);
      return r === ABSENT || r === null || r === undefined ? (args.default ?? null) : r;
    }
    if (args.member === undefined) {
      log('error', 'give member= (a dotted path) or field=');
      return null;
    }
    for (const part of String(args.member).split('.')) {
      if (/^-?\d+$/.test(part)) {
        v = await index(v, Number(part), scope);
      } else {
        const r = await member(v, part, scope);
        v = r === ABSENT ? null : r;
      }
      if (v === null || v === undefined) return args.default ?? null;
    }
    return v;
  },
};
