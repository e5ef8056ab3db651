/**
 * Output normalization (SPEC 16.1): turns a row into plain data — thunks forced, query
 * objects run into arrays of rows, host objects into dicts of their members.
 */
import { GET_MEMBER, Lazy, MEMBERS, VDict, VTime, isHostObject, toValue, type Value } from '../values/types.ts';
import { StoredExpression, collectRows, isQuery, MaterializedQuery } from './query-values.ts';
import { Scope } from './scope.ts';
import type { MaybePromise } from './maybe.ts';

const MAX_DEPTH = 10;

function needsWork(v: Value): boolean {
  return typeof v === 'object' && v !== null && !(v instanceof VTime);
}

/** Normalizes one value. Synchronous unless a thunk or query needs to run. */
export function normalizeValue(v: Value, scope: Scope, depth = 0): MaybePromise<Value> {
  if (!needsWork(v)) return v === undefined ? null : v;
  if (depth > MAX_DEPTH) return null;
  if (v instanceof VDict) return v;
  if (Array.isArray(v)) {
    let out: Value[] | null = null;
    for (let i = 0; i < v.length; i++) {
      const n = normalizeValue(v[i], scope, depth + 1);
      if (n instanceof Promise) return normalizeArrayAsync(v, scope, depth);
      if (n !== v[i] && !out) out = v.slice(0, i);
      if (out) out.push(n);
    }
    return out ?? v;
  }
  if (v instanceof Lazy || v instanceof StoredExpression || isQuery(v) || v instanceof Scope) return normalizeAsync(v, scope, depth);
  if (isHostObject(v)) {
    // A host value that knows its own JSON: a text form (a path, Go's Stringer) keeps the
    // value itself, so functions like serialize() still see a path; structured JSON
    // becomes plain data.
    const own = (v as { toJSON?: () => unknown }).toJSON;
    if (typeof own === 'function') {
      const j = own.call(v);
      return typeof j === 'string' ? v : normalizeValue(toValue(j), scope, depth + 1);
    }
    const d = new VDict();
    let pending = false;
    for (const m of v[MEMBERS]()) {
      const x = v[GET_MEMBER](m);
      if (typeof x === 'symbol') continue;
      const n = normalizeValue(x, scope, depth + 1);
      if (n instanceof Promise) pending = true;
      d.set(m, n);
    }
    if (pending) return resolveDict(d);
    return d;
  }
  return v;
}

async function resolveDict(d: VDict): Promise<VDict> {
  for (const [k, x] of d.entries()) d.setInPlace(k, await x);
  return d;
}

async function normalizeArrayAsync(v: Value[], scope: Scope, depth: number): Promise<Value[]> {
  const out: Value[] = [];
  for (const x of v) out.push(await normalizeValue(x, scope, depth + 1));
  return out;
}

async function normalizeAsync(v: Value, scope: Scope, depth: number): Promise<Value> {
  if (v instanceof Lazy) return normalizeValue(await v.force(), scope, depth + 1);
  if (v instanceof StoredExpression) return normalizeValue(await v.evaluate(scope), scope, depth + 1);
  if (v instanceof MaterializedQuery) return normalizeArrayAsync(v.rows, scope, depth);
  if (isQuery(v)) return normalizeArrayAsync(await collectRows(v, scope), scope, depth);
  if (v instanceof Scope) return new VDict();
  return v;
}

/** Normalizes an output row: each column, in column order (SPEC 6.4, 16.1). */
export function normalizeRow(row: Value, scope: Scope): MaybePromise<VDict> {
  if (!(row instanceof VDict)) {
    const n = normalizeValue(row, scope);
    const wrap = (x: Value) => (x instanceof VDict ? x : new VDict());
    return n instanceof Promise ? n.then(wrap) : wrap(n);
  }
  let out: VDict | null = null;
  for (const [k, x] of row.entries()) {
    if (!needsWork(x) || x instanceof VDict) continue;
    const n = normalizeValue(x, scope);
    if (n instanceof Promise) return normalizeRowAsync(row, scope);
    if (n !== x) {
      if (!out) out = new VDict(row.entries());
      out.setInPlace(k, n);
    }
  }
  return out ?? row;
}

async function normalizeRowAsync(row: VDict, scope: Scope): Promise<VDict> {
  const out = new VDict();
  for (const [k, x] of row.entries()) out.map.set(k, await normalizeValue(x, scope));
  return out;
}
