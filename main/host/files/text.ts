/**
 * The text of a value, as Velociraptor's string functions see it: strings as they are, byte
 * strings decoded, host values that print as text (OSPath, FileMode) by their text, and
 * everything else in Go's `%v` form.
 */
import { VBytes, VDict, VTime, isHostObject, type Value } from '../../vql/index.ts';
import { goText } from '../../vql/values/gofmt.ts';
import { bytesToValue } from '../../vql/values/kinds.ts';

/** A host object that prints as text (OSPath, FileMode: it has toJSON giving its text). */
export function printsAsText(v: Value): v is { toString(): string } {
  return isHostObject(v) && typeof (v as { toJSON?: unknown }).toJSON === 'function' && !(v instanceof VDict) && !(v instanceof VTime);
}

/** The text of `v` as a JS string (invalid UTF-8 bytes become U+FFFD); NULL is ''. */
export function textOf(v: Value): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (v instanceof VBytes) return new TextDecoder().decode(v.bytes);
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  if (printsAsText(v)) return v.toString();
  return goText(v);
}

/** Like textOf but keeps byte strings as bytes (a VQL string value). */
export function stringValue(v: Value): string | VBytes {
  if (v instanceof VBytes) return v;
  if (v instanceof Uint8Array) return bytesToValue(v);
  return textOf(v);
}

/** The bytes of a value's text (byte strings as they are). */
export function textBytes(v: Value): Uint8Array {
  if (v instanceof VBytes) return v.bytes;
  if (v instanceof Uint8Array) return v;
  return new TextEncoder().encode(textOf(v));
}
