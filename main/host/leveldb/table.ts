/**
 * LevelDB's sorted table files (`NNNNNN.ldb`, `.sst` in older databases; table/format.cc,
 * table/block.cc): data blocks of prefix-compressed internal keys, an index block with one
 * handle per data block, and a 48-byte footer (metaindex and index handles, magic
 * 0xdb4775248b80fb57). Each block is followed by a compression type byte (0 none, 1 Snappy,
 * 2 zstd) and a masked CRC-32C of the block and that byte.
 *
 * A table is read block by block in file order through a read-ahead window, so memory is
 * one window and one decoded block whatever the table's size. A block that fails its
 * checksum or does not decode is reported and skipped; the next block is read.
 */
import * as snappy from 'snappyjs';
import { decompress as zstdDecompress } from 'fzstd';
import type { FileReader } from '../files/accessors.ts';
import { CorruptionError, Decoder, crc32c, readFixed32, unmaskCrc } from './coding.ts';
import type { Entry } from './write-batch.ts';
import { readFull } from '../files/accessors.ts';

const FOOTER_SIZE = 48;
const BLOCK_TRAILER = 5;
const MAGIC = [0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb];
const WINDOW = 1 << 20;

export const COMPRESSION_NONE = 0;
export const COMPRESSION_SNAPPY = 1;
export const COMPRESSION_ZSTD = 2;

export interface BlockHandle {
  readonly offset: number;
  readonly size: number;
}

/** Receives the problems of a table: `offset` is where in the file. */
export type TableReporter = (offset: number, message: string) => void;

/** Reads through a window of the file, so that consecutive blocks cost one read. */
class WindowReader {
  private start = 0;
  private data: Uint8Array = new Uint8Array(0);

  constructor(private readonly file: FileReader) {}

  async read(offset: number, length: number): Promise<Uint8Array> {
    if (offset < this.start || offset + length > this.start + this.data.length) {
      this.data = await readFull(this.file, offset, Math.max(length, WINDOW));
      this.start = offset;
    }
    return this.data.subarray(offset - this.start, Math.min(offset - this.start + length, this.data.length));
  }
}

function decodeHandle(d: Decoder): BlockHandle {
  return { offset: d.varint(), size: d.varint() };
}

/** The contents of a block, checked and decompressed. Throws CorruptionError. */
export function decodeBlock(raw: Uint8Array, handle: BlockHandle): Uint8Array {
  if (raw.length < handle.size + BLOCK_TRAILER) throw new CorruptionError(`block of ${handle.size} bytes runs past the end of the file`);
  const type = raw[handle.size]!;
  const expected = unmaskCrc(readFixed32(raw, handle.size + 1));
  if (crc32c(raw, 0, handle.size + 1) !== expected) throw new CorruptionError('block checksum mismatch');
  const data = raw.subarray(0, handle.size);
  switch (type) {
    case COMPRESSION_NONE:
      return data;
    case COMPRESSION_SNAPPY:
      try {
        return snappy.uncompress(data);
      } catch (e) {
        throw new CorruptionError(`corrupted Snappy-compressed block: ${(e as Error).message}`);
      }
    case COMPRESSION_ZSTD:
      try {
        return zstdDecompress(data);
      } catch (e) {
        throw new CorruptionError(`corrupted zstd-compressed block: ${(e as Error).message}`);
      }
    default:
      throw new CorruptionError(`unknown block compression type ${type}`);
  }
}

/** Where a block's entries end (its restart array starts). Throws CorruptionError. */
function entriesEnd(block: Uint8Array): number {
  if (block.length < 4) throw new CorruptionError('block too small for its restart count');
  const restarts = readFixed32(block, block.length - 4);
  const end = block.length - 4 - 4 * restarts;
  if (restarts > (block.length - 4) / 4 || end < 0) throw new CorruptionError(`bad restart count ${restarts}`);
  return end;
}

/** The key/value pairs of an index or metaindex block (keys are full, not prefix-shared). */
function blockPairs(block: Uint8Array): Array<[Uint8Array, Uint8Array]> {
  const out: Array<[Uint8Array, Uint8Array]> = [];
  const d = new Decoder(block, 0, entriesEnd(block));
  let prev: Uint8Array = new Uint8Array(0);
  while (!d.done) {
    const shared = d.varint();
    const nonShared = d.varint();
    const valueLength = d.varint();
    if (shared > prev.length) throw new CorruptionError(`entry shares ${shared} bytes of a ${prev.length}-byte key`);
    const key = new Uint8Array(shared + nonShared);
    key.set(prev.subarray(0, shared));
    key.set(d.bytes(nonShared), shared);
    out.push([key, d.bytes(valueLength)]);
    prev = key;
  }
  return out;
}

/** An opened table: its data block handles, from the index block. */
export class Table {
  private constructor(
    private readonly window: WindowReader,
    readonly blocks: readonly BlockHandle[],
  ) {}

  /** Reads the footer and the index. Throws CorruptionError when they are not a table's. */
  static async open(file: FileReader, size: number): Promise<Table> {
    if (size < FOOTER_SIZE) throw new CorruptionError(`file too short (${size} bytes) to be a table`);
    const window = new WindowReader(file);
    const footer = await readFull(file, size - FOOTER_SIZE, FOOTER_SIZE);
    if (footer.length < FOOTER_SIZE || MAGIC.some((b, i) => footer[40 + i] !== b)) throw new CorruptionError('not a table: bad magic number in the footer');
    const d = new Decoder(footer);
    decodeHandle(d); // metaindex: filters and stats, not needed to list the data
    const indexHandle = decodeHandle(d);
    if (indexHandle.offset + indexHandle.size + BLOCK_TRAILER > size) throw new CorruptionError('the index block handle points past the end of the file');
    const index = decodeBlock(await readFull(file, indexHandle.offset, indexHandle.size + BLOCK_TRAILER), indexHandle);
    const blocks = blockPairs(index).map(([, v]) => decodeHandle(new Decoder(v)));
    return new Table(window, blocks);
  }

