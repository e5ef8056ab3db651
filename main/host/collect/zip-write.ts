/**
 * A zip writer that streams: each member is read from a file (or a buffer) in chunks,
 * deflated by node's zlib and written at once, so a member of any size costs ~1 MiB of
 * memory. Members past 4 GiB, and archives past 4 GiB, get ZIP64 records (as Go's archive/zip
 * writes them, which Velociraptor uses). Names are UTF-8 (flag bit 11). Each member's CRC and
 * sizes are written into its local header once known (the output is a file: no data
 * descriptors needed). A member with a time carries it as the DOS time (UTC) and as an
 * extended timestamp; one without has the zero DOS date, as Velociraptor's results and logs.
 */
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createDeflateRaw, crc32 } from 'node:zlib';

const MAX32 = 0xffffffff;
/** Sources at least this large get ZIP64 local headers (deflate may grow data a little). */
const ZIP64_SOURCE = 0xffff0000;

interface Written {
  name: Buffer;
  crc: number;
  compressed: number;
  size: number;
  offset: number;
  method: number;
  dosTime: number;
  dosDate: number;
  unixTime: number | null;
  isDir: boolean;
}

export interface MemberOptions {
  /** The member's time (null: the zero DOS date). */
  readonly mtime?: Date | null;
  /** 0 stores, 1-9 deflate (default 5, Velociraptor's CLI default). */
  readonly level?: number;
}

function dos(t: Date | null | undefined): [number, number] {
  if (!t || t.getUTCFullYear() < 1980 || t.getUTCFullYear() > 2107) return [0, 0];
  const time = (t.getUTCHours() << 11) | (t.getUTCMinutes() << 5) | (t.getUTCSeconds() >> 1);
  const date = ((t.getUTCFullYear() - 1980) << 9) | ((t.getUTCMonth() + 1) << 5) | t.getUTCDate();
  return [time, date];
}

/** The extended-timestamp extra field (0x5455) holding the modification time. */
function unixTimeExtra(seconds: number): Buffer {
  const t = Buffer.alloc(9);
  t.writeUInt16LE(0x5455, 0);
  t.writeUInt16LE(5, 2);
  t.writeUInt8(1, 4);
  t.writeUInt32LE(seconds, 5);
  return t;
}

function unixSeconds(t: Date | null | undefined): number | null {
  if (!t) return null;
  const s = Math.floor(t.getTime() / 1000);
  return s >= 0 && s <= MAX32 ? s : null;
}

export class ZipWriter {
  private pos = 0;
  private readonly members: Written[] = [];
  private closed = false;

  private constructor(private readonly fh: FileHandle) {}

  /** Creates (or truncates) `path`, readable by its owner only (a collection is evidence). */
  static async create(path: string): Promise<ZipWriter> {
    return new ZipWriter(await open(path, 'w', 0o600));
  }

  private async write(b: Uint8Array, at = this.pos): Promise<void> {
    let done = 0;
    while (done < b.length) {
      const { bytesWritten } = await this.fh.write(b, done, b.length - done, at + done);
      done += bytesWritten;
    }
    if (at === this.pos) this.pos += b.length;
  }

