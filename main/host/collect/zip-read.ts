/**
 * Reading a zip through another accessor's file (a FileReader: random-access reads), for the
 * `zip` accessor. Only the central directory is held in memory; members are read on demand.
 * ZIP64 archives (members or archives past 4 GiB: large collection uploads) are read.
 *
 * Evidence is hostile, so nothing is believed:
 * - the directory is bounded (MAX_ENTRIES entries, MAX_DIRECTORY_BYTES bytes) before it is read;
 * - a deflated member never yields more than its declared size (a member that inflates past
 *   it is refused as damaged), so a "zip bomb" costs no more than the size glob showed for it;
 *   the bytes produced are counted and the CRC checked when the member has been read whole;
 * - names that would escape a folder (`..`, absolute, drive letters: the pack importer's
 *   zip-slip check, main/artifacts/pack-zip.ts `unsafeEntryName`) are reported; the accessor
 *   drops `..` and empty components, so no path it gives climbs out of the zip.
 */
import { crc32 } from 'node:zlib';
import { Inflate } from 'fflate';
import type { FileReader } from '../files/accessors.ts';
import { unsafeEntryName } from '../../artifacts/pack-zip.ts';

/** Entries of one zip at most (a collection of a whole disk's metadata stays well under). */
export const MAX_ENTRIES = 2_000_000;
/** Bytes of central directory at most. */
export const MAX_DIRECTORY_BYTES = 512 * 2 ** 20;

/** A zip cannot be read (not a zip, damaged, over a limit). */
export class ZipReadError extends Error {
  override readonly name = 'ZipReadError';
}

export interface ZipEntry {
  readonly name: string;
  readonly flags: number;
  readonly method: number;
  readonly crc: number;
  readonly compressed: number;
  readonly size: number;
  readonly localOffset: number;
  /** The modification time (extended timestamp, else the DOS date read as UTC), or null. */
  readonly mtime: Date | null;
}

export interface ZipDirectory {
  readonly entries: ZipEntry[];
  /** Names that would escape a folder if extracted, with why (zip-slip). */
  readonly unsafe: Array<{ name: string; why: string }>;
}

