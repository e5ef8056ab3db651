/**
 * Type tests and numeric conversions over the value model of types.ts.
 */
import { VBytes, VDict, VFloat, VTime, normInt } from './types.ts';

/** An int: an integral number or a bigint. Bools are not ints here. */
export function isInt(v: unknown): v is number | bigint {
  return typeof v === 'number' ? Number.isInteger(v) : typeof v === 'bigint';
}

/** A float: a non-integral number (NaN, Infinity included) or a VFloat. */
export function isFloat(v: unknown): v is number | VFloat {
  return typeof v === 'number' ? !Number.isInteger(v) : v instanceof VFloat;
}

/** An int or a bool ("int-like" in the SPEC). */
export function isIntLike(v: unknown): boolean {
  return typeof v === 'boolean' || isInt(v);
}

/** int, bool or float ("float-convertible"). */
export function isNumeric(v: unknown): boolean {
  return typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v instanceof VFloat;
}

/** A string value (JS string or byte string). */
export function isString(v: unknown): v is string | VBytes {
  return typeof v === 'string' || v instanceof VBytes;
}

/** The JS number of an int, bool or float. Callers check isNumeric first. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof VFloat) return v.value;
  return NaN;
}

/** The bigint of an int-like value, or a float truncated toward zero; null if not numeric. */
export function toBigInt(v: unknown): bigint | null {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'number') return Number.isFinite(v) ? BigInt(Math.trunc(v)) : null;
  if (v instanceof VFloat) return BigInt(Math.trunc(v.value));
  return null;
}

/**
 * The int (number or bigint) of a numeric value: bools give 0/1, floats are truncated.
 * Returns null for non-numeric values (and NaN / Infinity).
 */
export function toInt(v: unknown): number | bigint | null {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) return v;
    if (!Number.isFinite(v)) return null;
    const t = Math.trunc(v);
    return Number.isSafeInteger(t) ? t : normInt(BigInt(t));
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return v;
  if (v instanceof VFloat) return toInt(v.value);
  return null;
}

/** The UTF-8 bytes of a string value. */
export function stringBytes(v: string | VBytes): Uint8Array {
  if (typeof v !== 'string') return v.bytes;
  return ENCODER.encode(v);
}

const ENCODER = new TextEncoder();
// ignoreBOM: a leading EF BB BF is part of the value (unhex('efbbbf41') is 4 bytes), not a marker to drop.
const DECODER = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** True when `s` is pure ASCII (byte offsets equal UTF-16 offsets). */
export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Makes a string value from bytes: a JS string when valid UTF-8, else VBytes. */
export function bytesToValue(b: Uint8Array): string | VBytes {
  try {
    return DECODER.decode(b);
  } catch {
    return new VBytes(b);
  }
}

/** Byte length of a string value. */
export function byteLength(v: string | VBytes): number {
  if (typeof v !== 'string') return v.bytes.length;
  return isAscii(v) ? v.length : ENCODER.encode(v).length;
}

/** Bytewise comparison of two string values: -1, 0 or 1. */
export function compareStrings(a: string | VBytes, b: string | VBytes): number {
  if (typeof a === 'string' && typeof b === 'string') {
    // UTF-16 order equals UTF-8 byte order except for surrogate pairs vs U+E000..U+FFFF.
    if (isAscii(a) || isAscii(b)) return a < b ? -1 : a > b ? 1 : 0;
  }
  const x = stringBytes(a);
  const y = stringBytes(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  return x.length - y.length < 0 ? -1 : x.length > y.length ? 1 : 0;
}

/** Byte equality of two string values. */
export function stringsEqual(a: string | VBytes, b: string | VBytes): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a === b;
  return compareStrings(a, b) === 0;
}

export function isDict(v: unknown): v is VDict {
  return v instanceof VDict;
}

export function isTime(v: unknown): v is VTime {
  return v instanceof VTime;
}
