/**
 * Reading the entries of one systemd journal file (format.ts) through positioned reads: the
 * file is never loaded whole. Reads go through a small cache of 64 KiB blocks (entries and the
 * data objects they point to sit close together), and decoded data objects are cached by
 * offset (fields such as _HOSTNAME, _BOOT_ID or PRIORITY are shared by most entries).
 *
 * Entries come in file order from the chain of entry arrays that starts at the header's
 * `entry_array_offset`, at most the header's `n_entries` of them, so that the tail of a file
 * still being written (state ONLINE) is not read before it is complete. Every offset is
 * checked (inside the file, aligned, of the expected object type) and the chain is walked at
 * most once per array, so a corrupt file ends with an error, never with a loop.
 */
import { VBytes, type Value } from '../../vql/index.ts';
import { bytesToValue } from '../../vql/values/kinds.ts';
import {
  DATA_PAYLOAD_OFFSET, DATA_PAYLOAD_OFFSET_COMPACT, ENTRY_ARRAY_ITEMS_OFFSET, ENTRY_ITEMS_OFFSET, INCOMPAT_KNOWN,
  JournalFormatError, MIN_HEADER_SIZE, OBJECT_DATA, OBJECT_ENTRY, OBJECT_ENTRY_ARRAY, OBJECT_TYPE_NAMES, hex128, parseHeader, u64,
  type JournalHeader,
} from './format.ts';
import { codecName, decompressPayload } from './decompress.ts';

/** What the reader needs of a file: positioned reads (an accessor's FileReader, a file handle). */
export interface ByteSource {
  read(offset: number, length: number): Promise<Uint8Array>;
}

export interface JournalEntry {
  /** Where the ENTRY object is in the file. */
  readonly offset: number;
  readonly seqnum: bigint;
  /** Microseconds since the epoch (CLOCK_REALTIME when it was logged). */
  readonly realtime: bigint;
  /** Microseconds since boot (CLOCK_MONOTONIC). */
  readonly monotonic: bigint;
  readonly bootId: string;
  /** The fields in the order the entry stores them: names, and values (a string, or bytes when not UTF-8). */
  readonly fields: Array<[string, Value]>;
}

export interface EntryOptions {
  /** The index of the first entry wanted (0: the first of the file). */
  readonly from?: number;
  /** Entries whose realtime does not pass are skipped before their data is read. */
  readonly accept?: (realtime: bigint) => boolean;
  readonly signal?: AbortSignal;
  /** A problem with one field (its data object is corrupt, or its codec fails): the entry still comes out. */
  readonly warn?: (message: string) => void;
}

const BLOCK_SIZE = 64 * 1024;
const MAX_BLOCKS = 64;
const MAX_CACHED_DATA = 8192;
const MAX_CACHED_PAYLOAD = 2048;

/** Positioned reads through a cache of fixed-size blocks. */
class BlockCache {
  private readonly blocks = new Map<number, Buffer>();

  constructor(private readonly source: ByteSource, readonly size: number) {}

  private async block(index: number): Promise<Buffer> {
    let b = this.blocks.get(index);
    if (b) return b;
    const start = index * BLOCK_SIZE;
    b = Buffer.from(await this.source.read(start, Math.min(BLOCK_SIZE, this.size - start)));
    if (this.blocks.size >= MAX_BLOCKS) this.blocks.delete(this.blocks.keys().next().value!);
    this.blocks.set(index, b);
    return b;
  }

  /** The bytes at `offset` when they are in one cached block (no await), else null. */
  cached(offset: number, length: number): Buffer | null {
    const index = Math.floor(offset / BLOCK_SIZE);
    if (Math.floor((offset + length - 1) / BLOCK_SIZE) !== index || offset + length > this.size) return null;
    const b = this.blocks.get(index);
    if (!b || b.length < offset - index * BLOCK_SIZE + length) return null;
    return b.subarray(offset - index * BLOCK_SIZE, offset - index * BLOCK_SIZE + length);
  }

  /** Exactly `length` bytes at `offset`; a JournalFormatError when the file ends before. */
  async read(offset: number, length: number): Promise<Buffer> {
    const hit = length > 0 ? this.cached(offset, length) : null;
    if (hit) return hit;
    if (offset + length > this.size) {
      throw new JournalFormatError(`the file is truncated: ${length} bytes wanted at ${offset}, past its end (${this.size} bytes)`, offset);
    }
    if (length === 0) return Buffer.alloc(0);
    const first = Math.floor(offset / BLOCK_SIZE);
    const last = Math.floor((offset + length - 1) / BLOCK_SIZE);
    let out: Buffer;
    if (first === last) {
      const b = await this.block(first);
      out = b.subarray(offset - first * BLOCK_SIZE, offset - first * BLOCK_SIZE + length);
    } else if (length > BLOCK_SIZE) {
      out = Buffer.from(await this.source.read(offset, length));
    } else {
      const a = await this.block(first);
      const b = await this.block(last);
      out = Buffer.concat([a.subarray(offset - first * BLOCK_SIZE), b]).subarray(0, length);
    }
    if (out.length < length) throw new JournalFormatError(`the file is truncated: read ${out.length} of ${length} bytes`, offset);
    return out;
  }
}

