/**
 * Ranged, cached reads of a PE image inside a file: what parse_pe reads goes through here, so
 * that a multi-GB file (or a PE at `base_offset` inside a disk image) costs only the blocks
 * that the headers, tables and strings sit in.
 *
 * Offsets are relative to the start of the PE (`base`). A read that runs past the end of the
 * file throws a PeError naming what was being read, which parse_pe reports as the error.
 */
import { readFull, type FileReader } from '../../files/accessors.ts';

/** A structural problem of the file (its message is what the log line says). */
export class PeError extends Error {}

/** Data that should be in the file is not: it ends first (a truncated or carved file). */
export class PeTruncated extends PeError {}

/** Bytes per cached block. */
const BLOCK = 64 * 1024;
/** Blocks kept (oldest dropped first): 32 MiB at most per parsed file. */
const MAX_BLOCKS = 512;
/** The longest single read the parser asks for (a whole table, a version resource). */
export const MAX_READ = 64 * 1024 * 1024;

export class RangeReader {
  private readonly blocks = new Map<number, Uint8Array>();
  /** Bytes from the PE's start to the end of the file, when the accessor knows the size. */
  readonly size: number | null;

  constructor(
    private readonly reader: FileReader,
    readonly base: number,
    private readonly signal?: AbortSignal,
  ) {
    this.size = reader.size === null ? null : Math.max(0, reader.size - base);
  }

  private async block(index: number): Promise<Uint8Array> {
    let b = this.blocks.get(index);
    if (b) return b;
    if (this.signal?.aborted) throw new PeError('the query was cancelled');
    // A short block means the end of the file: an accessor's read may return less (a zip member).
    b = await readFull(this.reader, this.base + index * BLOCK, BLOCK);
    if (this.blocks.size >= MAX_BLOCKS) this.blocks.delete(this.blocks.keys().next().value!);
    this.blocks.set(index, b);
    return b;
  }

  /** Up to `length` bytes at `offset` (fewer at the end of the file, none past it). */
  async readUpTo(offset: number, length: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(offset) || offset < 0 || length <= 0) return new Uint8Array(0);
    const len = Math.min(length, MAX_READ);
    const first = Math.floor(offset / BLOCK);
    const last = Math.floor((offset + len - 1) / BLOCK);
    if (first === last) {
      const b = await this.block(first);
      const start = offset - first * BLOCK;
      return b.subarray(Math.min(start, b.length), Math.min(start + len, b.length));
    }
    if (len > 4 * BLOCK) {
      // A large table: read it directly rather than through (and over) the cache.
      if (this.signal?.aborted) throw new PeError('the query was cancelled');
      return readFull(this.reader, this.base + offset, len, 1 << 20);
    }
    const out = new Uint8Array(len);
    let got = 0;
    for (let i = first; i <= last; i++) {
      const b = await this.block(i);
      const start = i === first ? offset - first * BLOCK : 0;
      const piece = b.subarray(Math.min(start, b.length), Math.min(start + (len - got), b.length));
      out.set(piece, got);
      got += piece.length;
      if (b.length < BLOCK) break;
    }
    return out.subarray(0, got);
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
