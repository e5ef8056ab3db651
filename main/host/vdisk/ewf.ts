/**
 * Expert Witness (EWF-E01, EnCase 1–6 and the formats libewf writes as such; SMART .s01) disk
 * images, read without unpacking them: the segment files (`.E01`, `.E02`... `.E99`, `.EAA`...)
 * are walked section by section, the `volume`/`disk` section gives the chunk and media sizes,
 * the `table` sections give where each chunk is (and whether it is zlib-compressed), and a read
 * inflates the chunks it touches (a few are kept). EWF2 (`.Ex01`) is another format: refused
 * with a message saying so.
 *
 * Damage is an error naming the segment and the section; a chunk that does not inflate is an
 * error naming the chunk and its offset in the media.
 */
import { inflateSync } from 'node:zlib';
import type { FileReader } from '../files/accessors.ts';
import { readFull } from '../files/accessors.ts';
import { Lru } from '../files/lru.ts';

export class EwfError extends Error {}

const EVF = Uint8Array.of(0x45, 0x56, 0x46, 0x09, 0x0d, 0x0a, 0xff, 0x00);
const LVF = Uint8Array.of(0x4c, 0x56, 0x46, 0x09, 0x0d, 0x0a, 0xff, 0x00);
const EVF2 = Uint8Array.of(0x45, 0x56, 0x46, 0x32, 0x0d, 0x0a, 0x81, 0x00);
const DESCRIPTOR = 76;
/** Sections walked in one segment at most (a loop guard). */
const MAX_SECTIONS = 1 << 20;
/** Chunks kept inflated. */
const KEPT_CHUNKS = 64;
/** Tables kept read (EnCase writes up to 16,375 entries per table). */
const KEPT_TABLES = 16;

/** zlib's Adler-32 of `b`. */
export function adler32(b: Uint8Array): number {
  let a = 1;
  let s = 0;
  for (let i = 0; i < b.length; ) {
    const end = Math.min(b.length, i + 3800); // sums stay below 2^31 between reductions
    for (; i < end; i++) {
      a += b[i]!;
      s += a;
    }
    a %= 65521;
    s %= 65521;
  }
  return ((s << 16) | a) >>> 0;
}

function startsWith(b: Uint8Array, sig: Uint8Array): boolean {
  return b.length >= sig.length && sig.every((x, i) => b[i] === x);
}

/** True when `head` is the start of an EWF (E01 or L01) segment file. */
export function isEwf(head: Uint8Array): boolean {
  return startsWith(head, EVF) || startsWith(head, LVF);
}

/** True when `head` is the start of an EWF2 (Ex01) file, which is not read here. */
export function isEwf2(head: Uint8Array): boolean {
  return startsWith(head, EVF2);
}

/**
 * The names of the segment files after `first` (`x.E01` → `x.E02`... `x.E99`, `x.EAA`... `x.EZZ`,
 * `x.FAA`...; `.s01` likewise in lower case), `count` of them.
 */
export function segmentName(first: string, index: number): string {
  const m = /^(.*\.)([A-Za-z])(\d\d)$/.exec(first);
  if (!m) throw new EwfError(`${first}: not the first segment of an EWF image (its name should end in .E01)`);
  const [, base, letter] = m;
  if (index < 99) return `${base}${letter}${String(index + 1).padStart(2, '0')}`;
  const upper = letter === letter!.toUpperCase();
  const A = (upper ? 'A' : 'a').charCodeAt(0);
  const n = index - 99;
  const first3 = letter!.charCodeAt(0) + Math.floor(n / (26 * 26));
  const name = String.fromCharCode(first3, A + (Math.floor(n / 26) % 26), A + (n % 26));
  return `${base}${name}`;
}

/**
 * A table section: where its entries are, read when a chunk it lists is first read (an image of
 * 1 TB has 30 million chunks: their places are not all held in memory).
 */
interface Table {
  /** The segment it is in. */
  readonly segment: number;
  /** The first chunk it lists, and how many. */
  readonly first: number;
  readonly count: number;
  /** Where its entries are in the segment, and the offset they are relative to. */
  readonly entriesAt: number;
  readonly base: number;
  /** Where the sectors holding its chunks end (the last chunk runs to it), and the segment's size. */
  readonly end: number;
  readonly fileSize: number;
}

/** A table's entries: each chunk's place, size and compression. */
interface TableEntries {
  readonly offsets: Float64Array;
  readonly sizes: Uint32Array;
  readonly compressed: Uint8Array;
}

/** What a segment opener gives: a reader, or null when there is no such segment. */
export type SegmentOpener = (index: number) => Promise<FileReader | null>;

export interface EwfInfo {
  readonly mediaSize: number;
  readonly chunkSize: number;
  readonly bytesPerSector: number;
  readonly segments: number;
}

