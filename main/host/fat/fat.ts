/**
 * A reader of FAT12, FAT16 and FAT32 volumes (a USB stick, an EFI system partition), read
 * through any FileReader, never whole: the boot sector, the FAT in 64 KiB pages as chains need
 * them, directories when listed (kept parsed) and file clusters when read.
 *
 * Directory entries give VFAT long names (LFN entries, taken only when their checksum matches
 * the 8.3 entry that follows them), else the 8.3 name with Windows NT's lowercase flags;
 * attributes; sizes; and times. FAT stores local time with no zone: times are read as if they
 * were UTC. Damage is a `FatError` naming the image and the file: a cluster chain that loops,
 * leaves the volume, meets a free or bad cluster, or ends before the file's size; bytes past
 * the end of a cut image. exFAT, NTFS and anything else are refused at open.
 */
import { readFull, type FileReader } from '../files/accessors.ts';
import { Lru } from '../files/lru.ts';

export class FatError extends Error {}

export type FatType = 12 | 16 | 32;

/** A file or folder of the volume (the root is a folder with `isRoot`). */
export interface FatEntry {
  /** The long name, else the 8.3 name with its NT case flags applied (`readme.txt`). */
  readonly name: string;
  /** The 8.3 name as stored (`README.TXT`; '' for the root). */
  readonly shortName: string;
  /** The attribute byte (FAT_ATTR bits). */
  readonly attributes: number;
  readonly isDir: boolean;
  readonly isRoot?: boolean;
  readonly size: number;
  readonly firstCluster: number;
  /** Milliseconds since 1970, the volume's local time read as UTC; null when not set. */
  readonly created: number | null;
  readonly modified: number | null;
  readonly accessed: number | null;
}

export const FAT_ATTR = { READONLY: 0x01, HIDDEN: 0x02, SYSTEM: 0x04, VOLUME_LABEL: 0x08, DIRECTORY: 0x10, ARCHIVE: 0x20, DEVICE: 0x40 } as const;
const LFN_ATTR = 0x0f;

/** The attribute names set in `attr`, sorted (`["ARCHIVE", "HIDDEN"]`). */
export function attributeNames(attr: number): string[] {
  return Object.entries(FAT_ATTR).filter(([, bit]) => attr & bit).map(([name]) => name).sort();
}

/** The boot sector's geometry. */
export interface FatBoot {
  readonly type: FatType;
  readonly bytesPerSector: number;
  readonly clusterSize: number;
  /** Data clusters: numbered 2 .. clusterCount + 1. */
  readonly clusterCount: number;
  /** Byte offsets of the FAT in use, the fixed root directory (FAT12/16) and cluster 2. */
  readonly fatOffset: number;
  readonly fatBytes: number;
  readonly rootOffset: number;
  readonly rootBytes: number;
  readonly dataOffset: number;
  /** FAT32's root directory cluster (0 on FAT12/16). */
  readonly rootCluster: number;
  /** The volume's size in bytes, as its boot sector gives it. */
  readonly volumeBytes: number;
}

const isPow2 = (n: number) => n > 0 && (n & (n - 1)) === 0;

/** What a boot sector that is not FAT looks like, for the refusal message. */
function notFatHint(b: Uint8Array): string {
  const oem = Buffer.from(b.subarray(3, 11)).toString('latin1');
  if (oem === 'NTFS    ') return ' (an NTFS volume: read it with the raw_ntfs accessor)';
  const mbr = b[510] === 0x55 && b[511] === 0xaa && [0, 1, 2, 3].some((i) => b[446 + i * 16 + 4] !== 0);
  if (mbr) return ' (it looks like a whole disk with a partition table: open the partition with the offset accessor)';
  return '';
}

