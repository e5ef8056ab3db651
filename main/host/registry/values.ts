/**
 * Registry value data as VQL values, as Velociraptor's registry accessors give them: the type
 * name without its `REG_` prefix, and the data decoded by type.
 */
import { normUint, type Value } from '../../vql/index.ts';
import { bytesToValue } from '../../vql/values/kinds.ts';
import { VALUE_TYPES, utf16 } from './hive.ts';

/** The type name (`SZ`, `DWORD`...; `UNKNOWN` for a type number Windows does not define). */
export function typeName(type: number): string {
  return VALUE_TYPES[type] ?? 'UNKNOWN';
}

/** UTF-16LE text with its trailing NULs dropped. */
function text(b: Uint8Array): string {
  return utf16(b).replace(/\0+$/, '');
}

/**
 * An unsigned little-endian integer of up to 8 bytes (missing bytes are zero): a number, or a
 * bigint past 2^53 (kept unsigned, as Go's uint64 prints: not wrapped to a negative int64).
 */
function uintLE(b: Uint8Array, n: number): number | bigint {
  let v = 0n;
  for (let i = Math.min(n, b.length) - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return normUint(v);
}

/**
 * The decoded data: SZ, EXPAND_SZ and LINK text (UTF-16LE, trailing NULs dropped); DWORD,
 * DWORD_BIG_ENDIAN and QWORD numbers (shorter data is zero-extended); MULTI_SZ a list of
 * strings (the empty ones at the end dropped); anything else (BINARY, NONE, the resource
 * lists, unknown types) the raw bytes as a byte string.
 */
export function decodeValue(type: number, b: Uint8Array): Value {
  switch (type) {
    case 1: case 2: case 6:
      return text(b);
    case 4:
      return uintLE(b, 4);
    case 5: {
      const four = new Uint8Array(4);
      four.set(b.subarray(0, 4));
      return new DataView(four.buffer).getUint32(0, false);
    }
    case 11:
      return uintLE(b, 8);
    case 7: {
      const parts = utf16(b).split('\0');
      while (parts.length && parts[parts.length - 1] === '') parts.pop();
      return parts;
    }
    default:
      return bytesToValue(b.slice());
  }
}
