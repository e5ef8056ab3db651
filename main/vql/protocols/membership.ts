/**
 * `a IN b` (SPEC 9.10).
 */
import { VDict, type Value } from '../values/types.ts';
import { isString, stringBytes } from '../values/kinds.ts';
import { eq } from './eq.ts';

export function isIn(a: Value, b: Value): boolean {
  if (b === null || b === undefined) return false;
  if (b instanceof VDict) return typeof a === 'string' ? b.has(a) : false;
  if (isString(b)) {
    if (!isString(a)) return false;
    if (typeof a === 'string' && typeof b === 'string') return b.includes(a);
    return bytesIncludes(stringBytes(b), stringBytes(a));
  }
  if (Array.isArray(b)) {
    for (const e of b) if (eq(a, e)) return true;
    return false;
  }
  return false;
}

function bytesIncludes(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}