/** Parses and checks the boot sector `b` (512 bytes or more) of `label`. */
export function parseBoot(b: Uint8Array, label: string): FatBoot {
  if (b.length < 512) throw new FatError(`${label}: not a FAT volume: no valid boot sector (the image holds ${b.length} bytes)`);
  if (Buffer.from(b.subarray(3, 11)).toString('latin1') === 'EXFAT   ') throw new FatError(`${label}: an exFAT volume: not read here (only FAT12, FAT16 and FAT32)`);
  const v = new DataView(b.buffer, b.byteOffset, 512);
  const bps = v.getUint16(11, true);
  const spc = b[13]!;
  const reserved = v.getUint16(14, true);
  const fats = b[16]!;
  const rootEntries = v.getUint16(17, true);
  const media = b[21]!;
  const fat16Size = v.getUint16(22, true);
  const total = v.getUint16(19, true) || v.getUint32(32, true);
  const isFat32 = fat16Size === 0;
  const fatSize = isFat32 ? v.getUint32(36, true) : fat16Size;
  const bad = (why: string): never => {
    throw new FatError(`${label}: not a FAT volume: no valid boot sector (${why})${notFatHint(b)}`);
  };
  if (![512, 1024, 2048, 4096].includes(bps)) bad(`bytes per sector is ${bps}, not 512, 1024, 2048 or 4096`);
  if (!isPow2(spc) || spc > 128) bad(`sectors per cluster is ${spc}, not a power of 2 up to 128`);
  if (reserved === 0) bad('no reserved sectors');
  if (fats === 0 || fats > 4) bad(`${fats} FATs`);
  if (media !== 0xf0 && media < 0xf8) bad(`media byte 0x${media.toString(16)}`);
  if (fatSize === 0) bad('a FAT of 0 sectors');
  if (total === 0) bad('a volume of 0 sectors');
  if (isFat32 && rootEntries !== 0) bad('a FAT32 layout with a fixed root directory');
  const rootSectors = Math.ceil((rootEntries * 32) / bps);
  const dataSector = reserved + fats * fatSize + rootSectors;
  if (dataSector >= total) bad(`its data area starts at sector ${dataSector}, past its ${total} sectors`);
  let clusterCount = Math.floor((total - dataSector) / spc);
  // The type is the cluster count's (Microsoft's rule), save that a FAT32 layout is FAT32 (as Linux).
  const type: FatType = isFat32 ? 32 : clusterCount < 4085 ? 12 : 16;
  clusterCount = Math.min(clusterCount, Math.floor((fatSize * bps * 8) / type) - 2);
  if (clusterCount < 1) bad('no data clusters');
  // FAT32 may stop mirroring: bit 7 of the extended flags, the active FAT in bits 0-3.
  const ext = isFat32 ? v.getUint16(40, true) : 0;
  const active = ext & 0x80 && (ext & 0x0f) < fats ? ext & 0x0f : 0;
  const rootCluster = isFat32 ? v.getUint32(44, true) : 0;
  if (isFat32 && (rootCluster < 2 || rootCluster > clusterCount + 1)) bad(`its root directory cluster ${rootCluster} is not in the volume`);
  return {
    type,
    bytesPerSector: bps,
    clusterSize: spc * bps,
    clusterCount,
    fatOffset: (reserved + active * fatSize) * bps,
    fatBytes: Math.ceil(((clusterCount + 2) * type) / 8),
    rootOffset: (reserved + fats * fatSize) * bps,
    rootBytes: rootEntries * 32,
    dataOffset: dataSector * bps,
    rootCluster,
    volumeBytes: total * bps,
  };
}

// Code page 437's upper half (the OEM code page of US Windows, and Linux's default for 8.3 names).
const CP437 =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀' +
  'αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

function oem(bytes: Uint8Array): string {
  let s = '';
  for (const c of bytes) s += c < 0x80 ? String.fromCharCode(c) : CP437[c - 0x80];
  return s;
}

/** The LFN checksum of an 8.3 entry's 11 name bytes. */
export function lfnChecksum(name: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < 11; i++) sum = ((((sum & 1) << 7) | (sum >> 1)) + name[i]!) & 0xff;
  return sum;
}

/** Milliseconds of a FAT date and time (local time read as UTC), or null when unset or invalid. */
export function fatTime(date: number, time: number, centis = 0): number | null {
  if (date === 0) return null;
  const year = 1980 + (date >> 9);
  const month = (date >> 5) & 0x0f;
  const day = date & 0x1f;
  const h = time >> 11;
  const m = (time >> 5) & 0x3f;
  const s = (time & 0x1f) * 2;
  if (month < 1 || month > 12 || day < 1 || h > 23 || m > 59 || s > 59) return null;
  const ms = Date.UTC(year, month - 1, day, h, m, s) + (centis <= 199 ? centis * 10 : 0);
  return new Date(ms).getUTCDate() === day ? ms : null; // 31 February is not a date
}

