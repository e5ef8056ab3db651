/**
 * Writes zip files byte by byte for the hostile-pack tests: every header field can be set to a
 * lie (sizes, checksum, flags, method, offsets, counts), names can hold any bytes, and the
 * archive comment can hide a second end record. fflate writes only honest zips.
 */
import { deflateSync } from 'fflate';

export interface CraftEntry {
  /** The name as text (UTF-8) or raw bytes. */
  readonly name: string | Uint8Array;
  /** The uncompressed content. */
  readonly data?: Uint8Array | string;
  /** 8 deflate (default), 0 stored, or any other number (the data is then stored as given). */
  readonly method?: number;
  readonly flags?: number;
  /** Overrides of the central directory's fields. */
  readonly crc?: number;
  readonly size?: number;
  readonly compressedSize?: number;
  /** Overrides the local header's offset in the central record. */
  readonly localOffset?: number;
  /** Extra field bytes in the central record (zip64 and such). */
  readonly extra?: Uint8Array;
  /** Unix mode in the external attributes (e.g. 0o120777 for a symbolic link). */
  readonly unixMode?: number;
  /** Compressed bytes to use instead of deflating `data`. */
  readonly raw?: Uint8Array;
}

export interface CraftOptions {
  readonly comment?: Uint8Array | string;
  /** Overrides of the end record's entry count and central directory offset. */
  readonly count?: number;
  readonly cdOffset?: number;
}

const enc = new TextEncoder();
const bytesOf = (x: Uint8Array | string | undefined) => (typeof x === 'string' ? enc.encode(x) : x ?? new Uint8Array(0));

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 as zip uses it. */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

class Writer {
  private parts: Uint8Array[] = [];
  length = 0;
  bytes(b: Uint8Array): void {
    this.parts.push(b);
    this.length += b.length;
  }
  u16(v: number): void {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v, true);
    this.bytes(b);
  }
  u32(v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    this.bytes(b);
  }
  done(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

/** A zip of `entries`, honest except where an entry or the options say otherwise. */
export function craftZip(entries: readonly CraftEntry[], opts: CraftOptions = {}): Uint8Array {
  const w = new Writer();
  const central: Array<{ e: CraftEntry; name: Uint8Array; method: number; crc: number; size: number; csize: number; offset: number }> = [];
  for (const e of entries) {
    const name = bytesOf(e.name);
    const data = bytesOf(e.data);
    const method = e.method ?? 8;
    const body = e.raw ?? (method === 8 ? deflateSync(data) : data);
    const crc = e.crc ?? crc32(data);
    const size = e.size ?? data.length;
    const csize = e.compressedSize ?? body.length;
    const offset = w.length;
    w.u32(0x04034b50);
    w.u16(20);
    w.u16(e.flags ?? 0);
    w.u16(method);
    w.u16(0);
    w.u16(0x21);
    w.u32(crc);
    w.u32(csize);
    w.u32(size);
    w.u16(name.length);
    w.u16(0);
    w.bytes(name);
    w.bytes(body);
    central.push({ e, name, method, crc, size, csize, offset });
  }
  const cdStart = w.length;
  for (const c of central) {
    const extra = c.e.extra ?? new Uint8Array(0);
    w.u32(0x02014b50);
    w.u16(c.e.unixMode !== undefined ? 0x031e : 20);
    w.u16(20);
    w.u16(c.e.flags ?? 0);
    w.u16(c.method);
    w.u16(0);
    w.u16(0x21);
    w.u32(c.crc);
    w.u32(c.csize);
    w.u32(c.size);
    w.u16(c.name.length);
    w.u16(extra.length);
    w.u16(0);
    w.u16(0);
    w.u16(0);
    w.u32(c.e.unixMode !== undefined ? (c.e.unixMode << 16) >>> 0 : 0);
    w.u32(c.e.localOffset ?? c.offset);
    w.bytes(c.name);
    w.bytes(extra);
  }
  const cdSize = w.length - cdStart;
  const comment = bytesOf(opts.comment);
  w.u32(0x06054b50);
  w.u16(0);
  w.u16(0);
  w.u16(opts.count ?? central.length);
  w.u16(opts.count ?? central.length);
  w.u32(cdSize);
  w.u32(opts.cdOffset ?? cdStart);
  w.u16(comment.length);
  w.bytes(comment);
  return w.done();
}

/** An end-of-central-directory record alone (to hide in a comment). */
export function endRecord(count: number, cdSize: number, cdOffset: number): Uint8Array {
  const w = new Writer();
  w.u32(0x06054b50);
  w.u16(0);
  w.u16(0);
  w.u16(count);
  w.u16(count);
  w.u32(cdSize);
  w.u32(cdOffset);
  w.u16(0);
  return w.done();
}
