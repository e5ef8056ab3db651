/**
 * A reader of Extensible Storage Engine databases (ESE, "JET Blue": SRUM's SRUDB.dat, Windows
 * Search's Windows.edb, UAL's .mdb, WebCache), read page by page through an accessor's
 * random-access reader. It follows libyal's "Extensible Storage Engine (ESE) Database File
 * (EDB) format" documentation and Velocidex/go-ese (what Velociraptor uses) as remembered, and
 * is checked against libesedb (esedbexport) by the tests.
 *
 * Layout:
 * - page 0 is the file header (signature 0x89ABCDEF at offset 4, format version at 8, format
 *   revision at 232, page size at 236), page 1 its shadow copy; database page N is at offset
 *   (N + 1) * page size;
 * - a page has a 40-byte header (80 bytes for 16 and 32 KiB pages of revision 0x11 and
 *   later) and an array of 4-byte tags at its end (tag i at end - 4 (i + 1)): the size and the
 *   offset (from the end of the header) of each value, with 3 flag bits (in the offset for
 *   small pages, in the value's first 2 bytes for large ones: 0x4 common key, 0x2 deleted);
 * - tag 0 is the page's external header: the root header of a root page, else the common key
 *   prefix that entries flagged 0x4 start with; tags 1.. are entries: [common key size] local
 *   key size, local key, then the record (leaf page) or the child page number (branch page);
 * - the catalog, MSysObjects (FDP 2, root page 4), has one record per table, column, index and
 *   long-value tree; a table's long values are in their own tree, keyed by the big-endian
 *   long-value id (the root: refcount and size) and id + offset (the segments);
 * - a record: last fixed column id, last variable column id, offset of the variable offsets;
 *   the fixed data and its NULL bitmap; the end offsets of the variable values (0x8000: empty);
 *   then the tagged values: (column id, offset) pairs, each value starting with a flag byte
 *   (0x1 variable, 0x2 compressed, 0x4 long value id, 0x8 multi-valued) when its offset has
 *   0x4000 set (small pages) or always (large pages).
 */
import { makeFloat, normInt, VTime, type Value } from '../../vql/index.ts';
import { readFull, type FileReader } from '../files/accessors.ts';
import { decompressValue, EseCompressionError, compressionType } from './compression.ts';

/** A problem with the file: names the page or offset (the plugin adds function and file). */
export class EseError extends Error {}

export const SIGNATURE = 0x89abcdef;

/** JET column types, by coltyp. */
export const COLUMN_TYPES: Readonly<Record<number, string>> = {
  0: 'Nil', 1: 'Boolean', 2: 'Unsigned byte', 3: 'Signed short', 4: 'Signed long', 5: 'Currency',
  6: 'Single precision FP', 7: 'Double precision FP', 8: 'DateTime', 9: 'Binary', 10: 'Text',
  11: 'Long Binary', 12: 'Long Text', 13: 'Super Long', 14: 'Unsigned long', 15: 'Long long',
  16: 'GUID', 17: 'Unsigned short',
};

/** The JET name of each coltyp (JET_coltypX), for the catalog's documentation. */
export const JET_TYPES: Readonly<Record<number, string>> = {
  0: 'Nil', 1: 'Bit', 2: 'UnsignedByte', 3: 'Short', 4: 'Long', 5: 'Currency', 6: 'IEEESingle',
  7: 'IEEEDouble', 8: 'DateTime', 9: 'Binary', 10: 'Text', 11: 'LongBinary', 12: 'LongText',
  13: 'SLV', 14: 'UnsignedLong', 15: 'LongLong', 16: 'GUID', 17: 'UnsignedShort',
};

const FIXED_SIZE: Readonly<Record<number, number>> = {
  1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 4, 7: 8, 8: 8, 14: 4, 15: 8, 16: 16, 17: 2,
};

/** Page flags. */
export const PAGE_ROOT = 0x1;
export const PAGE_LEAF = 0x2;
export const PAGE_PARENT = 0x4;
export const PAGE_EMPTY = 0x8;
export const PAGE_SPACE_TREE = 0x20;
export const PAGE_INDEX = 0x40;
export const PAGE_LONG_VALUE = 0x80;

/** Tag flags. */
const TAG_DEFUNCT = 0x2;
const TAG_COMMON_KEY = 0x4;

/** Tagged value flags. */
const TV_COMPRESSED = 0x2;
const TV_LONG_VALUE = 0x4;
const TV_MULTI_VALUE = 0x8;
const TV_MULTI_SIZE = 0x10;

