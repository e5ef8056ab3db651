/**
 * LZ4 block decompression (the LZ4 block format, https://github.com/lz4/lz4/blob/dev/doc/lz4_Block_format.md),
 * for journal DATA objects compressed with LZ4: systemd stores the decompressed size as a
 * little-endian 64-bit value, then one LZ4 block (LZ4_compress_default). The format is small and
 * stable, so it is decoded here rather than through a package (the npm LZ4 packages are either
 * native builds or unmaintained frame-format libraries).
 */

/** Decodes one LZ4 block into exactly `size` bytes; throws on malformed input. */
export function lz4DecompressBlock(src: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let s = 0;
  let d = 0;
  const end = src.length;
  while (s < end) {
    const token = src[s++]!;
    let literals = token >>> 4;
    if (literals === 15) {
      let b: number;
      do {
        if (s >= end) throw new Error('LZ4: truncated literal length');
        b = src[s++]!;
        literals += b;
      } while (b === 255);
    }
    if (s + literals > end || d + literals > size) throw new Error('LZ4: literals run past the end');
    out.set(src.subarray(s, s + literals), d);
    s += literals;
    d += literals;
    if (s >= end) break; // the last sequence has literals only
    if (s + 2 > end) throw new Error('LZ4: truncated match offset');
    const offset = src[s]! | (src[s + 1]! << 8);
    s += 2;
    if (offset === 0 || offset > d) throw new Error(`LZ4: bad match offset ${offset}`);
    let match = (token & 15) + 4;
    if ((token & 15) === 15) {
      let b: number;
      do {
        if (s >= end) throw new Error('LZ4: truncated match length');
        b = src[s++]!;
        match += b;
      } while (b === 255);
    }
    if (d + match > size) throw new Error('LZ4: match runs past the decompressed size');
    let from = d - offset;
    if (offset >= match) {
      out.copyWithin(d, from, from + match);
      d += match;
    } else {
      // Overlapping copy (a repeated pattern): byte by byte.
      for (let i = 0; i < match; i++) out[d++] = out[from++]!;
    }
  }
  if (d !== size) throw new Error(`LZ4: ${d} bytes decompressed, ${size} expected`);
  return out;
}
