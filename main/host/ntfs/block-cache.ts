/**
 * A small block cache over a FileReader: the volume is read in BLOCK-sized pieces, the most
 * recently used kept (never the whole volume). Reads of MFT records and index records hit the
 * same few blocks over and over. The underlying file is opened when needed and closed after
 * IDLE_MS without reads (a volume is kept for the whole query: its file is not held open).
 */
import type { FileReader } from '../files/accessors.ts';
import { readFull } from '../files/accessors.ts';

const BLOCK = 64 * 1024;
/**
 * How long the file stays open after the last read (ms). The timer is not unref'd: it keeps the
 * file reachable until it is closed (a handle dropped open is closed by the GC with a warning),
 * and holds a finished process at most this long.
 */
const IDLE_MS = 300;

/** Opens a FileReader when first read, closes it when idle. */
export class IdleReader implements FileReader {
  private current: Promise<FileReader> | null = null;
  private busy = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly openFile: () => Promise<FileReader>, readonly size: number | null) {}

  async read(offset: number, length: number): Promise<Uint8Array> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.busy++;
    try {
      const r = await (this.current ??= this.openFile());
      return await r.read(offset, length);
    } catch (e) {
      this.current = null;
      throw e;
    } finally {
      if (--this.busy === 0) {
        this.timer = setTimeout(() => void this.close(), IDLE_MS);
      }
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.busy > 0) return; // in use: closed when it goes idle
    const c = this.current;
    this.current = null;
    if (c) await (await c).close().catch(() => {});
  }
}

export class BlockCache {
  private readonly blocks = new Map<number, Promise<Uint8Array>>();

  constructor(private readonly reader: FileReader, private readonly maxBlocks = 256) {}

  get size(): number | null {
    return this.reader.size;
  }

  private block(n: number): Promise<Uint8Array> {
    const hit = this.blocks.get(n);
    if (hit) {
      this.blocks.delete(n);
      this.blocks.set(n, hit);
      return hit;
    }
    const p = readFull(this.reader, n * BLOCK, BLOCK);
    this.blocks.set(n, p);
    p.catch(() => this.blocks.delete(n));
    while (this.blocks.size > this.maxBlocks) this.blocks.delete(this.blocks.keys().next().value!);
    return p;
  }

  /** Reads `length` bytes at `offset` (fewer at the end of the file) into a new buffer. */
  async read(offset: number, length: number): Promise<Uint8Array> {
    // Large reads (file contents) go straight to the reader: caching them would only evict.
    if (length > 4 * BLOCK) return readFull(this.reader, offset, length);
    const out = new Uint8Array(length);
    let got = 0;
    while (got < length) {
      const pos = offset + got;
      const n = Math.floor(pos / BLOCK);
      const b = await this.block(n);
      const from = pos - n * BLOCK;
      if (from >= b.length) break;
      const take = Math.min(b.length - from, length - got);
      out.set(b.subarray(from, from + take), got);
      got += take;
      if (b.length < BLOCK) break;
    }
    return got === length ? out : out.subarray(0, got);
  }

  close(): Promise<void> {
    this.blocks.clear();
    return this.reader.close();
  }
}
