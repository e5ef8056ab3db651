/**
 * BinXml value types (MS-EVEN6 2.2.13 / libyal's EVTX notes): how the bytes of a substitution
 * value or of a value token become a VQL value, as golang/evtx renders them in its JSON.
 *
 * - integers stay numbers (a uint64 above int64 stays exact, as a big integer), floats numbers,
 *   booleans booleans; HexInt32/HexInt64 and SizeT are numbers too (Windows's XML shows them as
 *   `0x...` text);
 * - FILETIME and SYSTEMTIME are epoch seconds as a float (`TimeCreated.SystemTime`);
 * - a SID is `S-1-5-...` text, a GUID `{XXXXXXXX-XXXX-...}` text (upper case, as Windows's XML);
 * - binary is upper-case hex text (as Windows's XML shows it);
 * - strings are UTF-16LE (ANSI strings UTF-8) without their trailing NULs;
 * - an array type (0x80 | type) is a list of its items;
 * - BinXml (0x21) is an embedded fragment, parsed by the caller (binxml.ts).
 */
import { makeFloat, normInt, normUint } from '../../../vql/index.ts';
import { EvtxFormatError, filetimeSeconds } from './format.ts';

export const T_NULL = 0x00;
export const T_STRING = 0x01;
export const T_ANSI = 0x02;
export const T_BINARY = 0x0e;
export const T_GUID = 0x0f;
export const T_SIZET = 0x10;
export const T_FILETIME = 0x11;
export const T_SYSTEMTIME = 0x12;
export const T_SID = 0x13;
export const T_BINXML = 0x21;
export const T_ARRAY = 0x80;

/** The size of the types that have a fixed one (the others carry theirs). */
const FIXED: Record<number, number> = {
  0x03: 1, 0x04: 1, 0x05: 2, 0x06: 2, 0x07: 4, 0x08: 4, 0x09: 8, 0x0a: 8,
  0x0b: 4, 0x0c: 8, 0x0d: 4, 0x0f: 16, 0x11: 8, 0x12: 16, 0x14: 4, 0x15: 8,
};

/** The fixed size of a type, or undefined when its size varies. */
export function fixedSize(type: number): number | undefined {
  return FIXED[type];
}


/** UTF-16LE text of `b[start, end)` (an odd last byte is dropped). */
export function utf16(b: Uint8Array, start: number, end: number): string {
  const n = (end - start) >> 1;
  if (n < 64) {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(b[start + 2 * i]! | (b[start + 2 * i + 1]! << 8));
    return s;
  }
  return Buffer.from(b.buffer, b.byteOffset + start, n * 2).toString('utf16le');
}

function stripNuls(s: string): string {
  let e = s.length;
  while (e > 0 && s.charCodeAt(e - 1) === 0) e--;
  return e === s.length ? s : s.slice(0, e);
}

/** Upper-case hex of each byte value. */
const HEX = Array.from({ length: 256 }, (_, n) => n.toString(16).toUpperCase().padStart(2, '0'));

/** A GUID as Windows writes it: `{00112233-4455-6677-8899-AABBCCDDEEFF}`. */
export function guidText(b: Uint8Array, at: number): string {
  const h = (i: number) => HEX[b[at + i]!]!;
  return `{${h(3)}${h(2)}${h(1)}${h(0)}-${h(5)}${h(4)}-${h(7)}${h(6)}-${h(8)}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}}`;
}

/** A SID as `S-<revision>-<authority>-<sub>...`. */
export function sidText(b: Uint8Array, at: number, size: number): string {
  if (size < 8) throw new EvtxFormatError(`SID value of ${size} bytes (8 at least)`);
  const count = b[at + 1]!;
  if (8 + 4 * count > size) throw new EvtxFormatError(`SID with ${count} sub-authorities in ${size} bytes`);
  let authority = 0;
  for (let i = 2; i < 8; i++) authority = authority * 256 + b[at + i]!;
  let s = `S-${b[at]}-${authority}`;
  for (let i = 0; i < count; i++) {
    const p = at + 8 + 4 * i;
    s += `-${(b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) + b[p + 3]! * 0x1000000}`;
  }
  return s;
}

/** SYSTEMTIME (year, month, weekday, day, hour, minute, second, milliseconds) as epoch seconds. */
function systemtimeSeconds(v: DataView, at: number): number {
  const g = (i: number) => v.getUint16(at + 2 * i, true);
  if (g(0) === 0) return 0;
  return Date.UTC(g(0), g(1) - 1, g(3), g(4), g(5), g(6), g(7)) / 1000;
}

/** Upper-case hex of `b[start, end)`. */
function hexText(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('hex').toUpperCase();
}

/** A DataView over all of `b`. */
export function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * The value of a scalar (non-array, non-BinXml) type at `b[at, at + size)` (`v` views `b`).
 * Throws an EvtxFormatError for an unknown type or a size that does not fit it.
 */
export function scalarValue(b: Uint8Array, v: DataView, at: number, size: number, type: number): unknown {
  const need = FIXED[type];
  if (need !== undefined && size < need) throw new EvtxFormatError(`value of type 0x${type.toString(16)} needs ${need} bytes, has ${size}`);
  switch (type) {
    case T_NULL: return null;
    case T_STRING: return stripNuls(utf16(b, at, at + size));
    case T_ANSI: return stripNuls(Buffer.from(b.buffer, b.byteOffset + at, size).toString('utf8'));
    case 0x03: return v.getInt8(at);
    case 0x04: return v.getUint8(at);
    case 0x05: return v.getInt16(at, true);
    case 0x06: return v.getUint16(at, true);
    case 0x07: return v.getInt32(at, true);
    case 0x08: return v.getUint32(at, true);
    case 0x09: return normInt(v.getBigInt64(at, true));
    case 0x0a: return normUint(v.getBigUint64(at, true));
    case 0x0b: return makeFloat(v.getFloat32(at, true));
    case 0x0c: return makeFloat(v.getFloat64(at, true));
    case 0x0d: return v.getUint32(at, true) !== 0;
    case T_BINARY: return hexText(b, at, at + size);
    case T_GUID: return guidText(b, at);
    case T_SIZET: return size >= 8 ? normUint(v.getBigUint64(at, true)) : size >= 4 ? v.getUint32(at, true) : null;
    case T_FILETIME: return makeFloat(filetimeSeconds(v.getBigUint64(at, true)));
    case T_SYSTEMTIME: return makeFloat(systemtimeSeconds(v, at));
    case T_SID: return sidText(b, at, size);
    case 0x14: return v.getUint32(at, true);
    case 0x15: return normUint(v.getBigUint64(at, true));
    default: throw new EvtxFormatError(`unknown value type 0x${type.toString(16)}`);
  }
}

/**
 * An array value (type 0x80 | item type): strings are NUL-separated (a final empty string from
 * the last terminator is dropped), fixed-size items are cut at their size; other types give the
 * whole value as one item.
 */
export function arrayValue(b: Uint8Array, v: DataView, at: number, size: number, type: number): unknown[] {
  const item = type & 0x7f;
  if (item === T_STRING || item === T_ANSI) {
    const text = item === T_STRING ? utf16(b, at, at + size) : Buffer.from(b.buffer, b.byteOffset + at, size).toString('utf8');
    const parts = text.split('\0');
    if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
    return parts;
  }
  const n = FIXED[item];
  if (n === undefined) return [scalarValue(b, v, at, size, item)];
  const out: unknown[] = [];
  for (let p = at; p + n <= at + size; p += n) out.push(scalarValue(b, v, p, n, item));
  return out;
}