/** Column flags (JET_bitColumn*). */
const COLUMN_COMPRESSED = 0x80000;

export interface EseHeader {
  formatVersion: number;
  formatRevision: number;
  fileType: number;
  pageSize: number;
  databaseState: number;
  creationFormatVersion: number;
  creationFormatRevision: number;
}

export interface EseColumn {
  readonly id: number;
  readonly name: string;
  readonly type: number;
  /** SpaceUsage: the size of a fixed column, the maximum of others (0: none). */
  readonly size: number;
  readonly flags: number;
  readonly codepage: number;
}

export interface EseTable {
  readonly name: string;
  readonly fdp: number;
  readonly root: number;
  readonly columns: EseColumn[];
  longValueFdp: number;
  longValueRoot: number;
  /** Indexes: name, FDP object id and root page. */
  readonly indexes: Array<{ name: string; fdp: number; root: number }>;
}

interface Entry {
  key: Uint8Array;
  data: Uint8Array;
}

interface Page {
  readonly number: number;
  readonly flags: number;
  readonly fdp: number;
  readonly prev: number;
  readonly next: number;
  readonly entries: Entry[];
}

const u16 = (b: Uint8Array, o: number) => b[o]! | (b[o + 1]! << 8);
const u32 = (b: Uint8Array, o: number) => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;

/** XOR of the little-endian 32-bit words of b[start, end), seeded. */
function xor32(b: Uint8Array, start: number, end: number, seed: number): number {
  let x = seed | 0;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let i = start;
  for (; i + 4 <= end; i += 4) x ^= dv.getInt32(i, true);
  return x >>> 0;
}

/** Checksum schemes of large pages (see chooseChecksum()). */
type Scheme = 'new' | 'blocks' | 'none';

const LRU_PAGES = 128;

/** An open database: the header, the catalog, and pages read on demand. */
export class EseDatabase {
  readonly header: EseHeader;
  readonly pageSize: number;
  readonly pageCount: number;
  private readonly headerSize: number;
  private readonly large: boolean;
  private readonly cache = new Map<number, Page>();
  private scheme: Scheme = 'none';
  /** Why checksums are not checked, when they are not (told once by the plugin). */
  checksumNote = '';
  tables: Map<string, EseTable> = new Map();
  /** Tables in catalog order. */
  tableList: EseTable[] = [];

  private constructor(private readonly reader: FileReader, header: EseHeader, readonly fileSize: number | null) {
    this.header = header;
    this.pageSize = header.pageSize;
    this.large = header.formatRevision >= 0x11 && header.pageSize > 8192;
    this.headerSize = this.large ? 80 : 40;
    this.pageCount = fileSize === null ? Infinity : Math.floor(fileSize / header.pageSize) - 1;
  }

  /** Reads the header and the catalog. */
  static async open(reader: FileReader, signal?: AbortSignal): Promise<EseDatabase> {
    const head = await readFull(reader, 0, 4096);
    if (head.length < 668) throw new EseError(`not an ESE database: the file is ${head.length} bytes, shorter than a file header (668)`);
    if (u32(head, 4) !== SIGNATURE) {
      throw new EseError(`not an ESE database: no signature 0x89ABCDEF at offset 4 (found 0x${u32(head, 4).toString(16).toUpperCase().padStart(8, '0')})`);
    }
    const pageSize = u32(head, 236) || 4096;
    if (![2048, 4096, 8192, 16384, 32768].includes(pageSize)) throw new EseError(`file header: page size ${pageSize} at offset 236 is not one of 2, 4, 8, 16 or 32 KiB`);
    let hdr = head;
    if (!headerChecksumOk(head, pageSize)) {
      // The shadow copy of the header, in the second page.
      const shadow = await readFull(reader, pageSize, 4096);
      if (shadow.length >= 668 && u32(shadow, 4) === SIGNATURE && headerChecksumOk(shadow, pageSize)) hdr = shadow;
      else throw new EseError(`file header: checksum mismatch at offset 0 (stored 0x${u32(head, 0).toString(16)}), and the shadow header at offset ${pageSize} does not check either`);
    }
    const header: EseHeader = {
      formatVersion: u32(hdr, 8),
      fileType: u32(hdr, 12),
      databaseState: u32(hdr, 52),
      formatRevision: u32(hdr, 232),
      pageSize,
      creationFormatVersion: u32(hdr, 340),
      creationFormatRevision: u32(hdr, 344),
    };
    if (header.fileType !== 0) throw new EseError(`file header: file type ${header.fileType} at offset 12 is not a database (0): a streaming file is not read`);
    const db = new EseDatabase(reader, header, reader.size);
    if (db.pageCount < 4) throw new EseError(`truncated: the file is ${reader.size} bytes, too short for the catalog page 4 (${5 * pageSize + pageSize} bytes at least)`);
    await db.chooseChecksum();
    await db.readCatalog(signal);
    return db;
  }

