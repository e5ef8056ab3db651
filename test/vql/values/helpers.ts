// Shared helpers for the value tests.
import { VBytes, VDict, VFloat, VTime, type Value } from '../../../main/vql/values/types.ts';

/** A type-exact picture of a value: ints, floats, VFloats and dict key order all show. */
export function tagged(v: Value): unknown {
  if (typeof v === 'number') return Number.isInteger(v) ? { int: v } : { float: String(v) };
  if (typeof v === 'bigint') return { bigint: v.toString() };
  if (v instanceof VFloat) return { vfloat: String(v.value) };
  if (v instanceof VBytes) return { bytes: [...v.bytes] };
  if (v instanceof VTime) return { time: v.unixNano.toString() };
  if (v instanceof VDict) return { dict: [...v.entries()].map(([k, x]) => [k, tagged(x)]) };
  if (Array.isArray(v)) return v.map(tagged);
  return v;
}

/** A byte string from byte values. */
export function bytes(...b: number[]): VBytes {
  return new VBytes(new Uint8Array(b));
}
