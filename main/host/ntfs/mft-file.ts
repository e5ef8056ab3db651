/**
 * A bare $MFT (a copied file, or the $MFT of a volume read through an accessor) read record by
 * record, with no volume: the record size from the first record's header, files by entry (for
 * path resolution, kept in an LRU table) and sequential reading in large pieces.
 */
import type { FileReader } from '../files/accessors.ts';
import { readFull } from '../files/accessors.ts';
import { NtfsError } from './errors.ts';
import { fileOf, type FileEntry } from './file-entry.ts';
import { parseRecord, recordSizeOf } from './record.ts';
import { Lru } from '../files/lru.ts';
import { PathResolver } from './paths.ts';

/** Runs are not checked against a volume size: there is no volume. */
const NO_VOLUME = Number.MAX_SAFE_INTEGER;

export class MftFile {
  private readonly files = new Lru<number, Promise<FileEntry | null>>(8192);
  readonly resolver: PathResolver;

  constructor(private readonly reader: FileReader, readonly recordSize: number, readonly name: string) {
    this.resolver = new PathResolver(async (e) => {
      const f = await this.file(e);
      return f ? { seq: f.seq, inUse: f.inUse, fileNames: f.fileNames } : null;
    });
  }

  /** Opens the $MFT in `reader`, its record size read from the first record (1024 when unreadable). */
  static async open(reader: FileReader, name: string): Promise<MftFile> {
    const head = await readFull(reader, 0, 64);
    const size = recordSizeOf(head);
    return new MftFile(reader, size >= 256 && size <= 65536 && (size & (size - 1)) === 0 ? size : 1024, name);
  }

  /** The file of entry `e` from its record alone (null when the record is empty or damaged). */
  file(e: number): Promise<FileEntry | null> {
    return this.files.getOrSet(e, async () => {
      const b = await readFull(this.reader, e * this.recordSize, this.recordSize);
      if (b.length < this.recordSize) return null;
      try {
        return fileOfRecord(new Uint8Array(b), e, this.name);
      } catch {
        return null;
      }
    });
  }

  /**
   * The extension records of every base record (entry -> its extensions), from the base
   * reference in each record's header: a first pass over the file, reading nothing else.
   */
  async extensionMap(total: number, signal: AbortSignal): Promise<Map<number, number[]>> {
    const out = new Map<number, number[]>();
    const per = 1024;
    for (let first = 0; first < total && !signal.aborted; first += per) {
      const b = await this.chunk(first, per);
      const n = Math.floor(b.length / this.recordSize);
      for (let i = 0; i < n; i++) {
        const at = i * this.recordSize;
        if (b[at] !== 0x46 || b[at + 1] !== 0x49 || b[at + 2] !== 0x4c || b[at + 3] !== 0x45) continue;
        const base = (b[at + 32]! | (b[at + 33]! << 8) | (b[at + 34]! << 16)) + b[at + 35]! * 0x1000000 + (b[at + 36]! | (b[at + 37]! << 8)) * 0x1_0000_0000;
        if (base === 0 || base === first + i) continue;
        const list = out.get(base);
        if (list) list.push(first + i);
        else out.set(base, [first + i]);
      }
      if (n < per) break;
    }
    return out;
  }

  /** `f` with the attributes (names, streams) of its extension records `exts` added (those that belong to it). */
  async withExtensions(f: FileEntry, exts: readonly number[]): Promise<FileEntry> {
    const attributes = [...f.attributes];
    const fileNames = [...f.fileNames];
    for (const e of exts.slice(0, 4096)) {
      const x = await this.file(e);
      if (!x || x.baseEntry !== f.entry) continue;
      attributes.push(...x.attributes);
      fileNames.push(...x.fileNames);
    }
    return { ...f, attributes, fileNames };
  }

  /** Remembers a file parsed by the sequential scan (so path resolution does not read it again). */
  remember(f: FileEntry): void {
    this.files.set(f.entry, Promise.resolve(f));
  }

  /** Reads `count` records from `first` (fewer at the end of the file). */
  async chunk(first: number, count: number): Promise<Uint8Array> {
    return readFull(this.reader, first * this.recordSize, count * this.recordSize, 1 << 20);
  }
}

/** A file from one record, with no attribute list followed (there is no volume to read it from). */
export function fileOfRecord(b: Uint8Array, entry: number, where: string): FileEntry {
  const r = parseRecord(b, entry, NO_VOLUME, where);
  return { ...fileOf(r, r.attributes, where), baseEntry: r.baseEntry };
}

/** True when the error is the damage of one record (the scan goes on). */
export function isRecordDamage(e: unknown): e is NtfsError {
  return e instanceof NtfsError;
}

