/**
 * Turning argument values into lists of items: arrays as they are, queries run to their rows,
 * thunks forced. Used by the functions that take `items=` / `list=`.
 */
import { GET_MEMBER, MEMBERS, VDict, isHostObject, type Scope, type Value } from '../../vql/index.ts';
import { force } from '../../vql/eval/coerce.ts';
import { collectRows, isQuery } from '../../vql/eval/query-values.ts';
import { regexMatch } from '../../vql/protocols/regex.ts';
import { textOf } from './text.ts';

/** Forces a thunk or stored expression; runs nothing else. */
export async function settle(v: Value, scope: Scope): Promise<Value> {
  return force(v, scope);
}

/** The items of a value: an array's elements, a query's rows, or the value alone (NULL: none). */
export async function itemsOf(v: Value, scope: Scope): Promise<Value[]> {
  const x = await settle(v, scope);
  if (x === null || x === undefined) return [];
  if (Array.isArray(x)) return x;
  if (isQuery(x)) return collectRows(x, scope);
  return [x];
}

/** A query value run to its rows (other values unchanged). */
export async function materialize(v: Value, scope: Scope): Promise<Value> {
  const x = await settle(v, scope);
  return isQuery(x) ? collectRows(x, scope) : x;
}

/** The members of a dict or host object as [name, value] pairs; null for other values. */
export function memberEntries(v: Value): Array<[string, Value]> | null {
  if (v instanceof VDict) return [...v.entries()];
  if (isHostObject(v)) {
    const out: Array<[string, Value]> = [];
    for (const name of v[MEMBERS]()) {
      const x = v[GET_MEMBER](name);
      if (typeof x !== 'symbol') out.push([name, x]);
    }
    return out;
  }
  return null;
}

/**
 * Does the text of `item` match any of `patterns` (VQL `=~` rules: `.` matches anything)?
 * `callee` names the function in the error logged for an invalid pattern.
 */
export function matchesAny(item: Value, patterns: readonly string[], scope: Scope, callee = 'regex'): boolean {
  const text = textOf(item);
  return patterns.some((p) => regexMatch(text, p, scope, callee));
}