export class EwfImage implements FileReader {
  private readonly kept = new Lru<number, Promise<Uint8Array>>(KEPT_CHUNKS);
  private readonly entries = new Lru<number, Promise<TableEntries>>(KEPT_TABLES);

  private constructor(
    readonly label: string,
    private readonly readers: FileReader[],
    private readonly tables: Table[],
    readonly info: EwfInfo,
  ) {}

  get size(): number {
    return this.info.mediaSize;
  }

  /**
   * Opens the image whose segments `open` gives (index 0 is the .E01), reading every segment's
   * sections and chunk tables. The readers are kept until close().
   */
  static async open(label: string, open: SegmentOpener): Promise<EwfImage> {
    const readers: FileReader[] = [];
    try {
      const tables: Table[] = [];
      let chunkTotal = 0;
      let chunkSize = 0;
      let bytesPerSector = 512;
      let sectors = 0;
      let chunkCount = 0;
      let done = false;
      for (let index = 0; !done; index++) {
        const r = await open(index);
        if (!r) {
          if (index === 0) throw new EwfError(`${label}: cannot open its first segment`);
          break; // the last segment ended without "done": read what the tables give
        }
        readers.push(r);
        const where = index === 0 ? label : `${label} (segment ${index + 1})`;
        const head = await readFull(r, 0, 13);
        if (isEwf2(head)) throw new EwfError(`${where}: an EWF2 (Ex01) image: only E01 (EWF1) images are read; convert it with ewfexport -f raw`);
        if (!isEwf(head)) throw new EwfError(`${where}: not an EWF segment (the signature EVF 09 0D 0A FF 00 is missing)`);
        const number = head[9]! | (head[10]! << 8);
        if (number !== index + 1) throw new EwfError(`${where}: is segment number ${number}, expected ${index + 1}`);
        const size = r.size ?? Infinity;
        const sectorsSections: Array<[number, number]> = [];
        let pos = 13;
        for (let n = 0; ; n++) {
          if (n > MAX_SECTIONS) throw new EwfError(`${where}: too many sections (a loop?)`);
          const d = await readFull(r, pos, DESCRIPTOR);
          if (d.length < DESCRIPTOR) throw new EwfError(`${where}: truncated: the section descriptor at byte ${pos} is cut short`);
          const dv = new DataView(d.buffer, d.byteOffset, d.length);
          const type = Buffer.from(d.subarray(0, 16)).toString('latin1').replace(/\0.*$/s, '');
          const next = Number(dv.getBigUint64(16, true));
          const sectionSize = Number(dv.getBigUint64(24, true));
          const body = pos + DESCRIPTOR;
          if (type === 'volume' || type === 'disk') {
            const v = await readFull(r, body, 24);
            if (v.length < 24) throw new EwfError(`${where}: the volume section at byte ${pos} is truncated`);
            const vv = new DataView(v.buffer, v.byteOffset, v.length);
            chunkCount = vv.getUint32(4, true);
            const perChunk = vv.getUint32(8, true);
            bytesPerSector = vv.getUint32(12, true);
            sectors = Number(vv.getBigUint64(16, true));
            // SMART's volume section has a 32-bit sector count; the high half is then padding.
            if (sectors > Number.MAX_SAFE_INTEGER / 4096) sectors = vv.getUint32(16, true);
            chunkSize = perChunk * bytesPerSector;
            if (!chunkSize || chunkSize > 1 << 30) throw new EwfError(`${where}: the volume section gives a chunk of ${perChunk} sectors of ${bytesPerSector} bytes`);
          } else if (type === 'sectors') {
            sectorsSections.push([pos, pos + sectionSize]);
          } else if (type === 'table') {
            const t = await readFull(r, body, 24);
            if (t.length < 24) throw new EwfError(`${where}: the table section at byte ${pos} is truncated`);
            const tv = new DataView(t.buffer, t.byteOffset, t.length);
            const count = tv.getUint32(0, true);
            const base = Number(tv.getBigUint64(8, true));
            if (sectionSize && count > (sectionSize - DESCRIPTOR - 24) / 4) throw new EwfError(`${where}: the table at byte ${pos} names ${count} chunks, more than it holds`);
            // Its last chunk runs to the end of the sectors section before it; without one (SMART,
            // EnCase 1) the chunks follow the entries inside this section, to its end.
            const end = sectorsSections.length ? Math.min(sectorsSections[sectorsSections.length - 1]![1], pos) : pos + sectionSize;
            tables.push({ segment: index, first: chunkTotal, count, entriesAt: body + 24, base, end, fileSize: size });
            chunkTotal += count;
          } else if (type === 'done') {
            done = true;
            break;
          } else if (type === 'next') {
            break;
          }
          if (next === pos || next === 0) break; // the last section points at itself
          if (next < pos + DESCRIPTOR || next > size) throw new EwfError(`${where}: the ${type || 'unnamed'} section at byte ${pos} points at ${next}, outside the file`);
          pos = next;
        }
      }
      if (!chunkSize) throw new EwfError(`${label}: no volume section: not an image of a disk (an L01 logical evidence file?)`);
      if (chunkCount && chunkTotal < chunkCount) throw new EwfError(`${label}: ${chunkTotal} of its ${chunkCount} chunks were found: a segment file is missing or damaged (${readers.length} segment${readers.length === 1 ? '' : 's'} read)`);
      const mediaSize = Math.min(sectors * bytesPerSector, chunkTotal * chunkSize);
      return new EwfImage(label, readers, tables, { mediaSize, chunkSize, bytesPerSector, segments: readers.length });
    } catch (e) {
      await Promise.all(readers.map((r) => r.close().catch(() => {})));
      throw e;
    }
  }

