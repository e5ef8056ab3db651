/**
 * A reader of OLE2 compound files ([MS-CFB]: .doc, .xls, .ppt, .msi, .msg, jump lists,
 * vbaProject.bin), read through any FileReader, never whole: the header, the FAT (with its
 * DIFAT chain), the directory's red-black trees, and streams through the FAT or, below the
 * mini stream cutoff, through the mini FAT inside the root entry's stream.
 *
 * Damage is an error that says what and where (`CfbError`); chains that loop or leave the file
 * are cut, and trees that loop are walked once, so no file can hang a reader.
 */
import type { FileReader } from '../files/accessors.ts';
import { readFull } from '../files/accessors.ts';

export class CfbError extends Error {}

export const CFB_SIGNATURE = Uint8Array.of(0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1);

const FREE = 0xffffffff;
const END_OF_CHAIN = 0xfffffffe;
const NO_STREAM = 0xffffffff;
/** A FAT this large (entries) would describe a 64 GiB file: refused as damage. */
const MAX_FAT_ENTRIES = 1 << 28;

export const enum EntryType {
  Empty = 0,
  Storage = 1,
  Stream = 2,
  Root = 5,
}

export interface CfbEntry {
  /** Its index in the directory. */
  readonly id: number;
  readonly name: string;
  readonly type: EntryType;
  readonly size: number;
  readonly start: number;
  /** FILETIMEs (100 ns since 1601); 0 when not set. */
  readonly created: bigint;
  readonly modified: bigint;
  /** The storage's CLSID as text (`{...}`), '' when zero. */
  readonly clsid: string;
  /** Children of a storage or the root, by name order as the tree holds them. */
  readonly children: CfbEntry[];
}

/** True when `head` starts with the compound file signature. */
export function isCfb(head: Uint8Array): boolean {
  return head.length >= 8 && CFB_SIGNATURE.every((b, i) => head[i] === b);
}

function guid(b: Uint8Array, at: number): string {
  const v = new DataView(b.buffer, b.byteOffset + at, 16);
  if (b.subarray(at, at + 16).every((x) => x === 0)) return '';
  const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
  const tail = [...b.subarray(at + 8, at + 16)].map((x) => hex(x, 2)).join('');
  return `{${hex(v.getUint32(0, true), 8)}-${hex(v.getUint16(4, true), 4)}-${hex(v.getUint16(6, true), 4)}-${tail.slice(0, 4)}-${tail.slice(4)}}`.toUpperCase();
}

export class CfbFile {
  readonly root: CfbEntry;
  /** Every directory entry by index (empty slots are undefined). */
  readonly entries: ReadonlyArray<CfbEntry | undefined>;

  private constructor(
    private readonly reader: FileReader,
    readonly label: string,
    private readonly sectorSize: number,
    private readonly fat: Uint32Array,
    private readonly miniFat: Uint32Array,
    private readonly miniCutoff: number,
    private readonly sectors: number,
    entries: Array<CfbEntry | undefined>,
  ) {
    this.entries = entries;
    this.root = entries[0]!;
  }