/** The 13 UCS-2 characters of an LFN entry, up to the terminating 0. */
function lfnChars(v: DataView, at: number): string {
  let s = '';
  for (const [from, n] of [[1, 5], [14, 6], [28, 2]] as const) {
    for (let i = 0; i < n; i++) {
      const c = v.getUint16(at + from + i * 2, true);
      if (c === 0) return s;
      s += String.fromCharCode(c);
    }
  }
  return s;
}

/**
 * The entries of a directory, from its bytes fed in order (a cluster run at a time: a long name
 * may straddle two runs). `.`, `..`, volume labels and deleted entries are left out; `ended`
 * tells that the end marker (an entry starting with 0) was met.
 */
export class DirectoryParser {
  readonly entries: FatEntry[] = [];
  ended = false;
  // The LFN entries seen so far: they come last part first, numbered down to 1.
  private lfn: { parts: string[]; next: number; sum: number } | null = null;

  constructor(private readonly type: FatType) {}

  feed(b: Uint8Array): void {
    const v = new DataView(b.buffer, b.byteOffset, b.length);
    for (let at = 0; at + 32 <= b.length && !this.ended; at += 32) this.entry(b, v, at);
  }

  private entry(b: Uint8Array, v: DataView, at: number): void {
    const first = b[at]!;
    const attr = b[at + 11]!;
    if (first === 0) {
      this.ended = true;
      return;
    }
    if (first === 0xe5) {
      this.lfn = null;
      return;
    }
    if ((attr & 0x3f) === LFN_ATTR) {
      const ord = first & 0x1f;
      const sum = b[at + 13]!;
      if (first & 0x40) this.lfn = ord >= 1 && ord <= 20 ? { parts: [], next: ord, sum } : null;
      else if (!this.lfn || ord !== this.lfn.next || sum !== this.lfn.sum) this.lfn = null;
      if (this.lfn) {
        this.lfn.parts[ord - 1] = lfnChars(v, at);
        this.lfn.next = ord - 1;
      }
      return;
    }
    const raw = b.slice(at, at + 11);
    const lfn = this.lfn;
    this.lfn = null;
    const long = lfn && lfn.next === 0 && lfn.sum === lfnChecksum(raw) ? lfn.parts.join('') : '';
    if (attr & FAT_ATTR.VOLUME_LABEL) return;
    if (raw[0] === 0x05) raw[0] = 0xe5; // a name that starts with 0xE5 is stored as 0x05
    const base = oem(raw.subarray(0, 8)).trimEnd();
    const ext = oem(raw.subarray(8, 11)).trimEnd();
    if (base === '.' || base === '..') return;
    const nt = b[at + 12]!;
    const shown = (nt & 0x08 ? base.toLowerCase() : base) + (ext ? '.' + (nt & 0x10 ? ext.toLowerCase() : ext) : '');
    const isDir = (attr & FAT_ATTR.DIRECTORY) !== 0;
    this.entries.push({
      name: long || shown,
      shortName: base + (ext ? '.' + ext : ''),
      attributes: attr,
      isDir,
      size: isDir ? 0 : v.getUint32(at + 28, true),
      firstCluster: (this.type === 32 ? v.getUint16(at + 20, true) * 0x10000 : 0) + v.getUint16(at + 26, true),
      created: fatTime(v.getUint16(at + 16, true), v.getUint16(at + 14, true), b[at + 13]!),
      modified: fatTime(v.getUint16(at + 24, true), v.getUint16(at + 22, true)),
      accessed: fatTime(v.getUint16(at + 18, true), 0),
    });
  }
}

/** Consecutive clusters of a chain. */
interface Run {
  readonly cluster: number;
  readonly count: number;
}

/** A parsed directory: its entries, and its names (lowercase: long, then 8.3) for lookups. */
interface Directory {
  readonly entries: FatEntry[];
  readonly byName: Map<string, FatEntry>;
}

