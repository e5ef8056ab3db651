/**
 * Equality `a = b` (SPEC 9.5). `!=` is its negation; `<>` is always false (handled by the caller).
 */
import { VDict, VTime, isHostObject, type Value } from '../values/types.ts';
import { isFloat, isInt, isNumeric, isString, stringsEqual, toBigInt, toNumber } from '../values/kinds.ts';
import { isQuery } from '../eval/query-values.ts';
import { findHandler } from './dispatch.ts';
import type { Scope } from '../eval/scope.ts';

/** `a = b`; `scope` gives access to host protocol handlers for object operands (SPEC 17). */
export function eq(a: Value, b: Value, scope?: Scope): boolean {
  if (scope && (typeof a === 'object' || typeof b === 'object') && a !== null && scope.env.registry.protocols.eq.length) {
    const h = findHandler(scope.env.registry.protocols.eq, a, b);
    if (h) return h.apply(a, b, scope) === true;
  }
  if (a === null || a === undefined) return b === null || b === undefined;
  if (typeof a === 'string' || isString(a)) {
    if (isString(b)) return stringsEqual(a as string, b);
    return fallback(a, b);
  }
  if (typeof a === 'number' && Number.isInteger(a)) {
    if (typeof b === 'number') return a === b;
    if (typeof b === 'boolean') return a === (b ? 1 : 0);
    if (typeof b === 'bigint' || isFloat(b)) return intEq(a, b);
    return false;
  }
  if (typeof a === 'bigint') {
    if (isNumeric(b)) return intEq(a, b);
    return false;
  }
  if (typeof a === 'boolean') {
    if (typeof b === 'boolean') return a === b;
    return fallback(a, b);
  }
  if (isFloat(a)) {
    if (isNumeric(b)) return toNumber(a) === toNumber(b);
    return fallback(a, b);
  }
  if (a instanceof VTime) {
    if (b instanceof VTime) return a.unixNano === b.unixNano;
    if (isInt(b) || isFloat(b)) return a.seconds === toNumber(b);
    return fallback(a, b);
  }
  return fallback(a, b);
}

function intEq(a: number | bigint, b: Value): boolean {
  if (isFloat(b)) return Number(a) === toNumber(b);
  const bb = toBigInt(b);
  return bb !== null && BigInt(a) === bb;
}

function fallback(a: Value, b: Value): boolean {
  // Rule 7: a bool against a number compares int64 values (floats truncated).
  if (isNumeric(a) && isNumeric(b)) {
    const x = toBigInt(a);
    const y = toBigInt(b);
    return x !== null && y !== null && x === y;
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!eq(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof VDict) {
    if (!(b instanceof VDict) || a.size !== b.size) return false;
    for (const [k, v] of a.entries()) {
      if (!b.has(k) || !eq(v, b.get(k))) return false;
    }
    return true;
  }
  if (isQuery(a) || isQuery(b)) return false;
  if (isHostObject(a) && a === b) return true;
  return false;
}