  /** The offset of page `n` in the file. */
  pageOffset(n: number): number {
    return (n + 1) * this.pageSize;
  }

  /**
   * The XOR checksum of page `n` (libesedb's page.c): a page of the new record format (flag
   * 0x2000, revision 0x0B on) holds at offset 0 the XOR of its 32-bit words from offset 8
   * seeded with its page number (its ECC checksum, at 4, is not checked here); an older page
   * the XOR of its words from offset 4 seeded with 0x89ABCDEF. Large pages (16/32 KiB, revision
   * 0x11 on) are checked when page 4 showed the scheme (chooseChecksum()).
   */
  private checksumOk(b: Uint8Array, n: number, flags: number): boolean {
    const ps = this.pageSize;
    if (!this.large) {
      if (this.header.formatRevision >= 0x0b && flags & 0x2000) return xor32(b, 8, ps, n) === u32(b, 0);
      return xor32(b, 4, ps, SIGNATURE) === u32(b, 0);
    }
    switch (this.scheme) {
      case 'new':
        return xor32(b, 8, ps, n) === u32(b, 0);
      case 'blocks': {
        const blk = ps / 4;
        if (xor32(b, 8, blk, n) !== u32(b, 0)) return false;
        for (let i = 1; i < 4; i++) if (xor32(b, i * blk, (i + 1) * blk, n) !== u32(b, 40 + 8 * (i - 1))) return false;
        return true;
      }
      default:
        return true;
    }
  }

  /**
   * Which checksum large pages use, decided on the catalog's root page (4): one XOR per
   * quarter of the page (the first at 0 from offset 8, the others at 40, 48, 56), or one for the
   * whole page. libesedb does not check large pages; when neither matches page 4, checksums of
   * large pages are not checked and checksumNote says so.
   */
  private async chooseChecksum(): Promise<void> {
    if (!this.large) return;
    const b = await this.rawPage(4);
    for (const s of ['blocks', 'new'] as const) {
      this.scheme = s;
      if (this.checksumOk(b, 4, 0)) return;
    }
    this.scheme = 'none';
    this.checksumNote = `page checksums are not verified: the catalog root page 4 matches no known checksum scheme of ${this.pageSize}-byte pages (format revision 0x${this.header.formatRevision.toString(16)})`;
  }

  private async rawPage(n: number): Promise<Uint8Array> {
    const off = this.pageOffset(n);
    if (n < 1 || n > this.pageCount) {
      throw new EseError(`page ${n} (offset ${off}) is past the end of the file (${this.pageCount} pages${this.reader.size === null ? '' : `, ${this.reader.size} bytes`}): truncated or damaged`);
    }
    const b = await readFull(this.reader, off, this.pageSize);
    if (b.length < this.pageSize) throw new EseError(`page ${n} at offset ${off}: truncated, ${b.length} of ${this.pageSize} bytes`);
    return b;
  }

  /** Page `n` of the tree whose FDP object id is `fdp`, parsed (cached). */
  async page(n: number, fdp: number): Promise<Page> {
    const hit = this.cache.get(n);
    if (hit) {
      this.cache.delete(n);
      this.cache.set(n, hit);
    } else {
      const p = this.parsePage(await this.rawPage(n), n);
      this.cache.set(n, p);
      if (this.cache.size > LRU_PAGES) this.cache.delete(this.cache.keys().next().value!);
    }
    const p = this.cache.get(n)!;
    if (fdp && p.fdp !== fdp) throw new EseError(`page ${n} at offset ${this.pageOffset(n)}: belongs to object ${p.fdp}, not to the tree of object ${fdp}`);
    return p;
  }