  /** Reads the header, FAT, mini FAT and directory of the compound file `reader` holds. */
  static async open(reader: FileReader, label: string): Promise<CfbFile> {
    const fail = (m: string): never => {
      throw new CfbError(`${label}: ${m}`);
    };
    const h = await readFull(reader, 0, 512);
    if (h.length < 512) fail(`not a compound file: ${h.length} bytes, a header is 512`);
    if (!isCfb(h)) fail('not a compound file (OLE2): the signature D0 CF 11 E0 A1 B1 1A E1 is missing');
    const v = new DataView(h.buffer, h.byteOffset, 512);
    const shift = v.getUint16(30, true);
    if (shift !== 9 && shift !== 12) fail(`sector shift ${shift} (only 9 and 12 exist)`);
    const miniShift = v.getUint16(32, true);
    if (miniShift !== 6) fail(`mini sector shift ${miniShift} (only 6 exists)`);
    const sectorSize = 1 << shift;
    const size = reader.size ?? fail('its size is unknown: a compound file must be a file');
    const sectors = Math.max(0, Math.ceil((size - sectorSize) / sectorSize));
    const numFat = v.getUint32(44, true);
    const firstDir = v.getUint32(48, true);
    const miniCutoff = v.getUint32(56, true);
    const firstMiniFat = v.getUint32(60, true);
    const numMiniFat = v.getUint32(64, true);
    let difatSector = v.getUint32(68, true);
    const numDifat = v.getUint32(72, true);
    const perSector = sectorSize / 4;
    if (numFat * perSector > MAX_FAT_ENTRIES) fail(`${numFat} FAT sectors: more than a compound file can hold`);

    const at = (sector: number) => (sector + 1) * sectorSize;
    const readSector = async (sector: number, what: string): Promise<Uint8Array> => {
      if (sector >= sectors) fail(`${what} points at sector ${sector}, past the end of the file (${sectors} sectors)`);
      const b = await readFull(reader, at(sector), sectorSize);
      if (b.length < sectorSize) fail(`${what}: sector ${sector} is truncated`);
      return b;
    };

    // The FAT's sectors: 109 in the header, the rest in the DIFAT chain.
    const fatSectors: number[] = [];
    for (let i = 0; i < 109 && fatSectors.length < numFat; i++) fatSectors.push(v.getUint32(76 + i * 4, true));
    for (let n = 0; fatSectors.length < numFat && difatSector !== END_OF_CHAIN && difatSector !== FREE; n++) {
      if (n > numDifat + 1 || n > sectors) fail('the DIFAT chain loops');
      const b = await readSector(difatSector, 'the DIFAT');
      const d = new DataView(b.buffer, b.byteOffset, b.length);
      for (let i = 0; i < perSector - 1 && fatSectors.length < numFat; i++) fatSectors.push(d.getUint32(i * 4, true));
      difatSector = d.getUint32(sectorSize - 4, true);
    }
    if (fatSectors.length < numFat) fail(`the header names ${numFat} FAT sectors, ${fatSectors.length} were found`);
    const fat = new Uint32Array(numFat * perSector);
    for (let i = 0; i < numFat; i++) {
      const b = await readSector(fatSectors[i]!, `FAT sector ${i}`);
      fat.set(new Uint32Array(b.slice().buffer, 0, perSector), i * perSector);
    }

    const chainOf = (start: number, table: Uint32Array, limit: number, what: string): number[] => {
      const out: number[] = [];
      for (let s = start; s !== END_OF_CHAIN && s !== FREE; s = table[s]!) {
        if (s >= table.length || s >= limit) fail(`${what}: its chain points at ${s}, past the end (${Math.min(table.length, limit)})`);
        if (out.length >= limit) fail(`${what}: its chain loops`);
        out.push(s);
      }
      return out;
    };
    const readChain = async (start: number, what: string): Promise<Uint8Array> => {
      const chain = chainOf(start, fat, sectors, what);
      const out = new Uint8Array(chain.length * sectorSize);
      for (let i = 0; i < chain.length; i++) out.set(await readSector(chain[i]!, what), i * sectorSize);
      return out;
    };

    const miniBytes = numMiniFat && firstMiniFat !== END_OF_CHAIN ? await readChain(firstMiniFat, 'the mini FAT') : new Uint8Array(0);
    const miniFat = new Uint32Array(miniBytes.buffer, miniBytes.byteOffset, miniBytes.length >>> 2);

    const dir = await readChain(firstDir, 'the directory');
    const count = dir.length / 128;
    const raw: Array<{ e: CfbEntry; left: number; right: number; child: number } | undefined> = [];
    const dv = new DataView(dir.buffer, dir.byteOffset, dir.length);
    for (let i = 0; i < count; i++) {
      const o = i * 128;
      const type = dir[o + 66]! as EntryType;
      if (type !== EntryType.Storage && type !== EntryType.Stream && type !== EntryType.Root) {
        raw.push(undefined);
        continue;
      }
      const nameLen = Math.min(64, dv.getUint16(o + 64, true));
      const name = Buffer.from(dir.subarray(o, o + Math.max(0, nameLen - 2))).toString('utf16le');
      const high = shift === 9 ? 0 : dv.getUint32(o + 124, true);
      const e: CfbEntry = {
        id: i,
        name,
        type,
        size: high * 2 ** 32 + dv.getUint32(o + 120, true),
        start: dv.getUint32(o + 116, true),
        created: dv.getBigUint64(o + 100, true),
        modified: dv.getBigUint64(o + 108, true),
        clsid: guid(dir, o + 80),
        children: [],
      };
      raw.push({ e, left: dv.getUint32(o + 68, true), right: dv.getUint32(o + 72, true), child: dv.getUint32(o + 76, true) });
    }
    if (!raw[0] || raw[0].e.type !== EntryType.Root) fail('the directory has no root entry');

    // Each storage's children: its child's tree, in order; every entry is placed once at most.
    const placed = new Set<number>([0]);
    const storages = [raw[0]];
    while (storages.length) {
      const s = storages.pop()!;
      const stack: number[] = [];
      const walk = (id: number) => {
        // In-order over left/right siblings, iteratively (a degenerate tree may be deep).
        let cur = id;
        for (;;) {
          while (cur !== NO_STREAM && raw[cur] && !placed.has(cur)) {
            placed.add(cur);
            stack.push(cur);
            cur = raw[cur]!.left;
          }
          const next = stack.pop();
          if (next === undefined) return;
          const r = raw[next]!;
          s.e.children.push(r.e);
          if (r.e.type === EntryType.Storage) storages.push(r);
          cur = r.right;
        }
      };
      walk(s.child);
    }
    return new CfbFile(reader, label, sectorSize, fat, miniFat, miniCutoff, sectors, raw.map((r) => r?.e));
  }

