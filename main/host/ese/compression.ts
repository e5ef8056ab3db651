/**
 * The compressed values of ESE (Windows 7 and later): the first byte of a compressed value
 * says how, in its upper 5 bits (libesedb's compression.c, ESE's compression.cxx):
 *
 * - 1: 7-bit ASCII: 7-bit characters packed little-endian; the lower 3 bits of the first byte
 *   are the number of bits used in the last byte, less one;
 * - 2: 7-bit Unicode: the same packing, each 7-bit value a UTF-16 code unit;
 * - 3: LZXPRESS (MS-XCA "plain LZ77", no Huffman): a 16-bit uncompressed size, then the data;
 * - others (Windows 10's XPRESS9/XPRESS10 of long values, 4 to 6): not supported, an error.
 */

export class EseCompressionError extends Error {}

export const COMPRESS_7BIT_ASCII = 1;
export const COMPRESS_7BIT_UNICODE = 2;
export const COMPRESS_XPRESS = 3;

/** The compression of `data` as ESE marks it (its first byte's upper 5 bits), 0 when none applies. */
export function compressionType(data: Uint8Array): number {
  return data.length === 0 ? 0 : data[0]! >> 3;
}

/** Unpacks 7-bit values; `unicode` makes each one a UTF-16LE code unit (2 bytes). */
function unpack7(data: Uint8Array, unicode: boolean): Uint8Array {
  if (data.length < 2) return new Uint8Array(0);
  const usedLast = (data[0]! & 7) + 1;
  const bits = (data.length - 2) * 8 + usedLast;
  const count = Math.floor(bits / 7);
  const out = new Uint8Array(unicode ? count * 2 : count);
  let acc = 0;
  let have = 0;
  let n = 0;
  for (let i = 1; i < data.length && n < count; i++) {
    acc |= data[i]! << have;
    have += 8;
    while (have >= 7 && n < count) {
      const c = acc & 0x7f;
      acc >>>= 7;
      have -= 7;
      if (unicode) out[2 * n] = c;
      else out[n] = c;
      n++;
    }
  }
  return out;
}

/** MS-XCA plain LZ77 (LZXPRESS) decompression of `data` into at most `size` bytes. */
export function lzxpressDecompress(data: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let o = 0;
  let i = 0;
  let nibble = -1; // position of a half-used length byte
  const u16 = (p: number) => data[p]! | (data[p + 1]! << 8);
  const need = (n: number) => {
    if (i + n > data.length) throw new EseCompressionError(`LZXPRESS data ends early at byte ${i} of ${data.length}`);
  };
  while (o < size) {
    need(4);
    const flags = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) >>> 0;
    i += 4;
    for (let bit = 31; bit >= 0 && o < size; bit--) {
      if (((flags >>> bit) & 1) === 0) {
        need(1);
        out[o++] = data[i++]!;
        continue;
      }
      if (i >= data.length) return out.subarray(0, o); // the end marker's match may be absent
      need(2);
      const m = u16(i);
      i += 2;
      const offset = (m >> 3) + 1;
      let length = m & 7;
      if (length === 7) {
        if (nibble < 0) {
          need(1);
          nibble = i;
          length = data[i++]! & 0x0f;
        } else {
          length = data[nibble]! >> 4;
          nibble = -1;
        }
        if (length === 15) {
          need(1);
          length = data[i++]!;
          if (length === 255) {
            need(2);
            length = u16(i);
            i += 2;
            if (length === 0) {
              need(4);
              length = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) >>> 0;
              i += 4;
            }
            if (length < 15 + 7) throw new EseCompressionError(`LZXPRESS match length ${length} is invalid at byte ${i}`);
            length -= 15 + 7;
          }
          length += 15;
        }
        length += 7;
      }
      length += 3;
      if (offset > o) throw new EseCompressionError(`LZXPRESS match reaches ${offset} bytes back from output byte ${o}`);
      for (let k = 0; k < length && o < size; k++, o++) out[o] = out[o - offset]!;
    }
  }
  return out;
}

/**
 * The uncompressed bytes of a compressed value: 7-bit Unicode gives UTF-16LE, 7-bit ASCII one
 * byte per character, or UTF-16LE when `wide` (the value of a codepage 1200 column).
 */
export function decompressValue(data: Uint8Array, wide = false): Uint8Array {
  const type = compressionType(data);
  switch (type) {
    case COMPRESS_7BIT_ASCII:
      return unpack7(data, wide);
    case COMPRESS_7BIT_UNICODE:
      return unpack7(data, true);
    case COMPRESS_XPRESS: {
      if (data.length < 3) throw new EseCompressionError('LZXPRESS value shorter than its 3-byte header');
      return lzxpressDecompress(data.subarray(3), data[1]! | (data[2]! << 8));
    }
    default:
      throw new EseCompressionError(`compression type ${type} (first byte 0x${data[0]!.toString(16).padStart(2, '0')}) is not supported (only 7-bit ASCII, 7-bit Unicode and LZXPRESS are)`);
  }
}
