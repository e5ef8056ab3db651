/**
 * Ranged, cached reads of a PE image inside a file: what parse_pe reads goes through here (a
 * BlockCache), so that a multi-GB file (or a PE at `base_offset` inside a disk image) costs only
 * the blocks that the headers, tables and strings sit in.
 *
 * Offsets are relative to the start of the PE (`base`). A read that runs past the end of the
 * file throws a PeError naming what was being read, which parse_pe reports as the error.
 */
import type { FileReader } from '../../files/accessors.ts';
import { BlockCache } from '../../files/block-cache.ts';

/** A structural problem of the file (its message is what the log line says). */
export class PeError extends Error {}

/** Data that should be in the file is not: it ends first (a truncated or carved file). */
export class PeTruncated extends PeError {}

/** Blocks kept (least recently used dropped first): 32 MiB at most per parsed file. */
const MAX_BLOCKS = 512;
/** The longest single read the parser asks for (a whole table, a version resource). */
export const MAX_READ = 64 * 1024 * 1024;

export class RangeReader {
  private readonly cache: BlockCache;
  /** Bytes from the PE's start to the end of the file, when the accessor knows the size. */
  readonly size: number | null;

  constructor(
    reader: FileReader,
    readonly base: number,
    private readonly signal?: AbortSignal,
  ) {
    this.cache = new BlockCache(reader, { maxBlocks: MAX_BLOCKS, piece: 1 << 20 });
    this.size = reader.size === null ? null : Math.max(0, reader.size - base);
  }

  /** Up to `length` bytes at `offset` (fewer at the end of the file, none past it). */
  async readUpTo(offset: number, length: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(offset) || offset < 0 || length <= 0) return new Uint8Array(0);
    if (this.signal?.aborted) throw new PeError('the query was cancelled');
    return this.cache.read(this.base + offset, Math.min(length, MAX_READ));
  }

  /** Exactly `length` bytes at `offset`; throws a PeError saying what (`what`) is cut short. */
  async read(offset: number, length: number, what: string): Promise<Uint8Array> {
    if (length > MAX_READ) throw new PeError(`${what}: size ${length} is too large`);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new PeError(`${what}: invalid offset ${offset}`);
    const b = await this.readUpTo(offset, length);
    if (b.length < length) {
      throw new PeTruncated(`${what} at offset 0x${offset.toString(16)} (${length} bytes) runs past the end of the file${this.size !== null ? ` (size ${this.size})` : ''}`);
    }
    return b;
  }

  /**
   * A NUL-terminated byte string at `offset`, at most `max` bytes (a longer one is cut there);
   * the file's end also ends it. Throws when `offset` itself is past the end.
   */
  async cString(offset: number, max: number, what: string): Promise<Uint8Array> {
    const b = await this.readUpTo(offset, max);
    if (b.length === 0) throw new PeTruncated(`${what} at offset 0x${offset.toString(16)} is past the end of the file`);
    const nul = b.indexOf(0);
    return nul < 0 ? b : b.subarray(0, nul);
  }
}

/** Little-endian field access over a byte array. */
export function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}
