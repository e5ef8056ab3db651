/**
 * A block cache over a FileReader, for parsers that read a large file (a disk image, a PE)
 * here and there: the file is read in 64 KiB blocks, the most recently used kept, never the
 * whole file. Reads of headers, MFT records and index records hit the same few blocks over and
 * over; a large read (over four blocks: a table, file contents) goes straight to the reader.
 */
import { readFull, type FileReader } from './accessors.ts';
import { Lru } from './lru.ts';

/** Bytes per cached block. */
export const BLOCK = 64 * 1024;

export class BlockCache {
  private readonly blocks: Lru<number, Promise<Uint8Array>>;
  private readonly piece: number;

  /**
   * `maxBlocks` blocks are kept (the least recently used dropped); a large read asks the reader
   * for at most `piece` bytes at a time.
   */
  constructor(private readonly reader: FileReader, opts: { maxBlocks?: number; piece?: number } = {}) {
    this.blocks = new Lru(opts.maxBlocks ?? 256);
    this.piece = opts.piece ?? Infinity;
  }

  get size(): number | null {
    return this.reader.size;
  }

  private block(n: number): Promise<Uint8Array> {
    // A short block is the end of the file: an accessor's read may return less (a zip member).
    return this.blocks.getOrSet(n, () => readFull(this.reader, n * BLOCK, BLOCK));
  }

  /** Reads `length` bytes at `offset` (fewer at the end of the file) into a new buffer. */
  async read(offset: number, length: number): Promise<Uint8Array> {
    // Large reads (file contents) go straight to the reader: caching them would only evict.
    if (length > 4 * BLOCK) return readFull(this.reader, offset, length, this.piece);
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