async function readExact(r: FileReader, offset: number, length: number, what: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let got = 0;
  while (got < length) {
    const b = await r.read(offset + got, Math.min(length - got, 1 << 24));
    if (b.length === 0) throw new ZipReadError(`${what} runs past the end of the file`);
    chunks.push(b);
    got += b.length;
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

const u64 = (v: DataView, at: number) => Number(v.getBigUint64(at, true));

function dosTime(date: number, time: number): Date | null {
  if (date === 0) return null;
  return new Date(Date.UTC(1980 + (date >> 9), ((date >> 5) & 15) - 1, date & 31, time >> 11, (time >> 5) & 63, (time & 31) * 2));
}

/** Finds the end of central directory record (and its ZIP64 form): [entries, size, offset]. */
async function endRecord(r: FileReader, fileSize: number): Promise<[number, number, number]> {
  const tailLen = Math.min(fileSize, 22 + 0xffff + 20);
  const tail = await readExact(r, fileSize - tailLen, tailLen, 'the end of the zip');
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipReadError('not a zip file (no end-of-central-directory record)');
  let count = view.getUint16(eocd + 10, true);
  let size = view.getUint32(eocd + 12, true);
  let offset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
    // ZIP64: the locator sits just before the record.
    if (eocd < 20 || view.getUint32(eocd - 20, true) !== 0x07064b50) throw new ZipReadError('damaged ZIP64 archive (no ZIP64 locator)');
    const at = u64(view, eocd - 20 + 8);
    const rec = await readExact(r, at, 56, 'the ZIP64 end record');
    const v = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
    if (v.getUint32(0, true) !== 0x06064b50) throw new ZipReadError('damaged ZIP64 archive (bad end record)');
    count = u64(v, 32);
    size = u64(v, 40);
    offset = u64(v, 48);
  }
  if (count > MAX_ENTRIES) throw new ZipReadError(`the zip has ${count} entries, more than the ${MAX_ENTRIES} this reader takes`);
  if (size > MAX_DIRECTORY_BYTES) throw new ZipReadError(`the zip's directory is ${size} bytes, more than the ${MAX_DIRECTORY_BYTES} this reader takes`);
  if (offset + size > fileSize) throw new ZipReadError('the zip\'s directory runs past the end of the file (a truncated zip?)');
  return [count, size, offset];
}

/** Applies the ZIP64 extra field and the extended timestamp of one entry. */
function extras(view: DataView, at: number, end: number, e: { size: number; compressed: number; localOffset: number; mtime: Date | null }): void {
  for (let p = at; p + 4 <= end; ) {
    const id = view.getUint16(p, true);
    const len = view.getUint16(p + 2, true);
    const body = p + 4;
    if (body + len > end) break;
    if (id === 0x0001) {
      let q = body;
      const take = () => {
        const v = q + 8 <= body + len ? u64(view, q) : null;
        q += 8;
        return v;
      };
      if (e.size === 0xffffffff) e.size = take() ?? e.size;
      if (e.compressed === 0xffffffff) e.compressed = take() ?? e.compressed;
      if (e.localOffset === 0xffffffff) e.localOffset = take() ?? e.localOffset;
    } else if (id === 0x5455 && len >= 5 && view.getUint8(body) & 1) {
      e.mtime = new Date(view.getUint32(body + 1, true) * 1000);
    }
    p = body + len;
  }
}

/** Reads the central directory of the zip in `r` (of `fileSize` bytes). */
export async function readZipDirectory(r: FileReader, fileSize: number): Promise<ZipDirectory> {
  const [count, size, offset] = await endRecord(r, fileSize);
  const cd = await readExact(r, offset, size, 'the zip\'s directory');
  const view = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const utf8 = new TextDecoder('utf-8');
  const entries: ZipEntry[] = [];
  const unsafe: ZipDirectory['unsafe'] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || view.getUint32(p, true) !== 0x02014b50) throw new ZipReadError(`the zip's directory is damaged at entry ${i + 1}`);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    if (p + 46 + nameLen + extraLen > cd.length) throw new ZipReadError(`the zip's directory is damaged at entry ${i + 1}`);
    const name = utf8.decode(cd.subarray(p + 46, p + 46 + nameLen));
    const e = {
      name,
      flags: view.getUint16(p + 8, true),
      method: view.getUint16(p + 10, true),
      crc: view.getUint32(p + 16, true),
      compressed: view.getUint32(p + 20, true),
      size: view.getUint32(p + 24, true),
      localOffset: view.getUint32(p + 42, true),
      mtime: dosTime(view.getUint16(p + 14, true), view.getUint16(p + 12, true)),
    };
    extras(view, p + 46 + nameLen, p + 46 + nameLen + extraLen, e);
    const why = unsafeEntryName(name);
    if (why) unsafe.push({ name, why });
    entries.push(e);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return { entries, unsafe };
}

/** Where an entry's data starts (after its local header). */
async function dataStart(r: FileReader, e: ZipEntry): Promise<number> {
  const h = await readExact(r, e.localOffset, 30, `entry '${e.name}'`);
  const v = new DataView(h.buffer, h.byteOffset, h.byteLength);
  if (v.getUint32(0, true) !== 0x04034b50) throw new ZipReadError(`entry '${e.name}': damaged local header`);
  return e.localOffset + 30 + v.getUint16(26, true) + v.getUint16(28, true);
}

/** Why an entry cannot be read here, or undefined. */
export function unreadable(e: ZipEntry): string | undefined {
  if (e.flags & 1) return `entry '${e.name}' is encrypted: encrypted zips are not supported (extract it with its password first)`;
  if (e.method !== 0 && e.method !== 8) return `entry '${e.name}' uses compression method ${e.method}: only stored and deflated entries are supported`;
  return undefined;
}

/**
 * A reader of one member. Stored members are read in place. Deflated ones are inflated as
 * they are read front to back; a read behind the current position starts again from the
 * beginning (readers that jump around, such as a zip inside a zip, should expect that).
 * `zip`'s delegate reader `r` is closed with this reader.
 */
export async function openZipEntry(r: FileReader, e: ZipEntry): Promise<FileReader> {
  const why = unreadable(e);
  if (why) throw new ZipReadError(why);
  const start = await dataStart(r, e);
  if (start + e.compressed > (r.size ?? Infinity)) throw new ZipReadError(`entry '${e.name}' runs past the end of the zip (a truncated zip?)`);
  if (e.method === 0) {
    if (e.compressed !== e.size) throw new ZipReadError(`entry '${e.name}' is damaged (stored, but its sizes differ)`);
    return {
      size: e.size,
      read: async (offset, length) => {
        const end = Math.min(offset + length, e.size);
        return end > offset ? r.read(start + offset, end - offset) : new Uint8Array(0);
      },
      close: () => r.close(),
    };
  }
  return new InflatingReader(r, e, start);
}

