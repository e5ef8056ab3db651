/**
 * An NTFS volume read through any FileReader (a disk or partition image, a device): the boot
 * sector, the $MFT read through its own runlist (so a fragmented MFT works), files by MFT
 * entry, attribute streams, directory listings and path lookup (case-insensitive). Records,
 * files and listings are kept in small LRU tables; the volume is read in cached blocks, never
 * whole.
 */
import type { FileReader } from '../files/accessors.ts';
import { readFull } from '../files/accessors.ts';
import { NtfsError } from './errors.ts';
import { BlockCache } from '../files/block-cache.ts';
import { parseBootSector, type BootSector } from './boot.ts';
import { parseRecord, type MftRecord } from './record.ts';
import { ATTR_ATTRIBUTE_LIST, ATTR_DATA, ATTR_INDEX_ALLOCATION, ATTR_INDEX_ROOT, type Attribute } from './attributes.ts';
import { attributeReader } from './stream.ts';
import { attributePieces, gatherFile, type FileEntry } from './file-entry.ts';
import { readIndex, visibleEntries, type DirEntry } from './dir-index.ts';
import { Lru } from '../files/lru.ts';

export const ROOT_ENTRY = 5;

/** The largest attribute value read whole into memory (attribute lists, index roots). */
const MAX_VALUE = 64 * 1024 * 1024;

export class Volume {
  private mft!: FileReader;
  private readonly records = new Lru<number, Promise<MftRecord>>(4096);
  private readonly files = new Lru<number, Promise<FileEntry>>(4096);
  private readonly dirs = new Lru<number, Promise<DirEntry[]>>(512);

  private constructor(readonly disk: BlockCache, readonly boot: BootSector, readonly file: string) {}

  /** Opens the volume in `reader`; `file` names it in messages. */
  static async open(reader: FileReader, file: string): Promise<Volume> {
    const disk = new BlockCache(reader);
    const boot = parseBootSector(await disk.read(0, 512), file);
    const v = new Volume(disk, boot, file);
    await v.loadMft();
    return v;
  }

  get clusterSize(): number {
    return this.boot.clusterSize;
  }

  /** MFT entries the $MFT holds. */
  get recordCount(): number {
    return Math.floor((this.mft.size ?? 0) / this.boot.recordSize);
  }

  private async loadMft(): Promise<void> {
    const { recordSize, mftCluster } = this.boot;
    const b = new Uint8Array(await this.disk.read(mftCluster * this.clusterSize, recordSize));
    if (b.length < recordSize) throw new NtfsError(`the $MFT (cluster ${mftCluster}) is past the end of the image`, this.file);
    const rec0 = parseRecord(b, 0, this.boot.totalClusters, this.file);
    let pieces: Attribute[] = rec0.attributes.filter((a) => a.type === ATTR_DATA && a.name === '');
    if (!pieces.length || pieces[0]!.resident) throw new NtfsError('$MFT has no non-resident $DATA', `${this.file}, MFT entry 0`);
    this.mft = attributeReader(this.disk, this.clusterSize, pieces, `${this.file}, $MFT`);
    if (rec0.attributes.some((a) => a.type === ATTR_ATTRIBUTE_LIST)) {
      // A very fragmented $MFT keeps the rest of its runlist in extension records, which lie in
      // the part of the $MFT the base record already maps.
      const f = await this.gather(rec0);
      pieces = attributePieces(f, ATTR_DATA, '');
      this.mft = attributeReader(this.disk, this.clusterSize, pieces, `${this.file}, $MFT`);
      this.records.clear();
    }
  }

  private gather(base: MftRecord): Promise<FileEntry> {
    return gatherFile(base, (e) => this.record(e), (p) => this.readValue(p, `${this.file}, MFT entry ${base.entry}`), this.file);
  }

  /** The raw bytes of an MFT record (fixups not applied). */
  async rawRecord(entry: number): Promise<Uint8Array> {
    const size = this.boot.recordSize;
    if (!Number.isSafeInteger(entry) || entry < 0 || entry >= this.recordCount) {
      throw new NtfsError(`no such MFT entry (the $MFT has ${this.recordCount} entries)`, `${this.file}, MFT entry ${entry}`);
    }
    const b = await readFull(this.mft, entry * size, size);
    if (b.length < size) throw new NtfsError('the record is cut short', `${this.file}, MFT entry ${entry}`);
    return new Uint8Array(b);
  }

  /** The parsed MFT record of `entry`. */
  record(entry: number): Promise<MftRecord> {
    return this.records.getOrSet(entry, async () => parseRecord(await this.rawRecord(entry), entry, this.boot.totalClusters, this.file));
  }

  /** The file whose base record is `entry` (attributes of its extension records included). */
  fileEntry(entry: number): Promise<FileEntry> {
    return this.files.getOrSet(entry, async () => this.gather(await this.record(entry)));
  }

  /** A reader over the attribute made of `pieces`. */
  reader(pieces: readonly Attribute[], where: string): FileReader {
    return attributeReader(this.disk, this.clusterSize, pieces, `${this.file}, ${where}`);
  }

  /** An attribute's whole value (for small metadata attributes). */
  async readValue(pieces: readonly Attribute[], where: string): Promise<Uint8Array> {
    const first = pieces[0];
    if (!first) throw new NtfsError('no such attribute', where);
    if (first.resident) return first.value!;
    if (first.realSize > MAX_VALUE) throw new NtfsError(`attribute of ${first.realSize} bytes is too large`, where);
    return readFull(this.reader(pieces, where), 0, first.realSize);
  }

  /** The visible entries of directory `entry` (go-ntfs's listing); `warn` hears of damaged INDX records. */
  listDir(entry: number, warn: (m: string) => void): Promise<DirEntry[]> {
    return this.dirs.getOrSet(entry, async () => {
      const f = await this.fileEntry(entry);
      const where = `${this.file}, MFT entry ${entry}`;
      const root = attributePieces(f, ATTR_INDEX_ROOT, '$I30');
      if (!root.length) throw new NtfsError('not a directory (no $INDEX_ROOT $I30)', where);
      const alloc = attributePieces(f, ATTR_INDEX_ALLOCATION, '$I30');
      const entries = await readIndex({
        root: await this.readValue(root, where),
        allocation: alloc.length ? this.reader(alloc, `MFT entry ${entry}, $INDEX_ALLOCATION`) : null,
        clusterSize: this.clusterSize,
      }, where, warn);
      return visibleEntries(entries);
    });
  }

  /**
   * The entry `name` of directory `dir` (case-insensitive; an exact match first), or undefined.
   */
  async child(dir: number, name: string, warn: (m: string) => void): Promise<DirEntry | undefined> {
    const entries = await this.listDir(dir, warn);
    const exact = entries.find((e) => e.fn.name === name);
    if (exact) return exact;
    const lower = name.toLowerCase();
    return entries.find((e) => e.fn.name.toLowerCase() === lower);
  }

  close(): Promise<void> {
    return this.disk.close();
  }
}
