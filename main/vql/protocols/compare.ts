/**
 * Ordering: `a < b` (SPEC 9.6) and `a > b` (SPEC 9.7), quirks included. `<=` and `>=` are
 * composed by the caller as (a < b) OR (a = b).
 */
import { VTime, type Value } from '../values/types.ts';
import { compareStrings, isFloat, isInt, isIntLike, isNumeric, isString, toBigInt, toNumber } from '../values/kinds.ts';
import { eq } from './eq.ts';
import { findHandler } from './dispatch.ts';
import type { Scope } from '../eval/scope.ts';

function intLt(a: Value, b: Value): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a < b;
  if (typeof a === 'boolean' && typeof b === 'number') return (a ? 1 : 0) < b;
  if (typeof a === 'number' && typeof b === 'boolean') return a < (b ? 1 : 0);
  return (toBigInt(a) as bigint) < (toBigInt(b) as bigint);
}

/** Converts a value to epoch seconds for comparisons with times, or null. */
function timeSeconds(v: Value): number | null {
  if (v instanceof VTime) return v.seconds;
  if (isNumeric(v) && typeof v !== 'boolean') return toNumber(v);
  return null;
}

/** A registered handler's answer for object operands (SPEC 17), or undefined. */
function viaHandlers(op: 'lt' | 'gt', a: Value, b: Value, scope?: Scope): boolean | undefined {
  if (!scope || (typeof a !== 'object' && typeof b !== 'object')) return undefined;
  const list = scope.env.registry.protocols[op];
  if (list.length === 0) return undefined;
  const h = findHandler(list, a, b);
  return h ? h.apply(a, b, scope) === true : undefined;
}

export function lt(a: Value, b: Value, scope?: Scope): boolean {
  if (a === null || a === undefined) return false;
  const h = viaHandlers('lt', a, b, scope);
  if (h !== undefined) return h;
  if (isString(a)) {
    if (isString(b)) return compareStrings(a, b) < 0;
    return ltByB(a, b);
  }
  if (isIntLike(a)) {
    if (b instanceof VTime) return toNumber(a) < b.seconds;
    if (isIntLike(b)) return intLt(a, b);
    if (isFloat(b)) return toNumber(a) < toNumber(b);
    return false;
  }
  if (isFloat(a)) {
    if (isNumeric(b)) return toNumber(a) < toNumber(b);
    return ltByB(a, b);
  }
  if (a instanceof VTime) {
    const s = timeSeconds(b);
    if (b instanceof VTime) return a.unixNano < b.unixNano;
    if (s !== null) return a.seconds < s;
    return ltByB(a, b);
  }
  return ltByB(a, b);
}

/** Step 7 of SPEC 9.6: decided by b. */
function ltByB(a: Value, b: Value): boolean {
  if (b === null || b === undefined) return false;
  if (isInt(b)) return true;
  if (isFloat(b)) return isNumeric(a) ? toNumber(a) < toNumber(b) : false;
  if (b instanceof VTime) {
    const s = timeSeconds(a);
    return s !== null ? s < b.seconds : false;
  }
  return false;
}

export function gt(a: Value, b: Value, scope?: Scope): boolean {
  if (a === null || a === undefined) return false;
  const h = viaHandlers('gt', a, b, scope);
  if (h !== undefined) return h;
  if (isString(a)) {
    if (isString(b)) return compareStrings(a, b) > 0;
    return gtByB(a, b);
  }
  if (isInt(a)) {
    if (b instanceof VTime) return toNumber(a) > b.seconds;
    if (isInt(b)) return intLt(b, a);
    if (isFloat(b)) return toNumber(a) > toNumber(b);
    return false;
  }
  if (isFloat(a)) {
    if (isNumeric(b)) return toNumber(a) > toNumber(b);
    return gtByB(a, b);
  }
  if (a instanceof VTime) {
    if (b instanceof VTime) return a.unixNano > b.unixNano;
    const s = timeSeconds(b);
    if (s !== null) return a.seconds > s;
    return gtByB(a, b);
  }
  return gtByB(a, b);
}

/** Step 6 of SPEC 9.7: decided by b. */
function gtByB(a: Value, b: Value): boolean {
  if (b === null || b === undefined) return false;
  if (isInt(b)) {
    // NOT (b < a) AND NOT (b = a), under the integer rules: inverted for bools (quirk).
    return !lt(b, a) && !eq(b, a);
  }
  if (isFloat(b)) return isNumeric(a) ? toNumber(a) > toNumber(b) : false;
  if (b instanceof VTime) {
    const s = timeSeconds(a);
    return s !== null ? s > b.seconds : false;
  }
  return false;
}