/**
 * Bytes of compressed input per inflation step: one step makes at most ~16 MiB of output
 * (deflate's ratio is at most ~1032), and never more than the member's declared size.
 */
const STEP = 16384;
/** Bytes of compressed input read from the zip at a time. */
const READ_AHEAD = 256 * 1024;

class InflatingReader implements FileReader {
  readonly size: number;
  private inflater!: Inflate;
  /** Compressed bytes consumed (pushed into the inflater). */
  private inPos = 0;
  /** Compressed bytes read ahead, and how many of them are consumed. */
  private inBuf: Uint8Array = new Uint8Array(0);
  private inAt = 0;
  /** Position in the member of the first buffered byte. */
  private outPos = 0;
  private crc = 0;
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private ended = false;

  constructor(private readonly r: FileReader, private readonly e: ZipEntry, private readonly start: number) {
    this.size = e.size;
    this.restart();
  }

  private restart(): void {
    this.inPos = 0;
    this.inBuf = new Uint8Array(0);
    this.inAt = 0;
    this.outPos = 0;
    this.crc = 0;
    this.chunks = [];
    this.buffered = 0;
    this.ended = false;
    this.inflater = new Inflate((chunk) => {
      if (this.outPos + this.buffered + chunk.length > this.e.size) {
        throw new ZipReadError(`entry '${this.e.name}' inflates to more than its declared ${this.e.size} bytes: the zip is damaged or hostile`);
      }
      this.crc = crc32(chunk, this.crc);
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    });
  }

  /**
   * Inflates until `want` bytes are buffered or the member ends, one small step at a time.
   * Once the last compressed byte is in, the size and the CRC are checked.
   */
  private async fill(want: number): Promise<void> {
    while (this.buffered < want && !this.ended) {
      if (this.inPos < this.e.compressed) {
        if (this.inAt >= this.inBuf.length) {
          const n = Math.min(READ_AHEAD, this.e.compressed - this.inPos);
          this.inBuf = await this.r.read(this.start + this.inPos, n);
          this.inAt = 0;
          if (this.inBuf.length === 0) throw new ZipReadError(`entry '${this.e.name}' runs past the end of the zip`);
        }
        const step = this.inBuf.subarray(this.inAt, Math.min(this.inAt + STEP, this.inBuf.length));
        this.inAt += step.length;
        this.inPos += step.length;
        this.inflater.push(step, this.inPos >= this.e.compressed);
      }
      if (this.inPos >= this.e.compressed) {
        this.ended = true;
        const total = this.outPos + this.buffered;
        if (total !== this.e.size) throw new ZipReadError(`entry '${this.e.name}' is damaged (its header declares ${this.e.size} bytes, it holds ${total})`);
        if (this.crc !== this.e.crc) throw new ZipReadError(`entry '${this.e.name}' is damaged (its checksum does not match)`);
      }
    }
  }

  /** Drops `n` buffered bytes from the front. */
  private drop(n: number): void {
    let left = n;
    while (left > 0) {
      const c = this.chunks[0]!;
      if (c.length <= left) {
        this.chunks.shift();
        left -= c.length;
      } else {
        this.chunks[0] = c.subarray(left);
        left = 0;
      }
    }
    this.buffered -= n;
    this.outPos += n;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const end = Math.min(offset + length, this.size);
    if (end <= offset) return new Uint8Array(0);
    if (offset < this.outPos) this.restart();
    // Skip forward to `offset` without keeping what is passed.
    while (this.outPos < offset) {
      await this.fill(Math.min(offset - this.outPos, 1 << 20));
      if (this.buffered === 0) return new Uint8Array(0);
      this.drop(Math.min(this.buffered, offset - this.outPos));
    }
    await this.fill(end - offset);
    const n = Math.min(this.buffered, end - offset);
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of this.chunks) {
      if (o >= n) break;
      const take = Math.min(c.length, n - o);
      out.set(c.subarray(0, take), o);
      o += take;
    }
    // Keep the bytes read: a reader may ask for the same range again (read_file then hash).
    return out;
  }

  close(): Promise<void> {
    return this.r.close();
  }
}
