/**
 * `similarity(set1=, set2=)` (Velociraptor's vql/functions/similarity.go): how alike two dicts
 * are, from 0 (nothing in common) to 1 (the same). Nested dicts are flattened to dotted keys;
 * the result is the number of keys both have with equal values over the number of keys either
 * has. Two empty dicts are the same (1).
 */
import { ABSENT, GET_MEMBER, MEMBERS, VDict, eq, isHostObject, makeFloat, type FunctionDef, type Value } from '../../vql/index.ts';

function flatten(v: Value, prefix: string, out: Map<string, Value>): void {
  if (v instanceof VDict) {
    for (const [k, x] of v.entries()) flatten(x, prefix ? `${prefix}.${k}` : k, out);
    return;
  }
  out.set(prefix, v);
}

/** A dict argument as a dict (a host object such as a row of a plugin: its members). */
function asDict(v: Value): VDict | null {
  if (v instanceof VDict) return v;
  if (!isHostObject(v)) return null;
  const d = new VDict();
  for (const k of v[MEMBERS]()) {
    const x = v[GET_MEMBER](k);
    if (x !== ABSENT && !(x instanceof Promise)) d.set(k, x as Value);
  }
  return d;
}

export const similarity: FunctionDef = {
  name: 'similarity',
  doc: 'How alike two dicts are: keys with equal values over all keys (0 to 1; nested dicts flattened)',
  args: {
    set1: { type: 'any', required: true, doc: 'The first dict' },
    set2: { type: 'any', required: true, doc: 'The second dict' },
  },
  run(call) {
    const a = new Map<string, Value>();
    const b = new Map<string, Value>();
    for (const [name, v, m] of [['set1', call.args.set1, a], ['set2', call.args.set2, b]] as const) {
      const d = asDict(v);
      if (!d) {
        call.log('error', `similarity: argument ${name}: expected a dict (got ${v === null ? 'NULL' : typeof v})`);
        return null;
      }
      flatten(d, '', m);
    }
    const keys = new Set([...a.keys(), ...b.keys()]);
    if (keys.size === 0) return makeFloat(1);
    let same = 0;
    for (const k of keys) if (a.has(k) && b.has(k) && eq(a.get(k)!, b.get(k)!, call.scope)) same++;
    return makeFloat(same / keys.size);
  },
};