const PAGE = 64 * 1024;

/** An opened FAT volume: `find` a path, `list` a folder, `fileReader` a file's bytes. */
export class FatVolume {
  readonly root: FatEntry;
  private readonly pages = new Lru<number, Promise<Uint8Array>>(512);
  private readonly dirs = new Lru<number, Promise<Directory>>(256);
  private readonly eoc: number;
  private readonly badCluster: number;

  private constructor(
    private readonly reader: FileReader,
    readonly label: string,
    readonly boot: FatBoot,
  ) {
    this.eoc = boot.type === 12 ? 0xff8 : boot.type === 16 ? 0xfff8 : 0x0ffffff8;
    this.badCluster = this.eoc - 1;
    this.root = { name: '', shortName: '', attributes: FAT_ATTR.DIRECTORY, isDir: true, isRoot: true, size: 0, firstCluster: boot.rootCluster, created: null, modified: null, accessed: null };
  }

  /** Reads and checks the boot sector of the volume `reader` holds (`label` names it in errors). */
  static async open(reader: FileReader, label: string): Promise<FatVolume> {
    const boot = parseBoot(await readFull(reader, 0, 512), label);
    const vol = new FatVolume(reader, label, boot);
    await vol.fatPage(0, 'the FAT'); // a FAT that cannot be read fails the open
    return vol;
  }

  get type(): FatType {
    return this.boot.type;
  }

  /** The image's size when it is shorter than the volume its boot sector gives (a cut image), else null. */
  get truncatedTo(): number | null {
    const size = this.reader.size;
    return size !== null && size < this.boot.volumeBytes ? size : null;
  }

  private async bytes(offset: number, length: number, what: string): Promise<Uint8Array> {
    const b = await readFull(this.reader, offset, length);
    if (b.length < length) {
      const size = this.reader.size ?? offset + b.length;
      throw new FatError(`${this.label}: ${what}: bytes ${offset}–${offset + length} are past the end of the image (${size} bytes: it is truncated)`);
    }
    return b;
  }

  private fatPage(i: number, what: string): Promise<Uint8Array> {
    // FAT12 entries straddle bytes: its FAT (6 KiB at most) is one page.
    const size = this.boot.type === 12 ? this.boot.fatBytes : PAGE;
    return this.pages.getOrSet(i, () => this.bytes(this.boot.fatOffset + i * size, Math.min(size, this.boot.fatBytes - i * size), `${what} (the FAT)`));
  }

  /** The FAT's entry for `cluster`. */
  private async next(cluster: number, what: string): Promise<number> {
    const t = this.boot.type;
    if (t === 12) {
      const fat = await this.fatPage(0, what);
      const at = cluster + (cluster >> 1);
      const w = fat[at]! | (fat[at + 1]! << 8);
      return cluster & 1 ? w >> 4 : w & 0xfff;
    }
    const at = cluster * (t / 8);
    const page = await this.fatPage(Math.floor(at / PAGE), what);
    const o = at % PAGE;
    if (t === 16) return page[o]! | (page[o + 1]! << 8);
    return (page[o]! | (page[o + 1]! << 8) | (page[o + 2]! << 16) | (page[o + 3]! << 24)) & 0x0fffffff;
  }

  /** The clusters of the chain from `first` to its end mark; `what` names its file in errors. */
  private async chain(first: number, what: string): Promise<Run[]> {
    const runs: Array<{ cluster: number; count: number }> = [];
    const seen = new Set<number>();
    const last = this.boot.clusterCount + 1;
    const fail = (m: string): never => {
      throw new FatError(`${this.label}: ${what}: its cluster chain ${m}`);
    };
    for (let c = first; ; ) {
      if (c < 2 || c > last) fail(`leaves the volume at cluster ${c} (after ${seen.size} clusters; clusters run 2–${last})`);
      if (seen.has(c)) fail(`loops (cluster ${c} comes again after ${seen.size} clusters)`);
      seen.add(c);
      const run = runs[runs.length - 1];
      if (run && run.cluster + run.count === c) run.count++;
      else runs.push({ cluster: c, count: 1 });
      const n = await this.next(c, what);
      if (n >= this.eoc) return runs;
      if (n === 0) fail(`reaches a free cluster after cluster ${c}`);
      if (n === this.badCluster) fail(`reaches a cluster marked bad after cluster ${c}`);
      c = n;
    }
  }