/** One journal file, opened: its header, and its entries on demand. */
export class JournalReader {
  private readonly cache: BlockCache;
  private readonly data = new Map<number, [string, Value]>();
  private readonly dataPayload: number;
  private readonly itemSize: number;
  private readonly arrayItemSize: number;
  private readonly codecWarned = new Set<string>();

  private constructor(source: ByteSource, readonly size: number, readonly header: JournalHeader) {
    this.cache = new BlockCache(source, size);
    this.dataPayload = header.compact ? DATA_PAYLOAD_OFFSET_COMPACT : DATA_PAYLOAD_OFFSET;
    this.itemSize = header.compact ? 4 : 16;
    this.arrayItemSize = header.compact ? 4 : 8;
  }

  /** Reads and checks the header of a file of `size` bytes. Throws a JournalFormatError. */
  static async open(source: ByteSource, size: number): Promise<JournalReader> {
    const head = Buffer.from(await source.read(0, Math.min(size, 4096)));
    if (head.length === 0) throw new JournalFormatError('the file is empty: not a systemd journal file', 0);
    const header = parseHeader(head);
    if (header.incompatibleFlags & ~INCOMPAT_KNOWN) {
      throw new JournalFormatError(`unsupported journal features (incompatible flags 0x${header.incompatibleFlags.toString(16)}): written by a newer systemd`, 12);
    }
    if (size < header.headerSize || size < MIN_HEADER_SIZE) throw new JournalFormatError(`the file is truncated: ${size} bytes, shorter than its header (${header.headerSize})`, 0);
    return new JournalReader(source, size, header);
  }

  private checkOffset(offset: number, what: string, where: number): void {
    if (offset < this.header.headerSize || offset % 8 !== 0 || !Number.isSafeInteger(offset)) {
      throw new JournalFormatError(`bad ${what} offset ${offset} (outside the object area or not 8-byte aligned)`, where);
    }
    if (offset >= this.size) {
      throw new JournalFormatError(`the file is truncated: ${what} at ${offset} is past its end (${this.size} bytes)`, where);
    }
  }

  /** The object header at `offset`: its type and flags checked, its size bounded. */
  private async object(offset: number, type: number, minSize: number, headLength: number): Promise<{ head: Buffer; flags: number; size: number }> {
    const head = await this.cache.read(offset, Math.max(16, Math.min(headLength, this.size - offset)));
    if (head[0] !== type) {
      throw new JournalFormatError(`expected ${OBJECT_TYPE_NAMES[type]} object, found ${OBJECT_TYPE_NAMES[head[0]!] ?? `type ${head[0]}`}`, offset);
    }
    const size = u64(head, 8);
    if (size < minSize) throw new JournalFormatError(`${OBJECT_TYPE_NAMES[type]} object of bad size ${size}`, offset);
    if (offset + size > this.size) {
      throw new JournalFormatError(`the file is truncated: ${OBJECT_TYPE_NAMES[type]} object of ${size} bytes runs past its end (${this.size} bytes)`, offset);
    }
    if (head.length < headLength) throw new JournalFormatError(`the file is truncated inside a ${OBJECT_TYPE_NAMES[type]} object`, offset);
    return { head, flags: head[1]!, size };
  }

  /** The offsets of the entries, in order, from entry number `from`. */
  async *entryOffsets(from = 0, signal?: AbortSignal): AsyncGenerator<number> {
    const limit = this.header.nEntries;
    let index = 0;
    let array = this.header.entryArrayOffset;
    let where = 176; // the header field holding the first array's offset
    const visited = new Set<number>();
    while (array !== 0 && index < limit) {
      if (signal?.aborted) return;
      if (visited.has(array)) throw new JournalFormatError(`the entry array chain loops back to ${array}`, where);
      visited.add(array);
      this.checkOffset(array, 'entry array', where);
      const { head, size } = await this.object(array, OBJECT_ENTRY_ARRAY, ENTRY_ARRAY_ITEMS_OFFSET, ENTRY_ARRAY_ITEMS_OFFSET);
      const n = Math.floor((size - ENTRY_ARRAY_ITEMS_OFFSET) / this.arrayItemSize);
      const next = u64(head, 16);
      if (index + n <= from) {
        // Entries before `from`: every item of a full array is an entry; no need to read them.
        index += n;
      } else {
        const items = await this.cache.read(array + ENTRY_ARRAY_ITEMS_OFFSET, n * this.arrayItemSize);
        for (let i = 0; i < n && index < limit; i++) {
          const entry = this.header.compact ? items.readUInt32LE(i * 4) : u64(items, i * 8);
          if (entry === 0) return; // the unused tail of the last array
          if (signal?.aborted) return;
          if (index >= from) {
            this.checkOffset(entry, 'entry', array + ENTRY_ARRAY_ITEMS_OFFSET + i * this.arrayItemSize);
            yield entry;
          }
          index++;
        }
      }
      where = array + 16;
      array = next;
    }
  }

