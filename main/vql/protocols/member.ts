/**
 * Member access `a.name`, indexing `a[i]` and slicing `a[i:j]` (SPEC 9.9).
 */
import { ABSENT, GET_MEMBER, Lazy, VBytes, VDict, isHostObject, type Absent, type Value } from '../values/types.ts';
import { byteLength, bytesToValue, isString, stringBytes, isAscii, toInt } from '../values/kinds.ts';
import { collectRows, firstRows, isQuery, MaterializedQuery, StoredExpression, isLazyQuery } from '../eval/query-values.ts';
import { Scope } from '../eval/scope.ts';
import { then, type MaybePromise } from '../eval/maybe.ts';

/** Dict pseudo-members reachable through `d["@Keys"]` or get() (SPEC 9.9 rule 5). */
function dictSpecial(d: VDict, name: string): Value | Absent {
  switch (name) {
    case '@Keys':
      return d.keys();
    case '@Values':
      return d.values();
    case '@Items':
      return [...d.entries()].map(([k, v]) => new VDict([['Key', k], ['Value', v]]));
    case '@Len':
      return d.size;
    default:
      return ABSENT;
  }
}

/**
 * `a.name`. Returns ABSENT for a missing member of a dict or host object (callers that
 * need a value map it to null with `orNull`).
 */
export function member(a: Value, name: string, scope: Scope): MaybePromise<Value | Absent> {
  if (a === null || a === undefined) return ABSENT;
  if (a instanceof VDict) {
    const v = a.get(name);
    if (v === ABSENT && name.charCodeAt(0) === 64 /* @ */) return dictSpecial(a, name);
    return v;
  }
  if (a instanceof Scope) return a.lookup(name);
  if (a instanceof StoredExpression) return then(a.evaluate(scope), (x) => member(x, name, scope));
  if (a instanceof Lazy) return then(a.force(), (x) => member(x, name, scope));
  if (isQuery(a)) {
    return collectRows(a, scope).then(async (rows) => {
      const out: Value[] = [];
      for (const r of rows) out.push(orNull(await member(r, name, scope)));
      return out;
    });
  }
  if (isHostObject(a)) return a[GET_MEMBER](name);
  if (Array.isArray(a)) {
    const out: Value[] = [];
    let pending: Promise<void> | null = null;
    for (const el of a) {
      const v = member(el, name, scope);
      if (v instanceof Promise || pending) {
        pending = (pending ?? Promise.resolve()).then(async () => {
          const r = await v;
          if (r !== ABSENT) out.push(r);
        });
      } else if (v !== ABSENT) out.push(v);
    }
    if (pending) return pending.then(() => (out.length ? out : ABSENT));
    return out.length ? out : ABSENT;
  }
  return ABSENT;
}

export function orNull(v: Value | Absent): Value {
  return v === ABSENT || v === undefined ? null : v;
}

/** `a[i]` where i may be a string (member access) or a number. */
export function index(a: Value, i: Value, scope: Scope): MaybePromise<Value> {
  if (i === null || i === undefined || a === null || a === undefined) return null;
  if (isString(i)) return then(member(a, typeof i === 'string' ? i : new TextDecoder().decode(i.bytes), scope), orNull);
  const n = toInt(i);
  if (n === null) return null;
  const idx = Number(n);
  if (a instanceof StoredExpression) return then(a.evaluate(scope), (x) => index(x, i, scope));
  if (a instanceof Lazy) return then(a.force(), (x) => index(x, i, scope));
  if (typeof a === 'string' || a instanceof VBytes) {
    if (typeof a === 'string' && isAscii(a)) {
      const k = idx < 0 ? a.length + idx : idx;
      return k >= 0 && k < a.length ? a.charCodeAt(k) : null;
    }
    const b = stringBytes(a);
    const k = idx < 0 ? b.length + idx : idx;
    return k >= 0 && k < b.length ? b[k]! : null;
  }
  if (Array.isArray(a)) {
    const k = idx < 0 ? a.length + idx : idx;
    return k >= 0 && k < a.length ? a[k] : null;
  }
  if (a instanceof MaterializedQuery) {
    const k = idx < 0 ? a.rows.length + idx : idx;
    return k >= 0 && k < a.rows.length ? a.rows[k] : null;
  }
  if (isLazyQuery(a)) {
    if (idx < 0) return null;
    return firstRows(a, scope, idx + 1).then((rows) => (idx < rows.length ? rows[idx] : null));
  }
  // Host values indexed by position (a path's components: OSPath[-2]), as they slice below.
  if (isHostObject(a) && typeof (a as { at?: unknown }).at === 'function') {
    return (a as unknown as { at(i: number): Value | undefined }).at(idx) ?? null;
  }
  return null;
}

/** Python-like bounds (SPEC 9.9). */
function bounds(len: number, start: number | null, end: number | null): [number, number] {
  let s = start ?? 0;
  if (s < 0) s = Math.max(0, len + s);
  let e = end ?? len;
  if (e < 0) e = Math.max(0, len + e);
  if (e > len) e = len;
  return [s, e];
}

/** `a[i:j]`. */
export function slice(a: Value, i: Value | undefined, j: Value | undefined, scope: Scope): MaybePromise<Value> {
  const s = i === undefined ? null : toInt(i);
  const e = j === undefined ? null : toInt(j);
  if ((i !== undefined && s === null) || (j !== undefined && e === null)) return null;
  const sn = s === null ? null : Number(s);
  const en = e === null ? null : Number(e);
  if (a instanceof StoredExpression) return then(a.evaluate(scope), (x) => slice(x, i, j, scope));
  if (a instanceof Lazy) return then(a.force(), (x) => slice(x, i, j, scope));
  if (typeof a === 'string' && isAscii(a)) {
    const [x, y] = bounds(a.length, sn, en);
    return y <= x ? '' : a.slice(x, y);
  }
  if (isString(a)) {
    const b = stringBytes(a);
    const [x, y] = bounds(byteLength(a), sn, en);
    return y <= x ? '' : bytesToValue(b.slice(x, y));
  }
  if (Array.isArray(a)) {
    const [x, y] = bounds(a.length, sn, en);
    return y <= x ? [] : a.slice(x, y);
  }
  if (a instanceof MaterializedQuery) {
    const [x, y] = bounds(a.rows.length, sn, en);
    return y <= x ? [] : a.rows.slice(x, y);
  }
  // Host values that slice themselves (a path's components: OSPath[:-1]).
  if (isHostObject(a) && typeof (a as { slice?: unknown }).slice === 'function') {
    return (a as unknown as { slice(s?: number, e?: number): Value }).slice(sn ?? undefined, en ?? undefined);
  }
  return null;
}