  /** A data block's contents (checked, decompressed). Throws CorruptionError. */
  async readBlock(handle: BlockHandle): Promise<Uint8Array> {
    const b = decodeBlock(await this.window.read(handle.offset, handle.size + BLOCK_TRAILER), handle);
    // A plain view, not a Buffer: its entries' subarrays are cheaper to make.
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
}

/**
 * A sorted source of entries: `key`, `seq`, `type` and `value` describe the current entry
 * once `step()` returned true. `step()` is synchronous while the current block lasts, and
 * returns a promise when it must read the next one.
 */
export interface Source {
  key: Uint8Array;
  seq: number;
  type: number;
  value: Uint8Array;
  step(): boolean | Promise<boolean>;
  close(): Promise<void>;
}

const EMPTY = new Uint8Array(0);

/** Splits an internal key (user key + 8-byte little-endian (sequence << 8 | type)). */
export function splitInternalKey(ikey: Uint8Array): { key: Uint8Array; seq: number; type: number } {
  if (ikey.length < 8) throw new CorruptionError(`internal key of ${ikey.length} bytes is shorter than its 8-byte trailer`);
  const t = ikey.length - 8;
  const seq = (ikey[t + 1]! | (ikey[t + 2]! << 8) | (ikey[t + 3]! << 16)) + (ikey[t + 4]! * 2 ** 24) + (ikey[t + 5]! + ikey[t + 6]! * 256 + ikey[t + 7]! * 65536) * 2 ** 32;
  return { key: ikey.subarray(0, t), seq, type: ikey[t]! };
}

/** The entries of one table, in its order (user key ascending, newest first for equal keys). */
export class TableSource implements Source, Entry {
  key: Uint8Array = EMPTY;
  seq = 0;
  type = 0;
  value: Uint8Array = EMPTY;
  private block: Uint8Array = EMPTY;
  private pos = 0;
  private end = 0;
  private blockIndex = -1;
  private prev: Uint8Array = EMPTY;

  constructor(
    private readonly table: Table,
    private readonly file: FileReader,
    private readonly report: TableReporter,
    private readonly signal?: AbortSignal,
  ) {}

  step(): boolean | Promise<boolean> {
    if (this.pos < this.end) {
      try {
        this.decodeEntry();
        return true;
      } catch (e) {
        this.report(this.table.blocks[this.blockIndex]!.offset, `${(e as Error).message}: the rest of the block skipped`);
        this.pos = this.end;
      }
    }
    return this.nextBlock();
  }

  private decodeEntry(): void {
    const b = this.block;
    const end = this.end;
    let p = this.pos;
    // The three varints: one byte each in the common case.
    let shared = b[p++]!;
    let nonShared = p < end ? b[p++]! : 0;
    let valueLength = p < end ? b[p++]! : 0;
    if ((shared | nonShared | valueLength) >= 0x80 || p > end) {
      const d = new Decoder(b, this.pos, end);
      shared = d.varint();
      nonShared = d.varint();
      valueLength = d.varint();
      p = d.pos;
    }
    const keyLength = shared + nonShared;
    if (shared > this.prev.length) throw new CorruptionError(`entry shares ${shared} bytes of a ${this.prev.length}-byte key`);
    if (p + nonShared + valueLength > end) throw new CorruptionError('entry runs past the end of the block');
    if (keyLength < 8) throw new CorruptionError(`internal key of ${keyLength} bytes is shorter than its 8-byte trailer`);
    const ikey = new Uint8Array(keyLength);
    if (shared > 0) ikey.set(this.prev.subarray(0, shared));
    ikey.set(b.subarray(p, p + nonShared), shared);
    p += nonShared;
    this.value = b.subarray(p, p + valueLength);
    this.pos = p + valueLength;
    this.prev = ikey;
    const t = keyLength - 8;
    this.key = ikey.subarray(0, t);
    this.type = ikey[t]!;
    this.seq = (ikey[t + 1]! | (ikey[t + 2]! << 8) | (ikey[t + 3]! << 16)) + ikey[t + 4]! * 2 ** 24 + (ikey[t + 5]! + ikey[t + 6]! * 256 + ikey[t + 7]! * 65536) * 2 ** 32;
  }

  private async nextBlock(): Promise<boolean> {
    for (;;) {
      if (this.signal?.aborted) return false;
      this.blockIndex++;
      const handle = this.table.blocks[this.blockIndex];
      if (!handle) return false;
      try {
        this.block = await this.table.readBlock(handle);
        this.end = entriesEnd(this.block);
      } catch (e) {
        if (!(e instanceof CorruptionError)) throw e;
        this.report(handle.offset, `data block of ${handle.size} bytes: ${e.message} (block skipped)`);
        continue;
      }
      this.pos = 0;
      this.prev = EMPTY;
      if (this.pos < this.end) {
        const r = this.step();
        return typeof r === 'boolean' ? r : await r;
      }
    }
  }

  private closed = false;

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.file.close();
  }
}