  private parsePage(b: Uint8Array, n: number): Page {
    const off = this.pageOffset(n);
    const where = `page ${n} at offset ${off}`;
    let zero = true;
    for (let i = 0; i < 64 && zero; i++) if (b[i] !== 0) zero = false;
    if (zero) throw new EseError(`${where}: an empty (zeroed) page where a tree page is expected`);
    const prev = u32(b, 16);
    const next = u32(b, 20);
    const fdp = u32(b, 24);
    const tagCount = u16(b, 34);
    const flags = u32(b, 36);
    if (!this.checksumOk(b, n, flags)) throw new EseError(`${where}: checksum mismatch (stored 0x${u32(b, 0).toString(16).padStart(8, '0')})`);
    if ((flags & (PAGE_LEAF | PAGE_PARENT)) === 0 && (flags & PAGE_EMPTY) === 0) throw new EseError(`${where}: flags 0x${flags.toString(16)} make it neither a leaf nor a branch page`);
    const hs = this.headerSize;
    const ps = this.pageSize;
    if (hs + tagCount * 4 > ps) throw new EseError(`${where}: ${tagCount} tags do not fit in the page`);
    const mask = this.large ? 0x7fff : 0x1fff;
    const entries: Entry[] = [];
    let prefix: Uint8Array = new Uint8Array(0);
    for (let t = 0; t < tagCount; t++) {
      const to = ps - 4 * (t + 1);
      const size = u16(b, to) & mask;
      const rawOff = u16(b, to + 2);
      const start = hs + (rawOff & mask);
      if (start + size > ps - 4 * tagCount) throw new EseError(`${where}: tag ${t} (value at ${rawOff & mask}, ${size} bytes) runs past the page data`);
      const v = b.subarray(start, start + size);
      if (t === 0) {
        if ((flags & PAGE_ROOT) === 0) prefix = v;
        continue;
      }
      const tflags = this.large ? (size >= 2 ? v[1]! >> 5 : 0) : rawOff >> 13;
      if (tflags & TAG_DEFUNCT) continue;
      let p = 0;
      let common = 0;
      if (tflags & TAG_COMMON_KEY) {
        common = u16(v, 0) & 0x1fff;
        p = 2;
      }
      if (p + 2 > size) throw new EseError(`${where}: tag ${t} is too short for its key size`);
      const local = u16(v, p) & 0x1fff;
      p += 2;
      if (p + local > size) throw new EseError(`${where}: tag ${t}: its key (${local} bytes) runs past its value (${size} bytes)`);
      if (common > prefix.length) throw new EseError(`${where}: tag ${t}: common key size ${common} is longer than the page's key prefix (${prefix.length} bytes)`);
      let key: Uint8Array;
      if (common > 0) {
        key = new Uint8Array(common + local);
        key.set(prefix.subarray(0, common));
        key.set(v.subarray(p, p + local), common);
      } else key = v.subarray(p, p + local);
      entries.push({ key, data: v.subarray(p + local) });
    }
    return { number: n, flags, fdp, prev, next, entries };
  }

  /**
   * The leaf pages of the tree rooted at `root`, left to right (depth first through the
   * branch pages: each branch entry ends with its child's page number).
   */
  async *leaves(root: number, fdp: number, signal?: AbortSignal): AsyncGenerator<Page> {
    const stack: Array<{ page: Page; i: number }> = [];
    const visited = new Set<number>();
    const first = await this.page(root, fdp);
    if ((first.flags & PAGE_ROOT) === 0) throw new EseError(`page ${root} at offset ${this.pageOffset(root)}: the root of object ${fdp} is not flagged as a root page`);
    stack.push({ page: first, i: 0 });
    while (stack.length) {
      if (signal?.aborted) return;
      const top = stack[stack.length - 1]!;
      const pg = top.page;
      if (pg.flags & PAGE_LEAF || (pg.flags & PAGE_PARENT) === 0) {
        stack.pop();
        yield pg;
        continue;
      }
      if (top.i >= pg.entries.length) {
        stack.pop();
        continue;
      }
      const e = pg.entries[top.i++]!;
      if (e.data.length < 4) throw new EseError(`page ${pg.number} at offset ${this.pageOffset(pg.number)}: a branch entry without a child page number`);
      const child = u32(e.data, e.data.length - 4);
      if (visited.has(child) || stack.length > 32) throw new EseError(`page ${pg.number} at offset ${this.pageOffset(pg.number)}: child page ${child} makes a loop`);
      visited.add(child);
      stack.push({ page: await this.page(child, fdp), i: 0 });
    }
  }