  private clusterOffset(c: number): number {
    return this.boot.dataOffset + (c - 2) * this.boot.clusterSize;
  }

  /** The entries of directory `dir` (kept parsed); `path` names it in errors. */
  list(dir: FatEntry, path: string): Promise<FatEntry[]> {
    return this.directory(dir, path).then((d) => d.entries);
  }

  private directory(dir: FatEntry, path: string): Promise<Directory> {
    const key = dir.isRoot && this.boot.type !== 32 ? -1 : dir.firstCluster;
    return this.dirs.getOrSet(key, async () => {
      const what = `directory ${path || '/'}`;
      const parser = new DirectoryParser(this.type);
      if (key === -1) {
        parser.feed(await this.bytes(this.boot.rootOffset, this.boot.rootBytes, what));
      } else if (dir.firstCluster !== 0) {
        // A cluster run at a time, up to the end marker.
        for (const run of await this.chain(dir.firstCluster, what)) {
          parser.feed(await this.bytes(this.clusterOffset(run.cluster), run.count * this.boot.clusterSize, what));
          if (parser.ended) break;
        }
      }
      const entries = parser.entries;
      const byName = new Map<string, FatEntry>();
      for (const e of entries) if (!byName.has(e.name.toLowerCase())) byName.set(e.name.toLowerCase(), e);
      for (const e of entries) if (!byName.has(e.shortName.toLowerCase())) byName.set(e.shortName.toLowerCase(), e);
      return { entries, byName };
    });
  }

  /** The entry at `path` (names matched whatever their case, long or 8.3), or undefined. */
  async find(path: readonly string[]): Promise<FatEntry | undefined> {
    let e = this.root;
    for (let i = 0; i < path.length; i++) {
      if (!e.isDir) return undefined;
      const d = await this.directory(e, '/' + path.slice(0, i).join('/'));
      const hit = d.entries.find((x) => x.name === path[i]) ?? d.byName.get(path[i]!.toLowerCase());
      if (!hit) return undefined;
      e = hit;
    }
    return e;
  }

  /** A reader over a file's bytes, reading only the clusters asked for; `path` names it in errors. */
  async fileReader(e: FatEntry, path: string): Promise<FileReader> {
    if (e.isDir) throw new FatError(`${this.label}: ${path} is a directory`);
    const size = e.size;
    const what = `file ${path}`;
    const cs = this.boot.clusterSize;
    if (e.firstCluster === 0 && size > 0) throw new FatError(`${this.label}: ${what}: it has no clusters but a size of ${size} bytes`);
    const runs = e.firstCluster === 0 ? [] : await this.chain(e.firstCluster, what);
    const clusters = runs.reduce((n, r) => n + r.count, 0);
    if (clusters * cs < size) {
      throw new FatError(`${this.label}: ${what}: its cluster chain ends after ${clusters} clusters (${clusters * cs} bytes), short of its size (${size} bytes)`);
    }
    // Where each run starts in the file, for a binary search.
    const starts = new Float64Array(runs.length);
    for (let i = 1; i < runs.length; i++) starts[i] = starts[i - 1]! + runs[i - 1]!.count * cs;
    return {
      size,
      read: async (offset, length) => {
        const end = Math.min(size, offset + length);
        if (offset >= end) return new Uint8Array(0);
        const out = new Uint8Array(end - offset);
        let lo = 0;
        for (let hi = runs.length - 1; lo < hi; ) {
          const mid = (lo + hi + 1) >> 1;
          if (starts[mid]! <= offset) lo = mid;
          else hi = mid - 1;
        }
        for (let i = lo, pos = offset; pos < end; i++) {
          const r = runs[i]!;
          const within = pos - starts[i]!;
          const n = Math.min(r.count * cs - within, end - pos);
          out.set(await this.bytes(this.clusterOffset(r.cluster) + within, n, what), pos - offset);
          pos += n;
        }
        return out;
      },
      close: async () => {},
    };
  }
}