  /** The entry at `path` (names matched case-insensitively, as Windows does), or undefined. */
  find(path: readonly string[]): CfbEntry | undefined {
    let e: CfbEntry | undefined = this.root;
    for (const name of path) {
      const want = name.toLowerCase();
      e = e.children.find((c) => c.name === name) ?? e.children.find((c) => c.name.toLowerCase() === want);
      if (!e) return undefined;
    }
    return e;
  }

  /**
   * A reader over a stream's bytes (its size is the entry's, cut to what its chain holds), read
   * through `file`: the reader the compound file was opened with, or another over the same
   * bytes (an accessor keeps the parsed file and opens the container again for each stream).
   */
  stream(e: CfbEntry, file: FileReader = this.reader): FileReader {
    if (e.type !== EntryType.Stream) throw new CfbError(`${this.label}: ${e.name} is a storage, not a stream`);
    const mini = e.size < this.miniCutoff;
    return this.readerOver(file, e.name, this.chainOf(e.name, e.start, e.size, mini), mini);
  }

  /** The root's stream, where the mini sectors are: its chain, walked once. */
  private miniStream?: { chain: number[]; length: number };

  /** The sectors (or mini sectors) of a stream's chain, as many as its size needs. */
  private chainOf(name: string, start: number, size: number, mini: boolean): { chain: number[]; length: number } {
    const unit = mini ? 64 : this.sectorSize;
    const table = mini ? this.miniFat : this.fat;
    const limit = mini ? this.miniFat.length : this.sectors;
    const chain: number[] = [];
    for (let s = start; s !== END_OF_CHAIN && s !== FREE && chain.length * unit < size; s = table[s]!) {
      if (s >= table.length || s >= limit || chain.length > limit) {
        throw new CfbError(`${this.label}: stream ${name}: its ${mini ? 'mini ' : ''}chain is damaged at ${s}`);
      }
      chain.push(s);
    }
    return { chain, length: Math.min(size, chain.length * unit) };
  }

  private readerOver(file: FileReader, name: string, { chain, length }: { chain: number[]; length: number }, mini: boolean): FileReader {
    const unit = mini ? 64 : this.sectorSize;
    const base = mini ? this.readerOver(file, '(mini stream)', (this.miniStream ??= this.chainOf('(mini stream)', this.root.start, this.root.size, false)), false) : file;
    const sectorSize = this.sectorSize;
    const label = this.label;
    return {
      size: length,
      async read(offset, want) {
        const end = Math.min(length, offset + want);
        if (offset >= end) return new Uint8Array(0);
        const out = new Uint8Array(end - offset);
        for (let pos = offset; pos < end; ) {
          const i = Math.floor(pos / unit);
          const within = pos - i * unit;
          // Consecutive sectors are read at once.
          let run = 1;
          while (i + run < chain.length && chain[i + run] === chain[i]! + run && (i + run) * unit < end) run++;
          const n = Math.min(run * unit - within, end - pos);
          const where = mini ? chain[i]! * 64 + within : (chain[i]! + 1) * sectorSize + within;
          const b = await readFull(base, where, n);
          if (b.length < n) throw new CfbError(`${label}: stream ${name} is truncated`);
          out.set(b, pos - offset);
          pos += n;
        }
        return out;
      },
      close: async () => {},
    };
  }

  /** A whole stream (callers cap the size). */
  async read(e: CfbEntry, file: FileReader = this.reader): Promise<Uint8Array> {
    const r = this.stream(e, file);
    return r.read(0, r.size ?? 0);
  }
}