  private async readCatalog(signal?: AbortSignal): Promise<void> {
    let current: EseTable | null = null;
    const byFdp = new Map<number, EseTable>();
    for await (const pg of this.leaves(4, 2, signal)) {
      for (const e of pg.entries) {
        const r = parseRecord(e.data, CATALOG_FIXED, pg.number, this.large);
        const objid = r.fixed(1, 4);
        const type = r.fixed(2, 2);
        const id = r.fixed(3, 4);
        const coltypOrPgno = r.fixed(4, 4);
        const space = r.fixed(5, 4);
        const flags = r.fixed(6, 4);
        const pagesOrLocale = r.fixed(7, 4);
        const nameBytes = r.variable(128);
        const name = nameBytes ? latin1(nameBytes) : '';
        if (objid === null || type === null) continue;
        if (type === 1) {
          current = { name, fdp: objid, root: coltypOrPgno ?? 0, columns: [], longValueFdp: 0, longValueRoot: 0, indexes: [] };
          byFdp.set(objid, current);
          if (!this.tables.has(name)) this.tables.set(name, current);
          this.tableList.push(current);
          continue;
        }
        const t: EseTable | undefined = current && current.fdp === objid ? current : byFdp.get(objid);
        if (!t) continue;
        if (type === 2) {
          t.columns.push({ id: id ?? 0, name, type: coltypOrPgno ?? 0, size: space ?? 0, flags: flags ?? 0, codepage: pagesOrLocale ?? 0 });
        } else if (type === 3) {
          t.indexes.push({ name, fdp: id ?? 0, root: coltypOrPgno ?? 0 });
        } else if (type === 4) {
          t.longValueFdp = id ?? 0;
          t.longValueRoot = coltypOrPgno ?? 0;
        }
      }
    }
    for (const t of this.tableList) t.columns.sort((a, b) => a.id - b.id);
  }

  /** The table named `name` (exact, else whatever its case). */
  table(name: string): EseTable | undefined {
    const t = this.tables.get(name);
    if (t) return t;
    const low = name.toLowerCase();
    return this.tableList.find((x) => x.name.toLowerCase() === low);
  }

  /** The records of a table, one leaf page at a time. */
  async *records(table: EseTable, signal?: AbortSignal): AsyncGenerator<RawRecord[]> {
    const fixed = fixedLayout(table.columns);
    for await (const pg of this.leaves(table.root, table.fdp, signal)) {
      yield pg.entries.map((e) => parseRecord(e.data, fixed, pg.number, this.large));
    }
  }

  /**
   * The bytes of long value `lid` of `table` (its segments in offset order, cut to the size
   * its root record gives): a B-tree descent to the first key at or after the id, then the
   * leaves in key order while keys start with the id.
   */
  async longValue(table: EseTable, lidBytes: Uint8Array, compressed: boolean, wide = false): Promise<Uint8Array> {
    if (!table.longValueRoot) throw new EseError(`table ${table.name} has a long value reference but no long-value tree`);
    const lid = new Uint8Array(lidBytes.length);
    for (let i = 0; i < lidBytes.length; i++) lid[i] = lidBytes[lidBytes.length - 1 - i]!; // keys are big-endian
    const lidText = Array.from(lidBytes).reverse().map((x) => x.toString(16).padStart(2, '0')).join('');
    const fdp = table.longValueFdp;
    let pg = await this.page(table.longValueRoot, fdp);
    for (let depth = 0; !(pg.flags & PAGE_LEAF) && pg.flags & PAGE_PARENT; depth++) {
      if (depth > 32) throw new EseError(`long-value tree of ${table.name}: too deep at page ${pg.number}`);
      let child: Entry | undefined;
      for (const e of pg.entries) {
        if (e.key.length === 0 || compareKeys(e.key, lid) >= 0) {
          child = e;
          break;
        }
      }
      child ??= pg.entries[pg.entries.length - 1];
      if (!child || child.data.length < 4) throw new EseError(`page ${pg.number} at offset ${this.pageOffset(pg.number)}: a branch page without entries`);
      pg = await this.page(u32(child.data, child.data.length - 4), fdp);
    }
    let size = -1;
    const parts: Array<{ offset: number; data: Uint8Array }> = [];
    const n = lid.length;
    for (let hops = 0; ; hops++) {
      let past = false;
      for (const e of pg.entries) {
        const c = compareKeys(e.key.subarray(0, n), lid);
        if (c < 0 || e.key.length < n) continue;
        if (c > 0) {
          past = true;
          break;
        }
        if (e.key.length === n) {
          if (e.data.length >= 8) size = u32(e.data, 4);
        } else {
          let off = 0;
          for (let i = n; i < e.key.length; i++) off = off * 256 + e.key[i]!;
          parts.push({ offset: off, data: e.data });
        }
      }
      if (past || !pg.next || hops > 1_000_000) break;
      pg = await this.page(pg.next, fdp);
    }
    if (size < 0 && parts.length === 0) throw new EseError(`long value 0x${lidText} of table ${table.name} is not in its long-value tree (root page ${table.longValueRoot})`);
    parts.sort((a, b) => a.offset - b.offset);
    const chunks = parts.map((p) => (compressed && compressionType(p.data) ? decompressValue(p.data, wide) : p.data));
    let total = 0;
    for (const c of chunks) total += c.length;
    const out = new Uint8Array(total);
    let o = 0;
    for (const c of chunks) {
      out.set(c, o);
      o += c.length;
    }
    return size >= 0 && size < out.length ? out.subarray(0, size) : out;
  }

