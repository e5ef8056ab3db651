/**
 * LZNT1 decompression (NTFS compressed attributes). A compression unit (16 clusters) is
 * stored as chunks of up to 4096 bytes, each with a 2-byte header: bits 0-11 the chunk size
 * minus 3, bit 15 set when the chunk is compressed. A compressed chunk is groups of a flag
 * byte and 8 tokens: a literal byte (flag bit 0) or a 2-byte back reference whose split
 * between offset and length bits depends on the position in the chunk.
 */
import { NtfsError } from './errors.ts';

const CHUNK = 4096;

/** Decompresses `src` into a buffer of `outSize` bytes (the unit size; missing bytes are zero). */
export function decompressLznt1(src: Uint8Array, outSize: number, where: string): Uint8Array {
  const out = new Uint8Array(outSize);
  let o = 0;
  let i = 0;
  while (i + 2 <= src.length && o < outSize) {
    const header = src[i]! | (src[i + 1]! << 8);
    if (header === 0) break;
    const size = (header & 0x0fff) + 3; // header included
    const end = Math.min(i + size, src.length);
    const chunkStart = o;
    i += 2;
    if ((header & 0x8000) === 0) {
      const n = Math.min(end - i, outSize - o, CHUNK);
      out.set(src.subarray(i, i + n), o);
      o += n;
      i = end;
      continue;
    }
    while (i < end && o < outSize) {
      const flags = src[i++]!;
      for (let bit = 0; bit < 8 && i < end && o < outSize; bit++) {
        if ((flags & (1 << bit)) === 0) {
          out[o++] = src[i++]!;
          continue;
        }
        if (i + 2 > end) throw new NtfsError(`LZNT1 back reference cut at byte ${i}`, where);
        const token = src[i]! | (src[i + 1]! << 8);
        i += 2;
        const pos = o - chunkStart;
        let lenBits = 12;
        for (let p = pos - 1; p >= 0x10; p >>= 1) lenBits--;
        const offset = (token >> lenBits) + 1;
        const length = (token & ((1 << lenBits) - 1)) + 3;
        if (offset > pos) throw new NtfsError(`LZNT1 back reference ${offset} before the chunk start (at ${pos})`, where);
        for (let k = 0; k < length && o < outSize; k++, o++) out[o] = out[o - offset]!;
      }
    }
    // A compressed chunk that decodes to less than 4096 bytes is the last one of the unit
    // only when it is followed by a 0 header; otherwise the rest of the 4 KiB is zeros.
    if (o - chunkStart < CHUNK && i < src.length && (src[i]! | (src[i + 1]! << 8)) !== 0) o = chunkStart + CHUNK;
    i = end;
  }
  return out;
}

/**
 * Compresses `data` as LZNT1 (used by the tests to make known vectors: a simple greedy
 * matcher, not Windows' exact output, but any valid LZNT1 stream decodes the same).
 */
export function compressLznt1(data: Uint8Array): Uint8Array {
  const parts: number[] = [];
  for (let c = 0; c < data.length; c += CHUNK) {
    const chunk = data.subarray(c, Math.min(c + CHUNK, data.length));
    const body: number[] = [];
    let p = 0;
    while (p < chunk.length) {
      const flagAt = body.length;
      body.push(0);
      for (let bit = 0; bit < 8 && p < chunk.length; bit++) {
        let lenBits = 12;
        for (let q = p - 1; q >= 0x10; q >>= 1) lenBits--;
        const maxLen = (1 << lenBits) - 1 + 3;
        const maxOff = 1 << (16 - lenBits);
        let bestLen = 0;
        let bestOff = 0;
        for (let off = 1; off <= Math.min(p, maxOff); off++) {
          let l = 0;
          while (l < maxLen && p + l < chunk.length && chunk[p + l] === chunk[p + l - off]) l++;
          if (l > bestLen) { bestLen = l; bestOff = off; }
        }
        if (bestLen >= 3) {
          const token = ((bestOff - 1) << lenBits) | (bestLen - 3);
          body.push(token & 0xff, token >> 8);
          body[flagAt]! |= 1 << bit;
          p += bestLen;
        } else body.push(chunk[p++]!);
      }
    }
    const h = 0xb000 | (body.length + 2 - 3);
    parts.push(h & 0xff, h >> 8, ...body);
  }
  return Uint8Array.from(parts);
}
