/**
 * Truthiness (SPEC 9.1). Query objects are true when they yield at least one row, so this
 * may run a query (and then it is asynchronous).
 */
import { Lazy, TRUTHY, VBytes, VDict, VFloat, type Value } from '../values/types.ts';
import { firstRows, isQuery, MaterializedQuery, StoredExpression } from '../eval/query-values.ts';
import type { Scope } from '../eval/scope.ts';
import { then, type MaybePromise } from '../eval/maybe.ts';

/** A value SPEC 9.1 calls falsy unless a protocol says otherwise: the registry's, or the object's own TRUTHY. */
function hostTruthy(v: object, scope: Scope): boolean {
  for (const p of scope.env.registry.boolProtocols) {
    const b = p(v as Value);
    if (b !== undefined) return b;
  }
  return typeof (v as { [TRUTHY]?: unknown })[TRUTHY] === 'function' ? (v as { [TRUTHY](): boolean })[TRUTHY]() : false;
}

export function truthy(v: Value, scope: Scope): MaybePromise<boolean> {
  switch (typeof v) {
    case 'boolean':
      return v;
    case 'number':
      return v > 0;
    case 'string':
      return v.length > 0;
    case 'bigint':
      return v > 0n;
    case 'undefined':
      return false;
    case 'object':
      if (v === null) return false;
      if (Array.isArray(v)) return v.length > 0;
      if (v instanceof VDict) return v.size > 0;
      if (v instanceof VBytes) return v.bytes.length > 0;
      if (v instanceof Lazy) return then(v.force(), (x) => truthy(x, scope));
      if (v instanceof StoredExpression) return then(v.evaluate(scope), (x) => truthy(x, scope));
      if (v instanceof MaterializedQuery) return v.rows.length > 0;
      if (isQuery(v)) return firstRows(v, scope, 1).then((r) => r.length > 0);
      if (v instanceof VFloat) return v.value > 0;
      return hostTruthy(v, scope);
    default:
      return false;
  }
}