  /** The value of `column` in `rec`, as go-ese gives it (null when NULL or absent). */
  async value(table: EseTable, column: EseColumn, rec: RawRecord): Promise<Value> {
    const raw = await this.rawValue(table, column, rec);
    if (raw === null) return null;
    if (Array.isArray(raw)) return raw.map((r) => convert(column, r));
    return convert(column, raw);
  }

  /**
   * The bytes of `column` in `rec` (long values fetched, compressed values inflated); a list
   * for a multi-valued tagged column; null when NULL or absent.
   */
  async rawValue(table: EseTable, column: EseColumn, rec: RawRecord): Promise<Uint8Array | Uint8Array[] | null> {
    if (column.id < 256) return inlineBytes(column, rec);
    const t = rec.tagged(column.id);
    if (t === null) return null;
    const { flags, data } = t;
    if (flags & TV_MULTI_VALUE && !(flags & TV_MULTI_SIZE)) {
      if (data.length < 2) return [];
      const first = u16(data, 0) & 0x7fff;
      const count = Math.floor(first / 2);
      const out: Uint8Array[] = [];
      for (let i = 0; i < count; i++) {
        const o = u16(data, 2 * i);
        const start = o & 0x7fff;
        const end = i + 1 < count ? u16(data, 2 * (i + 1)) & 0x7fff : data.length;
        if (start > end || end > data.length) throw new EseError(`page ${rec.page}: column ${column.name}: multi-value ${i} runs past its data`);
        let v = data.subarray(start, end);
        if (o & 0x8000) v = await this.longValue(table, v, (flags & TV_COMPRESSED) !== 0, wideText(column));
        else if (flags & TV_COMPRESSED && compressionType(v)) v = decompressValue(v, wideText(column));
        out.push(v);
      }
      return out;
    }
    if (flags & TV_MULTI_SIZE) {
      // The first value's size in one byte, then the first value, then the second.
      if (data.length < 1) return [];
      const n = data[0]!;
      return [data.subarray(1, 1 + n), data.subarray(1 + n)];
    }
    if (flags & TV_LONG_VALUE) return this.longValue(table, data, (flags & TV_COMPRESSED) !== 0, wideText(column));
    if (flags & TV_COMPRESSED && compressionType(data)) return decompressValue(data, wideText(column));
    return data;
  }
}

/** The bytes of a fixed or variable column (they are in the record itself), null when NULL or absent. */
export function inlineBytes(column: EseColumn, rec: RawRecord): Uint8Array | null {
  if (column.id < 128) return rec.fixedBytes(column.id, fixedSize(column));
  const v = rec.variable(column.id);
  if (v === null) return null;
  return column.flags & COLUMN_COMPRESSED && isTextual(column) && compressionType(v) > 0 && compressionType(v) <= 3 ? decompressValue(v, wideText(column)) : v;
}

/** A text column read as UTF-16LE: 7-bit ASCII values in it are widened. */
function wideText(c: EseColumn): boolean {
  return isTextual(c) && c.codepage === 1200;
}

function isTextual(c: EseColumn): boolean {
  return c.type === 10 || c.type === 12;
}

function fixedSize(c: EseColumn): number {
  return FIXED_SIZE[c.type] ?? c.size;
}

function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function latin1(b: Uint8Array): string {
  let end = b.length;
  while (end > 0 && b[end - 1] === 0) end--;
  return Buffer.from(b.buffer, b.byteOffset, end).toString('latin1');
}

/** Fixed column offsets in the record: offsets[id] for ids 1..max (a gap has size 0). */
interface FixedLayout {
  readonly offsets: number[];
  readonly sizes: number[];
}

function fixedLayout(columns: EseColumn[]): FixedLayout {
  const max = Math.max(0, ...columns.filter((c) => c.id < 128).map((c) => c.id));
  const sizes = new Array<number>(max + 1).fill(0);
  for (const c of columns) if (c.id < 128) sizes[c.id] = fixedSize(c);
  const offsets = new Array<number>(max + 2).fill(0);
  let o = 4;
  for (let id = 1; id <= max; id++) {
    offsets[id] = o;
    o += sizes[id]!;
  }
  offsets[max + 1] = o;
  return { offsets, sizes };
}

