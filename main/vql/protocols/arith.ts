/**
 * Arithmetic `+ - * /` (SPEC 9.8). Ints wrap at 64 bits; `/` always gives a float; an
 * unsupported combination gives null. `+` over query objects concatenates their rows and so
 * may be asynchronous.
 */
import { VBytes, makeFloat, normInt, type Value } from '../values/types.ts';
import { findHandler } from './dispatch.ts';
import { byteLength, isFloat, isInt, isIntLike, isNumeric, isString, stringBytes, toBigInt, toNumber } from '../values/kinds.ts';
import { collectRows, isQuery } from '../eval/query-values.ts';
import type { Scope } from '../eval/scope.ts';
import type { MaybePromise } from '../eval/maybe.ts';

/** The longest string `+` and `*` may build (SPEC 9.8). */
export const MAX_STRING_BYTES = 100_000_000;

function intAdd(a: number | bigint, b: number | bigint): number | bigint {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a + b;
    if (Number.isSafeInteger(r)) return r;
  }
  return normInt(BigInt(a) + BigInt(b));
}

function intSub(a: bigint | number, b: bigint | number): number | bigint {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a - b;
    if (Number.isSafeInteger(r)) return r;
  }
  return normInt(BigInt(a) - BigInt(b));
}

function intMul(a: bigint | number, b: bigint | number): number | bigint {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a * b;
    if (Number.isSafeInteger(r)) return r;
  }
  return normInt(BigInt(a) * BigInt(b));
}

/** int-like → number|bigint (bools as 0/1). */
function intOf(v: Value): number | bigint {
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v as number | bigint;
}

export function add(a: Value, b: Value, scope: Scope): MaybePromise<Value> {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isInteger(a) && Number.isInteger(b)) return intAdd(a, b);
    return makeFloat(a + b);
  }
  if (isString(a)) {
    if (isString(b)) {
      if (byteLength(a) + byteLength(b) > MAX_STRING_BYTES) {
        scope.log('error', 'String too long in addition');
        return null;
      }
      if (typeof a === 'string' && typeof b === 'string') return a + b;
      const x = stringBytes(a);
      const y = stringBytes(b);
      const out = new Uint8Array(x.length + y.length);
      out.set(x);
      out.set(y, x.length);
      return new VBytes(out);
    }
    return addFallback(a, b, scope);
  }
  if (a === null || a === undefined) return null;
  if (isInt(a)) {
    if (isInt(b)) return intAdd(a, b);
    if (isFloat(b)) return makeFloat(toNumber(a) + toNumber(b));
    return addFallback(a, b, scope);
  }
  if (isFloat(a)) {
    if (isNumeric(b)) return makeFloat(toNumber(a) + toNumber(b));
    return addFallback(a, b, scope);
  }
  return addFallback(a, b, scope);
}

function addFallback(a: Value, b: Value, scope: Scope): MaybePromise<Value> {
  const h = findHandler(scope.env.registry.protocols.add, a, b);
  if (h) return h.apply(a, b, scope);
  if (isQuery(a) && isQuery(b)) {
    return Promise.all([collectRows(a, scope), collectRows(b, scope)]).then(([x, y]) => x.concat(y));
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    const left = asList(a, scope);
    const right = asList(b, scope);
    if (left instanceof Promise || right instanceof Promise) {
      return Promise.all([left, right]).then(([x, y]) => x.concat(y));
    }
    return left.concat(right);
  }
  if ((isQuery(a) && Array.isArray(b)) || (Array.isArray(a) && isQuery(b))) return null;
  return null;
}

function asList(v: Value, scope: Scope): MaybePromise<Value[]> {
  if (Array.isArray(v)) return v;
  if (isQuery(v)) return collectRows(v, scope);
  return [v];
}

export function sub(a: Value, b: Value): Value {
  if (typeof a === 'number' && typeof b === 'number' && Number.isInteger(a) && Number.isInteger(b)) return intSub(a, b);
  if (a === null || a === undefined) return null;
  if (isFloat(a) && isNumeric(b)) return makeFloat(toNumber(a) - toNumber(b));
  if (b === null || b === undefined) return null;
  if (isFloat(b) && isNumeric(a)) return makeFloat(toNumber(a) - toNumber(b));
  if (isIntLike(a) && isIntLike(b)) return intSub(intOf(a), intOf(b));
  return null;
}

export function mul(a: Value, b: Value, scope: Scope): Value {
  if (typeof a === 'number' && typeof b === 'number' && Number.isInteger(a) && Number.isInteger(b)) return intMul(a, b);
  if (a === null || a === undefined) return null;
  if (isString(a)) {
    const n = toBigInt(b);
    if (n === null) return null;
    const len = byteLength(a);
    if (n < 0n || BigInt(len) * n > BigInt(MAX_STRING_BYTES)) {
      scope.log('error', 'String too long in multiplication');
      return null;
    }
    if (typeof a === 'string') return a.repeat(Number(n));
    const out = new Uint8Array(len * Number(n));
    for (let i = 0; i < Number(n); i++) out.set(a.bytes, i * len);
    return new VBytes(out);
  }
  if (isFloat(a) && isNumeric(b)) return makeFloat(toNumber(a) * toNumber(b));
  if (b === null || b === undefined) return null;
  if (isFloat(b) && isNumeric(a)) return makeFloat(toNumber(a) * toNumber(b));
  if (isIntLike(a) && isIntLike(b)) return intMul(intOf(a), intOf(b));
  return null;
}

export function div(a: Value, b: Value): Value {
  if (a === null || a === undefined) return null;
  if (isFloat(a) && isNumeric(b)) {
    const d = toNumber(b);
    return d === 0 ? null : makeFloat(toNumber(a) / d);
  }
  if (b === null || b === undefined) return null;
  if (isFloat(b) && isNumeric(a)) {
    // Quirk: the reference checks the wrong operand for zero (SPEC 9.8 step 4).
    const n = toNumber(a);
    return n === 0 ? null : makeFloat(n / toNumber(b));
  }
  if (isIntLike(a) && isIntLike(b)) {
    const d = toNumber(b);
    return d === 0 ? null : makeFloat(toNumber(a) / d);
  }
  return null;
}
