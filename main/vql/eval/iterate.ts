/**
 * Rows from values (SPEC section 10): iteration (foreach rows, flatten cells) and
 * value-to-query conversion (query parameters).
 */
import { Lazy, VDict, VStruct, isHostObject, type Value } from '../values/types.ts';
import { isQuery, openQuery, StoredExpression } from './query-values.ts';
import type { Scope } from './scope.ts';
import { asStream, type RowSource, type RowStream } from './stream.ts';

function wrap(v: Value): VDict {
  return new VDict([['_value', v]]);
}

/** A value that is a row as it is: a dict, or a host object other than a Go struct (VStruct). */
function hasMembers(v: Value): boolean {
  return v instanceof VDict || (isHostObject(v) && !(v instanceof VStruct));
}

/** SPEC 10.1: the rows of a value for `foreach(row=...)` and flatten cells. */
export async function* iterateValue(v: Value, scope: Scope): RowStream {
  if (v instanceof Lazy) {
    yield* iterateValue(await v.force(), scope);
    return;
  }
  if (v instanceof StoredExpression) {
    yield* iterateValue(await v.evaluate(scope), scope);
    return;
  }
  if (isQuery(v)) {
    yield* asStream(openQuery(v, scope));
    return;
  }
  if (v === null || v === undefined) return;
  if (v instanceof VDict) {
    yield [v];
    return;
  }
  if (Array.isArray(v)) {
    const out: Value[] = [];
    for (const e of v) {
      if (e === null || e === undefined) continue;
      out.push(hasMembers(e) ? e : wrap(e));
    }
    if (out.length) yield out;
    return;
  }
  yield [hasMembers(v) ? v : wrap(v)];
}

/** SPEC 10.2: a value converted to a query (query parameters, chain(), if plugin). */
export function toRowStream(v: Value, scope: Scope): RowSource {
  // Query objects open directly (possibly synchronously); other values are iterated.
  if (isQuery(v)) return openQuery(v, scope);
  return iterateValue(v, scope);
}