/** MSysObjects' fixed columns: ObjidTable, Type, Id, ColtypOrPgnoFDP, SpaceUsage, Flags, PagesOrLocale, RootFlag, RecordOffset, LCMapFlags, KeyMost, LVChunkMax. */
const CATALOG_FIXED: FixedLayout = (() => {
  const sizes = [0, 4, 2, 4, 4, 4, 4, 4, 1, 2, 4, 2, 4];
  const offsets = [0];
  let o = 4;
  for (let id = 1; id < sizes.length; id++) {
    offsets[id] = o;
    o += sizes[id]!;
  }
  offsets.push(o);
  return { offsets, sizes };
})();

/** A record's parts, decoded lazily. */
export class RawRecord {
  private varEnds: number[] | null = null;
  private varStart = 0;
  private taggedStart = 0;
  private tags: Map<number, { flags: number; data: Uint8Array }> | null = null;
  readonly lastFixed: number;
  readonly lastVariable: number;
  private readonly varOffsets: number;

  constructor(
    readonly data: Uint8Array,
    private readonly layout: FixedLayout,
    readonly page: number,
  ) {
    // A damaged record is told when its values are asked for (the page's other records are read).
    if (data.length < 4) this.damage = `page ${page}: a record of ${data.length} bytes, shorter than its 4-byte header`;
    this.lastFixed = data[0] ?? 0;
    this.lastVariable = data[1] ?? 0;
    this.varOffsets = data.length < 4 ? 0 : u16(data, 2);
    if (this.varOffsets > data.length) this.damage = `page ${page}: a record's variable data offset ${this.varOffsets} is past its end (${data.length} bytes)`;
  }

  private readonly damage: string = '';

  private check(): void {
    if (this.damage) throw new EseError(this.damage);
  }

  /** Bytes of fixed column `id` (`size` bytes), or null when absent or NULL. */
  fixedBytes(id: number, size: number): Uint8Array | null {
    this.check();
    if (id > this.lastFixed) return null;
    const nullBitmap = this.varOffsets - Math.ceil(this.lastFixed / 8);
    const bit = id - 1;
    if (nullBitmap >= 4 && this.data[nullBitmap + (bit >> 3)]! & (1 << (bit & 7))) return null;
    const o = this.layout.offsets[id];
    if (o === undefined) return null;
    if (o + size > nullBitmap) throw new EseError(`page ${this.page}: a record's fixed column ${id} (offset ${o}, ${size} bytes) runs past the fixed data (${nullBitmap} bytes)`);
    return this.data.subarray(o, o + size);
  }

  /** An unsigned little-endian fixed value (catalog columns). */
  fixed(id: number, size: number): number | null {
    const b = this.fixedBytes(id, size);
    if (!b) return null;
    return size === 1 ? b[0]! : size === 2 ? u16(b, 0) : u32(b, 0);
  }

  private decodeVariable(): void {
    if (this.varEnds) return;
    this.check();
    const n = this.lastVariable >= 128 ? this.lastVariable - 127 : 0;
    this.varStart = this.varOffsets + 2 * n;
    if (this.varStart > this.data.length) throw new EseError(`page ${this.page}: a record's ${n} variable offsets run past its end`);
    const ends: number[] = [];
    for (let i = 0; i < n; i++) ends.push(u16(this.data, this.varOffsets + 2 * i));
    this.varEnds = ends;
    const last = n ? ends[n - 1]! & 0x7fff : 0;
    this.taggedStart = this.varStart + last;
  }

  /** Bytes of variable column `id`, null when absent or empty. */
  variable(id: number): Uint8Array | null {
    if (id > this.lastVariable || id < 128) return null;
    this.decodeVariable();
    const i = id - 128;
    const end = this.varEnds![i]!;
    if (end & 0x8000) return null;
    const start = i === 0 ? 0 : this.varEnds![i - 1]! & 0x7fff;
    const a = this.varStart + start;
    const b = this.varStart + end;
    if (b > this.data.length || a > b) throw new EseError(`page ${this.page}: a record's variable column ${id} (${a}..${b}) runs past its end (${this.data.length} bytes)`);
    return this.data.subarray(a, b);
  }

  /** The tagged value of column `id` with its flags, null when absent. */
  tagged(id: number): { flags: number; data: Uint8Array } | null {
    if (!this.tags) this.decodeTagged();
    return this.tags!.get(id) ?? null;
  }

