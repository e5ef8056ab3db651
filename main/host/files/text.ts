/**
 * The text of a value, as Velociraptor's string functions see it: strings as they are, byte
 * strings decoded, host values that print as text (OSPath, FileMode) by their text, and
 * everything else in Go's `%v` form.
 */
import { VBytes, stringerText, type Value } from '../../vql/index.ts';
import { goText } from '../../vql/values/gofmt.ts';
import { bytesToValue } from '../../vql/values/kinds.ts';

/** The text of `v` as a JS string (invalid UTF-8 bytes become U+FFFD); NULL is ''. */
export function textOf(v: Value): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (v instanceof VBytes) return new TextDecoder().decode(v.bytes);
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  return stringerText(v) ?? goText(v);
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