  private localHeader(w: Written, zip64: boolean): Buffer {
    const extras: Buffer[] = [];
    if (zip64) {
      const z = Buffer.alloc(20);
      z.writeUInt16LE(0x0001, 0);
      z.writeUInt16LE(16, 2);
      extras.push(z); // sizes patched later
    }
    if (w.unixTime !== null) extras.push(unixTimeExtra(w.unixTime));
    const extra = Buffer.concat(extras);
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0);
    h.writeUInt16LE(zip64 ? 45 : 20, 4);
    h.writeUInt16LE(0x0800, 6);
    h.writeUInt16LE(w.method, 8);
    h.writeUInt16LE(w.dosTime, 10);
    h.writeUInt16LE(w.dosDate, 12);
    if (zip64) {
      h.writeUInt32LE(MAX32, 18);
      h.writeUInt32LE(MAX32, 22);
    }
    h.writeUInt16LE(w.name.length, 26);
    h.writeUInt16LE(extra.length, 28);
    return Buffer.concat([h, w.name, extra]);
  }

  private async begin(name: string, method: number, opts: MemberOptions, isDir: boolean): Promise<Written> {
    if (this.closed) throw new Error('the zip is closed');
    const [dosTime, dosDate] = dos(opts.mtime);
    return { name: Buffer.from(name, 'utf8'), crc: 0, compressed: 0, size: 0, offset: this.pos, method, dosTime, dosDate, unixTime: unixSeconds(opts.mtime), isDir };
  }

  /** Patches CRC and sizes into the member's local header. */
  private async finish(w: Written, zip64: boolean): Promise<void> {
    if (!zip64 && (w.size > MAX32 || w.compressed > MAX32)) {
      throw new Error(`member ${w.name.toString()} grew past 4 GiB without a ZIP64 header`);
    }
    const b = Buffer.alloc(12);
    b.writeUInt32LE(w.crc >>> 0, 0);
    b.writeUInt32LE(zip64 ? MAX32 : w.compressed, 4);
    b.writeUInt32LE(zip64 ? MAX32 : w.size, 8);
    await this.write(b, w.offset + 14);
    if (zip64) {
      const z = Buffer.alloc(16);
      z.writeBigUInt64LE(BigInt(w.size), 0);
      z.writeBigUInt64LE(BigInt(w.compressed), 8);
      await this.write(z, w.offset + 30 + w.name.length + 4);
    }
    this.members.push(w);
  }

  /** Adds a member from a file on disk, streamed. */
  async addFile(name: string, source: string, size: number, opts: MemberOptions = {}): Promise<void> {
    await this.addStream(name, createReadStream(source, { highWaterMark: 1 << 20 }), size, opts);
  }

  /** Adds a member from bytes in memory. */
  async addBytes(name: string, data: Uint8Array | string, opts: MemberOptions = {}): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    await this.addStream(name, [bytes], bytes.length, opts);
  }

  /** Adds a folder entry (`name/`). */
  async addDirectory(name: string, opts: MemberOptions = {}): Promise<void> {
    const w = await this.begin(name.endsWith('/') ? name : name + '/', 0, opts, true);
    await this.write(this.localHeader(w, false));
    await this.finish(w, false);
  }

  private async addStream(name: string, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, sizeHint: number, opts: MemberOptions): Promise<void> {
    const level = opts.level ?? 5;
    const w = await this.begin(name, level === 0 ? 0 : 8, opts, false);
    const zip64 = sizeHint >= ZIP64_SOURCE;
    await this.write(this.localHeader(w, zip64));
    const dataStart = this.pos;
    if (level === 0) {
      for await (const c of chunks) {
        w.crc = crc32(c, w.crc);
        w.size += c.length;
        await this.write(c);
      }
    } else {
      const deflate = createDeflateRaw({ level });
      const output = (async () => {
        for await (const out of deflate as AsyncIterable<Buffer>) await this.write(out);
      })();
      try {
        for await (const c of chunks) {
          w.crc = crc32(c, w.crc);
          w.size += c.length;
          if (!deflate.write(c)) await once(deflate, 'drain');
        }
        deflate.end();
      } catch (e) {
        deflate.destroy(e as Error);
        await output.catch(() => {});
        throw e;
      }
      await output;
    }
    w.compressed = this.pos - dataStart;
    await this.finish(w, zip64);
  }

  /** Writes the central directory and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      const cdStart = this.pos;
      for (const w of this.members) await this.write(this.centralEntry(w));
      const cdSize = this.pos - cdStart;
      const count = this.members.length;
      const needs64 = count >= 0xffff || cdStart >= MAX32 || cdSize >= MAX32;
      if (needs64) {
        const at = this.pos;
        const rec = Buffer.alloc(56);
        rec.writeUInt32LE(0x06064b50, 0);
        rec.writeBigUInt64LE(44n, 4);
        rec.writeUInt16LE(45, 12);
        rec.writeUInt16LE(45, 14);
        rec.writeBigUInt64LE(BigInt(count), 24);
        rec.writeBigUInt64LE(BigInt(count), 32);
        rec.writeBigUInt64LE(BigInt(cdSize), 40);
        rec.writeBigUInt64LE(BigInt(cdStart), 48);
        const loc = Buffer.alloc(20);
        loc.writeUInt32LE(0x07064b50, 0);
        loc.writeBigUInt64LE(BigInt(at), 8);
        loc.writeUInt32LE(1, 16);
        await this.write(Buffer.concat([rec, loc]));
      }
      const end = Buffer.alloc(22);
      end.writeUInt32LE(0x06054b50, 0);
      end.writeUInt16LE(Math.min(count, 0xffff), 8);
      end.writeUInt16LE(Math.min(count, 0xffff), 10);
      end.writeUInt32LE(Math.min(cdSize, MAX32), 12);
      end.writeUInt32LE(Math.min(cdStart, MAX32), 16);
      await this.write(end);
    } finally {
      await this.fh.close();
    }
  }

  private centralEntry(w: Written): Buffer {
    const big = w.size >= MAX32 || w.compressed >= MAX32 || w.offset >= MAX32;
    const extras: Buffer[] = [];
    if (big) {
      const fields: bigint[] = [];
      if (w.size >= MAX32) fields.push(BigInt(w.size));
      if (w.compressed >= MAX32) fields.push(BigInt(w.compressed));
      if (w.offset >= MAX32) fields.push(BigInt(w.offset));
      const z = Buffer.alloc(4 + fields.length * 8);
      z.writeUInt16LE(0x0001, 0);
      z.writeUInt16LE(fields.length * 8, 2);
      fields.forEach((f, i) => z.writeBigUInt64LE(f, 4 + i * 8));
      extras.push(z);
    }
    if (w.unixTime !== null) extras.push(unixTimeExtra(w.unixTime));
    const extra = Buffer.concat(extras);
    const h = Buffer.alloc(46);
    h.writeUInt32LE(0x02014b50, 0);
    h.writeUInt16LE((3 << 8) | 45, 4); // made by: Unix, spec 4.5
    h.writeUInt16LE(big ? 45 : 20, 6);
    h.writeUInt16LE(0x0800, 8);
    h.writeUInt16LE(w.method, 10);
    h.writeUInt16LE(w.dosTime, 12);
    h.writeUInt16LE(w.dosDate, 14);
    h.writeUInt32LE(w.crc >>> 0, 16);
    h.writeUInt32LE(Math.min(w.compressed, MAX32), 20);
    h.writeUInt32LE(Math.min(w.size, MAX32), 24);
    h.writeUInt16LE(w.name.length, 28);
    h.writeUInt16LE(extra.length, 30);
    // External attributes: Unix mode in the high 16 bits (0644 files, 0755 folders).
    h.writeUInt32LE((((w.isDir ? 0o40755 : 0o100644) << 16) | (w.isDir ? 0x10 : 0)) >>> 0, 38);
    h.writeUInt32LE(Math.min(w.offset, MAX32), 42);
    return Buffer.concat([h, w.name, extra]);
  }
}