  private decodeTagged(): void {
    this.decodeVariable();
    const tags = new Map<number, { flags: number; data: Uint8Array }>();
    this.tags = tags;
    const d = this.data;
    const base = this.taggedStart;
    if (base + 4 > d.length) return;
    const mask = this.large ? 0x7fff : 0x3fff;
    const firstOff = u16(d, base + 2) & mask;
    const count = Math.floor(firstOff / 4);
    if (count === 0 || base + count * 4 > d.length) throw new EseError(`page ${this.page}: a record's tagged data (at ${base}) has a bad first offset ${firstOff}`);
    for (let i = 0; i < count; i++) {
      const id = u16(d, base + 4 * i);
      const raw = u16(d, base + 4 * i + 2);
      const start = base + (raw & mask);
      const end = i + 1 < count ? base + (u16(d, base + 4 * i + 6) & mask) : d.length;
      if (start > end || end > d.length) throw new EseError(`page ${this.page}: a record's tagged column ${id} (${start}..${end}) runs past its end (${d.length} bytes)`);
      const hasFlags = this.large || (raw & 0x4000) !== 0;
      if (hasFlags && end > start) tags.set(id, { flags: d[start]!, data: d.subarray(start + 1, end) });
      else tags.set(id, { flags: 0, data: d.subarray(start, end) });
    }
  }

  /** Large pages (16/32 KiB, revision 0x11+): 15-bit tagged offsets and a flag byte on every value. */
  large = false;
}

function parseRecord(data: Uint8Array, layout: FixedLayout, page: number, large = false): RawRecord {
  const r = new RawRecord(data, layout, page);
  r.large = large;
  return r;
}

/** OLE automation date (days since 1899-12-30; the fraction is the time of day, also for negative days), to the millisecond. */
export function oleDate(days: number): VTime | null {
  if (!Number.isFinite(days)) return null;
  const whole = Math.trunc(days);
  const frac = Math.abs(days - whole);
  // A double of days holds about a microsecond: rounded to the millisecond, as OLE dates are.
  const ms = Math.round((whole - 25569) * 86_400_000 + frac * 86_400_000);
  return VTime.fromMillis(ms);
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function hex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i]!];
  return s;
}

export function guidText(b: Uint8Array): string {
  if (b.length !== 16) return hex(b);
  const h = (i: number, n: number, le: boolean) => {
    let s = '';
    for (let k = 0; k < n; k++) s += HEX[b[le ? i + n - 1 - k : i + k]!];
    return s;
  };
  return `{${h(0, 4, true)}-${h(4, 2, true)}-${h(6, 2, true)}-${h(8, 2, false)}-${h(10, 6, false)}}`.toUpperCase();
}

/** Text of a column: UTF-16LE for codepage 1200, else Windows-1252/ASCII (trailing NULs dropped). */
export function textOf(b: Uint8Array, codepage: number): string {
  let s: string;
  if (codepage === 1200) s = Buffer.from(b.buffer, b.byteOffset, b.length - (b.length & 1)).toString('utf16le');
  else s = WIN1252.decode(b);
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0) end--;
  return end === s.length ? s : s.slice(0, end);
}

const WIN1252 = new TextDecoder('windows-1252');

/** A column's bytes as a VQL value. */
export function convert(c: EseColumn, b: Uint8Array): Value {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const need = FIXED_SIZE[c.type];
  if (need !== undefined && b.length < need && c.type !== 16) return hex(b);
  switch (c.type) {
    case 1:
      return b[0] !== 0;
    case 2:
      return b[0]!;
    case 3:
      return dv.getInt16(0, true);
    case 4:
      return dv.getInt32(0, true);
    case 5:
    case 15:
      return normInt(dv.getBigInt64(0, true));
    case 6:
      return makeFloat(dv.getFloat32(0, true));
    case 7:
      return makeFloat(dv.getFloat64(0, true));
    case 8:
      return oleDate(dv.getFloat64(0, true));
    case 14:
      return dv.getUint32(0, true);
    case 16:
      return guidText(b);
    case 17:
      return dv.getUint16(0, true);
    case 10:
    case 12:
      return textOf(b, c.codepage);
    default:
      return hex(b);
  }
}

export { EseCompressionError };

function headerChecksumOk(h: Uint8Array, pageSize: number): boolean {
  const stored = u32(h, 0);
  for (const end of [668, Math.min(h.length, 4096), Math.min(h.length, pageSize)]) {
    if (xor32(h, 4, end, SIGNATURE) === stored) return true;
  }
  return false;
}