  /** The entries from number `from` on (see EntryOptions). */
  async *entries(opts: EntryOptions = {}): AsyncGenerator<JournalEntry> {
    for await (const offset of this.entryOffsets(opts.from ?? 0, opts.signal)) {
      const e = await this.entry(offset, opts);
      if (e) yield e;
    }
  }

  /**
   * Entries found by walking the objects one after the other (each object's size leads to the
   * next) past the entry at `after`: how the entries that a broken or cut entry array chain no
   * longer reaches are recovered. Stops at the first object that is not plausible, at the end of
   * the file, or past the last object the header knows of.
   */
  async *walkEntries(after: number, opts: EntryOptions = {}): AsyncGenerator<JournalEntry> {
    const end = Math.min(this.size, this.header.tailObjectOffset + 1);
    let offset = this.header.headerSize;
    while (offset < end) {
      if (opts.signal?.aborted) return;
      if (offset + 16 > this.size) return;
      const head = await this.cache.read(offset, 16);
      const type = head[0]!;
      const size = u64(head, 8);
      if (type === 0 || type > 7 || size < 16 || offset + size > this.size) return;
      if (type === OBJECT_ENTRY && offset > after) {
        const e = await this.entry(offset, opts);
        // An entry of a file being written that is not complete yet.
        if (e && e.seqnum <= this.header.tailEntrySeqnum) yield e;
      }
      offset += Math.ceil(size / 8) * 8;
    }
  }

  /** The entry at `offset`, or null when `accept` refuses its time. */
  async entry(offset: number, opts: EntryOptions = {}): Promise<JournalEntry | null> {
    const { head, size } = await this.object(offset, OBJECT_ENTRY, ENTRY_ITEMS_OFFSET, ENTRY_ITEMS_OFFSET);
    const realtime = head.readBigUInt64LE(24);
    if (opts.accept && !opts.accept(realtime)) return null;
    const n = Math.floor((size - ENTRY_ITEMS_OFFSET) / this.itemSize);
    const items = await this.cache.read(offset + ENTRY_ITEMS_OFFSET, n * this.itemSize);
    const fields: Array<[string, Value]> = [];
    for (let i = 0; i < n; i++) {
      const at = offset + ENTRY_ITEMS_OFFSET + i * this.itemSize;
      const dataOffset = this.header.compact ? items.readUInt32LE(i * 4) : u64(items, i * 16);
      const cached = this.data.get(dataOffset);
      if (cached) {
        // Most fields are shared between entries: no await on this path.
        fields.push(cached);
        continue;
      }
      try {
        const f = await this.field(dataOffset, at, opts.warn);
        if (f) fields.push(f);
      } catch (e) {
        if (!(e instanceof JournalFormatError)) throw e;
        opts.warn?.(`entry at ${offset}: field ${i + 1} skipped: ${e.message}`);
      }
    }
    return {
      offset,
      seqnum: head.readBigUInt64LE(16),
      realtime,
      monotonic: head.readBigUInt64LE(32),
      bootId: hex128(head, 40),
      fields,
    };
  }

  /** The `[name, value]` of the DATA object at `offset` (null when its codec fails: warned). */
  private async field(offset: number, where: number, warn?: (m: string) => void): Promise<[string, Value] | null> {
    const cached = this.data.get(offset);
    if (cached) return cached;
    this.checkOffset(offset, 'data object', where);
    const { flags, size } = await this.object(offset, OBJECT_DATA, this.dataPayload, this.dataPayload);
    let payload: Uint8Array = await this.cache.read(offset + this.dataPayload, size - this.dataPayload);
    const codec = codecName(flags);
    if (codec) {
      try {
        payload = await decompressPayload(flags, payload);
      } catch (e) {
        const key = `${codec}\0${(e as Error).message}`;
        if (!this.codecWarned.has(key)) {
          this.codecWarned.add(key);
          warn?.(`data object at ${offset}: cannot decompress its ${codec} payload (${(e as Error).message}): the field is left out of its entry (further failures of this kind in this file are not logged)`);
        }
        return null;
      }
    }
    const eq = payload.indexOf(0x3d);
    if (eq <= 0) throw new JournalFormatError('data object without a FIELD=value payload', offset);
    const name = Buffer.from(payload.buffer, payload.byteOffset, eq).toString('latin1');
    const raw = payload.subarray(eq + 1);
    let value: Value = bytesToValue(raw);
    // Bytes would keep the whole cached block alive: keep a copy of their own.
    if (value instanceof VBytes) value = new VBytes(Uint8Array.prototype.slice.call(raw));
    const out: [string, Value] = [name, value];
    if (payload.length <= MAX_CACHED_PAYLOAD) {
      if (this.data.size >= MAX_CACHED_DATA) this.data.delete(this.data.keys().next().value!);
      this.data.set(offset, out);
    }
    return out;
  }
}