  private chunk(i: number): Promise<Uint8Array> {
    return this.kept.getOrSet(i, () => this.loadChunk(i));
  }

  /** The table listing chunk `i` (binary search by first chunk). */
  private tableOf(i: number): number {
    let lo = 0;
    let hi = this.tables.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.tables[mid]!.first <= i) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private tableEntries(k: number): Promise<TableEntries> {
    return this.entries.getOrSet(k, async () => {
      const t = this.tables[k]!;
      const where = `${this.label}${t.segment ? ` (segment ${t.segment + 1})` : ''}`;
      const raw = await readFull(this.readers[t.segment]!, t.entriesAt, t.count * 4);
      if (raw.length < t.count * 4) throw new EwfError(`${where}: the table at byte ${t.entriesAt - 24 - DESCRIPTOR} is truncated`);
      const v = new DataView(raw.buffer, raw.byteOffset, raw.length);
      const offsets = new Float64Array(t.count);
      const sizes = new Uint32Array(t.count);
      const compressed = new Uint8Array(t.count);
      for (let j = 0; j < t.count; j++) {
        const e = v.getUint32(j * 4, true);
        offsets[j] = t.base + (e & 0x7fffffff);
        compressed[j] = e >>> 31;
      }
      // A chunk runs to the next one; the last to the end of the sectors that hold them.
      for (let j = 0; j < t.count; j++) {
        const end = j + 1 < t.count ? offsets[j + 1]! : t.end;
        if (end <= offsets[j]! || end > t.fileSize) throw new EwfError(`${where}: chunk ${t.first + j} at byte ${offsets[j]} has no room (its end ${end}; the file has ${t.fileSize} bytes)`);
        sizes[j] = end - offsets[j]!;
      }
      return { offsets, sizes, compressed };
    });
  }

  private async loadChunk(i: number): Promise<Uint8Array> {
    const k = this.tableOf(i);
    const t = this.tables[k]!;
    const e = await this.tableEntries(k);
    const j = i - t.first;
    const c = { offset: e.offsets[j]!, size: e.sizes[j]!, compressed: e.compressed[j] === 1 };
    const raw = await readFull(this.readers[t.segment]!, c.offset, c.size);
    const where = () => `${this.label}: chunk ${i} (media bytes ${i * this.info.chunkSize}–${(i + 1) * this.info.chunkSize - 1})`;
    if (raw.length < c.size) throw new EwfError(`${where()} is truncated`);
    if (!c.compressed) {
      // The chunk's data, then its Adler-32 (when there is room for one).
      const n = Math.min(raw.length, this.info.chunkSize);
      if (raw.length >= n + 4) {
        const stored = new DataView(raw.buffer, raw.byteOffset + n, 4).getUint32(0, true);
        if (adler32(raw.subarray(0, n)) !== stored) throw new EwfError(`${where()}: its checksum does not match its data (the image is damaged)`);
      }
      return raw.subarray(0, n);
    }
    try {
      return inflateSync(raw, { finishFlush: 2 /* Z_SYNC_FLUSH: trailing bytes are ignored */ });
    } catch (e) {
      throw new EwfError(`${where()} does not inflate: ${(e as Error).message}`);
    }
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const end = Math.min(this.size, offset + length);
    if (offset >= end) return new Uint8Array(0);
    const out = new Uint8Array(end - offset);
    const cs = this.info.chunkSize;
    for (let pos = offset; pos < end; ) {
      const i = Math.floor(pos / cs);
      const data = await this.chunk(i);
      const within = pos - i * cs;
      const n = Math.min(cs - within, end - pos);
      if (data.length < within + n) throw new EwfError(`${this.label}: chunk ${i} holds ${data.length} bytes, ${within + n} were expected`);
      out.set(data.subarray(within, within + n), pos - offset);
      pos += n;
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.readers.map((r) => r.close().catch(() => {})));
  }
}
