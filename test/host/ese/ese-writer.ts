// A test-only writer of ESE databases (the format of main/host/ese/ese.ts, as libyal documents it),
// so that the reader can be checked against libesedb's esedbexport on files made here: the file
// header and its shadow, the database root (page 1), the catalog MSysObjects (FDP 2, root page 4)
// with its own table, tables with fixed, variable and tagged columns (multi-valued, compressed, long
// values in the table's long-value tree), B+ trees of leaf pages under branch pages, common key
// compression, and the page checksums (XOR, new format) for 4, 8, 16 and 32 KiB pages.
import { execFileSync } from 'node:child_process';

export const JET = {
  Bit: 1, UnsignedByte: 2, Short: 3, Long: 4, Currency: 5, IEEESingle: 6, IEEEDouble: 7, DateTime: 8,
  Binary: 9, Text: 10, LongBinary: 11, LongText: 12, UnsignedLong: 14, LongLong: 15, GUID: 16, UnsignedShort: 17,
} as const;

const FIXED: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 4, 7: 8, 8: 8, 14: 4, 15: 8, 16: 16, 17: 2 };

export type WValue = null | undefined | number | bigint | boolean | string | Uint8Array | Date | WValue[];

export interface WColumn {
  name: string;
  type: number;
  /** Text codepage: 1200 (UTF-16LE, the default) or 1252. */
  codepage?: number;
  /** Binary/Text as a tagged column (ids 256..) instead of a variable one. */
  tagged?: boolean;
  /** Tagged: multi-valued (values are arrays). */
  multi?: boolean;
  /** Tagged text: stored 7-bit compressed when it can be (ASCII). */
  compress?: boolean;
  /** Tagged: stored LZXPRESS compressed (flag 0x02). */
  xpress?: boolean;
  flags?: number;
}

export interface WTable {
  name: string;
  columns: WColumn[];
  rows: Array<Record<string, WValue>>;
}

export interface WriterOptions {
  pageSize?: number;
  formatRevision?: number;
  /** Common key compression on non-root pages (default true). */
  prefix?: boolean;
  /** Tagged long values longer than this go to the long-value tree (default 1024 bytes). */
  lvThreshold?: number;
}

export interface WrittenTable {
  fdp: number;
  root: number;
  /** Every page of the data tree (root first). */
  pages: number[];
  leaves: number[];
  lvRoot: number;
  lvPages: number[];
  columnIds: Record<string, number>;
}

export interface Written {
  bytes: Buffer;
  pageSize: number;
  tables: Record<string, WrittenTable>;
}

const SIG = 0x89abcdef;

function xor32(b: Buffer, start: number, end: number, seed: number): number {
  let x = seed | 0;
  for (let i = start; i + 4 <= end; i += 4) x ^= b.readInt32LE(i);
  return x >>> 0;
}

function be(n: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = size - 1; i >= 0; i--) {
    b[i] = n & 0xff;
    n = Math.floor(n / 256);
  }
  return b;
}

/** 7-bit ASCII (type 1) or 7-bit Unicode (type 2) packing of 7-bit characters. */
export function pack7(chars: number[], unicode: boolean): Buffer {
  const bits = chars.length * 7;
  const n = Math.ceil(bits / 8);
  const out = Buffer.alloc(1 + n);
  let acc = 0;
  let have = 0;
  let o = 1;
  for (const c of chars) {
    acc |= (c & 0x7f) << have;
    have += 7;
    while (have >= 8) {
      out[o++] = acc & 0xff;
      acc >>>= 8;
      have -= 8;
    }
  }
  if (have > 0) out[o++] = acc & 0xff;
  const usedLast = bits % 8 === 0 ? 8 : bits % 8;
  out[0] = ((unicode ? 2 : 1) << 3) | (usedLast - 1);
  return out;
}

/** MS-XCA plain LZ77 compression (greedy, 3-byte hash), as ESE's LZXPRESS values hold. */
export function lzxpressCompress(src: Uint8Array): Buffer {
  const out: number[] = [];
  let flagPos = 0;
  let flags = 0;
  let nflags = 0;
  let nibblePos = -1;
  const startFlags = () => {
    flagPos = out.length;
    out.push(0, 0, 0, 0);
    flags = 0;
    nflags = 0;
  };
  const putFlag = (bit: number) => {
    if (nflags === 32) {
      out[flagPos] = flags & 0xff; out[flagPos + 1] = (flags >>> 8) & 0xff; out[flagPos + 2] = (flags >>> 16) & 0xff; out[flagPos + 3] = (flags >>> 24) & 0xff;
      startFlags();
    }
    flags = ((flags << 1) | bit) >>> 0;
    nflags++;
  };
  startFlags();
  const table = new Map<number, number>();
  let i = 0;
  while (i < src.length) {
    let len = 0;
    let off = 0;
    if (i + 3 <= src.length) {
      const h = src[i]! | (src[i + 1]! << 8) | (src[i + 2]! << 16);
      const cand = table.get(h);
      table.set(h, i);
      if (cand !== undefined && i - cand <= 8192) {
        while (i + len < src.length && src[cand + len] === src[i + len] && len < 1000) len++;
        off = i - cand;
      }
    }
    if (len >= 3) {
      putFlag(1);
      let l = len - 3;
      const sym = ((off - 1) << 3) | Math.min(l, 7);
      out.push(sym & 0xff, sym >> 8);
      if (l >= 7) {
        l -= 7;
        const nib = Math.min(l, 15);
        if (nibblePos < 0) {
          nibblePos = out.length;
          out.push(nib);
        } else {
          out[nibblePos] |= nib << 4;
          nibblePos = -1;
        }
        if (l >= 15) {
          l -= 15;
          if (l < 255) out.push(l);
          else {
            out.push(255);
            const total = l + 15 + 7;
            out.push(total & 0xff, total >> 8);
          }
        }
      }
      i += len;
    } else {
      putFlag(0);
      out.push(src[i]!);
      i++;
    }
  }
  // Pad the last flags word with ones (the end marker).
  while (nflags < 32) {
    flags = ((flags << 1) | 1) >>> 0;
    nflags++;
  }
  out[flagPos] = flags & 0xff; out[flagPos + 1] = (flags >>> 8) & 0xff; out[flagPos + 2] = (flags >>> 16) & 0xff; out[flagPos + 3] = (flags >>> 24) & 0xff;
  return Buffer.from(out);
}

export function guidBytes(g: string): Buffer {
  const h = g.replace(/[{}-]/g, '');
  const b = Buffer.from(h, 'hex');
  b.subarray(0, 4).reverse();
  b.subarray(4, 6).reverse();
  b.subarray(6, 8).reverse();
  return b;
}

export function sidBytes(sid: string): Buffer {
  const parts = sid.split('-').slice(1).map(Number);
  const [rev, auth, ...subs] = parts as [number, number, ...number[]];
  const b = Buffer.alloc(8 + 4 * subs.length);
  b[0] = rev;
  b[1] = subs.length;
  be(auth, 6).copy(b, 2);
  subs.forEach((s, i) => b.writeUInt32LE(s, 8 + 4 * i));
  return b;
}

/** OLE automation date of a JS date (days since 1899-12-30). */
export function oleDays(d: Date): number {
  return d.getTime() / 86_400_000 + 25569;
}

function encode(c: WColumn, v: WValue): Buffer {
  switch (c.type) {
    case 1: return Buffer.from([v ? 0xff : 0]);
    case 2: return Buffer.from([Number(v) & 0xff]);
    case 3: { const b = Buffer.alloc(2); b.writeInt16LE(Number(v)); return b; }
    case 4: { const b = Buffer.alloc(4); b.writeInt32LE(Number(v)); return b; }
    case 5: case 15: { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(v as number | bigint)); return b; }
    case 6: { const b = Buffer.alloc(4); b.writeFloatLE(Number(v)); return b; }
    case 7: { const b = Buffer.alloc(8); b.writeDoubleLE(Number(v)); return b; }
    case 8: { const b = Buffer.alloc(8); b.writeDoubleLE(v instanceof Date ? oleDays(v) : Number(v)); return b; }
    case 14: { const b = Buffer.alloc(4); b.writeUInt32LE(Number(v)); return b; }
    case 17: { const b = Buffer.alloc(2); b.writeUInt16LE(Number(v)); return b; }
    case 16: return guidBytes(String(v));
    case 10: case 12: return (c.codepage ?? 1200) === 1200 ? Buffer.from(String(v), 'utf16le') : Buffer.from(String(v), 'latin1');
    default: return Buffer.from(v as Uint8Array);
  }
}

interface Node { key: Buffer; data: Buffer }

interface Ctx {
  ps: number;
  large: boolean;
  hs: number;
  prefix: boolean;
  pages: Map<number, Buffer>;
  next: number;
}

function alloc(ctx: Ctx): number {
  return ctx.next++;
}

/** Lays out one page: tag 0 = `ext`, then the entries (with common key compression against `prefix`). */
function makePage(ctx: Ctx, pgno: number, fdp: number, flags: number, ext: Buffer, entries: Node[], prev: number, next: number, prefixLen: number): Buffer {
  const { ps, hs, large } = ctx;
  const b = Buffer.alloc(ps);
  const values: Array<{ v: Buffer; flags: number }> = [{ v: ext, flags: 0 }];
  for (const e of entries) {
    const common = Math.min(prefixLen, commonLen(e.key, ext.subarray(0, prefixLen)));
    const tflags = common > 0 ? 4 : 0;
    const parts: Buffer[] = [];
    if (common > 0) parts.push(le16(common | (large ? tflags << 13 : 0)));
    parts.push(le16(e.key.length - common));
    parts.push(e.key.subarray(common), e.data);
    values.push({ v: Buffer.concat(parts), flags: tflags });
  }
  let off = 0;
  const tagsAt = ps - 4 * values.length;
  values.forEach((x, i) => {
    if (hs + off + x.v.length > tagsAt) throw new Error(`writer: page ${pgno} overflows`);
    x.v.copy(b, hs + off);
    const t = ps - 4 * (i + 1);
    b.writeUInt16LE(x.v.length, t);
    b.writeUInt16LE(large ? off : off | (x.flags << 13), t + 2);
    off += x.v.length;
  });
  b.writeBigUInt64LE(0x1234n, 8);
  b.writeUInt32LE(prev, 16);
  b.writeUInt32LE(next, 20);
  b.writeUInt32LE(fdp, 24);
  b.writeUInt16LE(tagsAt - hs - off, 28);
  b.writeUInt16LE(0, 30);
  b.writeUInt16LE(off, 32);
  b.writeUInt16LE(values.length, 34);
  b.writeUInt32LE(flags | 0x2800, 36);
  ctx.pages.set(pgno, b);
  return b;
}

function commonLen(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

function le16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

function rootHeader(fdpParent: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(1, 0); // initial number of pages
  b.writeUInt32LE(fdpParent, 4);
  b.writeUInt32LE(0, 8); // single extent
  b.writeUInt32LE(0, 12); // no space tree
  return b;
}

const entrySize = (e: Node) => 4 + 2 + 2 + e.key.length + e.data.length;

/**
 * Builds a B+ tree of `nodes` (sorted by key) rooted at page `root`; the pages it used, the
 * leaves among them. Branch entries hold the last key of their child and its page number; the
 * last entry of a branch page has an empty key.
 */
function buildTree(ctx: Ctx, nodes: Node[], fdp: number, root: number, extraFlags: number): { pages: number[]; leaves: number[] } {
  const cap = ctx.ps - ctx.hs - 4 - 16 - 8;
  const fill = Math.floor(cap * 0.9);
  const all: number[] = [root];
  const total = nodes.reduce((s, e) => s + entrySize(e), 0);
  if (total <= cap) {
    makePage(ctx, root, fdp, 0x1 | 0x2 | extraFlags, rootHeader(1), nodes, 0, 0, 0);
    return { pages: all, leaves: [root] };
  }
  // Leaves.
  let groups: Node[][] = [];
  let cur: Node[] = [];
  let size = 0;
  for (const e of nodes) {
    if (cur.length && size + entrySize(e) > fill) {
      groups.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(e);
    size += entrySize(e);
  }
  if (cur.length) groups.push(cur);
  let level: Array<{ pgno: number; last: Buffer }> = [];
  const leafNos = groups.map(() => alloc(ctx));
  groups.forEach((g, i) => {
    const pgno = leafNos[i]!;
    const pfx = ctx.prefix ? commonPrefix(g.map((e) => e.key)) : Buffer.alloc(0);
    makePage(ctx, pgno, fdp, 0x2 | extraFlags, pfx, g, i ? leafNos[i - 1]! : 0, i + 1 < leafNos.length ? leafNos[i + 1]! : 0, pfx.length);
    level.push({ pgno, last: g[g.length - 1]!.key });
  });
  all.push(...leafNos);
  // Branch levels.
  for (;;) {
    const entries: Node[] = level.map((c, i) => {
      const d = Buffer.alloc(4);
      d.writeUInt32LE(c.pgno);
      return { key: i === level.length - 1 ? Buffer.alloc(0) : c.last, data: d };
    });
    const bytes = entries.reduce((s, e) => s + entrySize(e), 0);
    if (bytes <= cap) {
      makePage(ctx, root, fdp, 0x1 | 0x4 | extraFlags, rootHeader(1), entries, 0, 0, 0);
      return { pages: all, leaves: leafNos };
    }
    groups = [];
    cur = [];
    size = 0;
    const lasts: Buffer[][] = [];
    let curLast: Buffer[] = [];
    entries.forEach((e, i) => {
      if (cur.length && size + entrySize(e) > fill) {
        groups.push(cur);
        lasts.push(curLast);
        cur = [];
        curLast = [];
        size = 0;
      }
      cur.push(e);
      curLast.push(level[i]!.last);
      size += entrySize(e);
    });
    groups.push(cur);
    lasts.push(curLast);
    const nos = groups.map(() => alloc(ctx));
    const nextLevel: Array<{ pgno: number; last: Buffer }> = [];
    groups.forEach((g, i) => {
      const pgno = nos[i]!;
      // Inside a branch page the last entry has an empty key only on the rightmost page.
      const es = g.map((e, k) => (k === g.length - 1 && i < groups.length - 1 ? { key: lasts[i]![k]!, data: e.data } : e));
      makePage(ctx, pgno, fdp, 0x4 | extraFlags, Buffer.alloc(0), es, i ? nos[i - 1]! : 0, i + 1 < nos.length ? nos[i + 1]! : 0, 0);
      nextLevel.push({ pgno, last: lasts[i]![lasts[i]!.length - 1]! });
    });
    all.push(...nos);
    level = nextLevel;
  }
}

function commonPrefix(keys: Buffer[]): Buffer {
  if (keys.length < 2) return Buffer.alloc(0);
  let n = keys[0]!.length;
  for (const k of keys) n = Math.min(n, commonLen(keys[0]!, k));
  return Buffer.from(keys[0]!.subarray(0, n));
}

/** Assigns column ids as ESE does: fixed types 1.., Text/Binary 128.., long and `tagged` ones 256.. */
export function columnIds(columns: WColumn[]): Map<WColumn, number> {
  let f = 1;
  let v = 128;
  let t = 256;
  const ids = new Map<WColumn, number>();
  for (const c of columns) {
    if (c.tagged || c.multi) ids.set(c, t++);
    else if (FIXED[c.type] !== undefined) ids.set(c, f++);
    else if (c.type === 9 || c.type === 10) ids.set(c, v++);
    else ids.set(c, t++);
  }
  return ids;
}

interface LvStore {
  next: number;
  nodes: Node[];
}

/** A record of the table: fixed, variable and tagged parts. */
function record(ctx: Ctx, cols: Array<{ c: WColumn; id: number }>, row: Record<string, WValue>, lv: LvStore, threshold: number): Buffer {
  const present = (c: WColumn) => row[c.name] !== null && row[c.name] !== undefined;
  const fixed = cols.filter((x) => x.id < 128);
  const variable = cols.filter((x) => x.id >= 128 && x.id < 256);
  const tagged = cols.filter((x) => x.id >= 256);
  const lastFixed = Math.max(0, ...fixed.filter((x) => present(x.c)).map((x) => x.id));
  const lastVar = Math.max(127, ...variable.filter((x) => present(x.c)).map((x) => x.id));
  const fixedParts: Buffer[] = [];
  const bitmap = Buffer.alloc(Math.ceil(lastFixed / 8));
  for (const x of fixed) {
    if (x.id > lastFixed) continue;
    const size = FIXED[x.c.type]!;
    if (present(x.c)) fixedParts.push(encode(x.c, row[x.c.name]!));
    else {
      fixedParts.push(Buffer.alloc(size));
      bitmap[(x.id - 1) >> 3]! |= 1 << ((x.id - 1) & 7);
    }
  }
  const fixedData = Buffer.concat(fixedParts);
  const varOffsets: Buffer[] = [];
  const varData: Buffer[] = [];
  let end = 0;
  for (const x of variable) {
    if (x.id > lastVar) continue;
    if (present(x.c)) {
      const d = encode(x.c, row[x.c.name]!);
      varData.push(d);
      end += d.length;
      varOffsets.push(le16(end));
    } else varOffsets.push(le16(end | 0x8000));
  }
  const tagEntries: Array<{ id: number; flags: number | null; data: Buffer }> = [];
  for (const x of tagged) {
    if (!present(x.c)) continue;
    const v = row[x.c.name]!;
    if (x.c.multi) {
      const vals = (Array.isArray(v) ? v : [v]).map((e) => encode(x.c, e));
      const head = Buffer.alloc(2 * vals.length);
      let o = head.length;
      vals.forEach((d, i) => {
        head.writeUInt16LE(o, 2 * i);
        o += d.length;
      });
      tagEntries.push({ id: x.id, flags: 0x08 | 0x01, data: Buffer.concat([head, ...vals]) });
      continue;
    }
    let d = encode(x.c, v);
    let flags: number | null = ctx.large ? 0 : null;
    const text = x.c.type === 10 || x.c.type === 12;
    if (x.c.compress && text) {
      const unicode = (x.c.codepage ?? 1200) === 1200;
      const s = String(v);
      if (/^[\x00-\x7f]*$/.test(s) && s.length > 0) {
        d = pack7([...s].map((ch) => ch.charCodeAt(0)), unicode);
        flags = 0x02;
      }
    } else if (x.c.xpress) {
      const comp = lzxpressCompress(d);
      d = Buffer.concat([Buffer.from([0x18, d.length & 0xff, d.length >> 8]), comp]);
      flags = 0x02;
    }
    if (d.length > threshold && (x.c.type === 11 || x.c.type === 12)) {
      const lid = lv.next++;
      const chunk = Math.floor(ctx.ps * 0.4);
      const rootData = Buffer.alloc(8);
      rootData.writeUInt32LE(1, 0);
      rootData.writeUInt32LE(d.length, 4);
      lv.nodes.push({ key: be(lid, 4), data: rootData });
      for (let o = 0; o < d.length; o += chunk) lv.nodes.push({ key: Buffer.concat([be(lid, 4), be(o, 4)]), data: d.subarray(o, o + chunk) });
      const ref = Buffer.alloc(4);
      ref.writeUInt32LE(lid);
      tagEntries.push({ id: x.id, flags: 0x04 | (flags ?? 0), data: ref });
      continue;
    }
    tagEntries.push({ id: x.id, flags, data: d });
  }
  let tagged_ = Buffer.alloc(0);
  if (tagEntries.length) {
    const head = Buffer.alloc(4 * tagEntries.length);
    let o = head.length;
    const bodies: Buffer[] = [];
    tagEntries.forEach((t, i) => {
      head.writeUInt16LE(t.id, 4 * i);
      const hasFlags = t.flags !== null;
      head.writeUInt16LE(o | (hasFlags && !ctx.large ? 0x4000 : 0), 4 * i + 2);
      const body = hasFlags ? Buffer.concat([Buffer.from([t.flags!]), t.data]) : t.data;
      bodies.push(body);
      o += body.length;
    });
    tagged_ = Buffer.concat([head, ...bodies]);
  }
  const header = Buffer.alloc(4);
  header[0] = lastFixed;
  header[1] = lastVar;
  header.writeUInt16LE(4 + fixedData.length + bitmap.length, 2);
  return Buffer.concat([header, fixedData, bitmap, ...varOffsets, ...varData, tagged_]);
}

const CATALOG_COLUMNS: WColumn[] = [
  { name: 'ObjidTable', type: JET.Long }, { name: 'Type', type: JET.Short }, { name: 'Id', type: JET.Long },
  { name: 'ColtypOrPgnoFDP', type: JET.Long }, { name: 'SpaceUsage', type: JET.Long }, { name: 'Flags', type: JET.Long },
  { name: 'PagesOrLocale', type: JET.Long }, { name: 'RootFlag', type: JET.Bit }, { name: 'RecordOffset', type: JET.Short },
  { name: 'LCMapFlags', type: JET.Long },
  { name: 'Name', type: JET.Text, codepage: 1252 },
];

function catalogRecord(ctx: Ctx, f: { objid: number; type: number; id: number; coltyp: number; space: number; flags: number; pages: number; name: string }): Node {
  const cols = columnIds(CATALOG_COLUMNS);
  const row: Record<string, WValue> = {
    ObjidTable: f.objid, Type: f.type, Id: f.id, ColtypOrPgnoFDP: f.coltyp, SpaceUsage: f.space, Flags: f.flags, PagesOrLocale: f.pages,
    RootFlag: f.type === 1, RecordOffset: 0, LCMapFlags: 0, Name: f.name,
  };
  const data = record(ctx, CATALOG_COLUMNS.map((c) => ({ c, id: cols.get(c)! })), row, { next: 1, nodes: [] }, Infinity);
  const key = Buffer.concat([be(f.objid, 4), be(f.type, 2), be(f.id, 4)]);
  return { key, data };
}

/** Writes a database holding `tables`. */
export function writeEse(tables: WTable[], opts: WriterOptions = {}): Written {
  const ps = opts.pageSize ?? 4096;
  const rev = opts.formatRevision ?? 0x14;
  const large = rev >= 0x11 && ps > 8192;
  const ctx: Ctx = { ps, large, hs: large ? 80 : 40, prefix: opts.prefix ?? true, pages: new Map(), next: 25 };
  const threshold = opts.lvThreshold ?? 1024;
  // Page 1: the database's root (FDP 1); 2 and 3 (its space trees) stay empty; 4: the catalog;
  // 24: its shadow; tables from 25.
  makePage(ctx, 1, 1, 0x1 | 0x2, rootHeader(0), [], 0, 0, 0);
  const catalog: Node[] = [];
  const out: Record<string, WrittenTable> = {};
  let fdp = 3;
  const catCols = columnIds(CATALOG_COLUMNS);
  catalog.push(catalogRecord(ctx, { objid: 2, type: 1, id: 2, coltyp: 4, space: 1, flags: 0, pages: 0, name: 'MSysObjects' }));
  for (const c of CATALOG_COLUMNS) {
    catalog.push(catalogRecord(ctx, { objid: 2, type: 2, id: catCols.get(c)!, coltyp: c.type, space: FIXED[c.type] ?? 255, flags: FIXED[c.type] ? 1 : 0, pages: c.codepage ?? 0, name: c.name }));
  }
  for (const t of tables) {
    const tfdp = ++fdp;
    const root = alloc(ctx);
    const ids = columnIds(t.columns);
    const cols = t.columns.map((c) => ({ c, id: ids.get(c)! })).sort((a, b) => a.id - b.id);
    const lv: LvStore = { next: 1, nodes: [] };
    const nodes: Node[] = t.rows.map((row, i) => ({ key: Buffer.concat([Buffer.from([0x7f]), be(i + 1, 4)]), data: record(ctx, cols, row, lv, threshold) }));
    const tree = buildTree(ctx, nodes, tfdp, root, 0);
    let lvRoot = 0;
    let lvPages: number[] = [];
    const lvFdp = ++fdp;
    if (lv.nodes.length) {
      lvRoot = alloc(ctx);
      lvPages = buildTree(ctx, lv.nodes, lvFdp, lvRoot, 0x80).pages;
    }
    catalog.push(catalogRecord(ctx, { objid: tfdp, type: 1, id: tfdp, coltyp: root, space: 1, flags: 0, pages: 0, name: t.name }));
    for (const { c, id } of cols) {
      const flags = (c.flags ?? 0) | (id < 128 ? 1 : 0) | (id >= 256 ? 2 : 0) | (c.multi ? 0x400 : 0) | (c.compress || c.xpress ? 0x80000 : 0);
      catalog.push(catalogRecord(ctx, { objid: tfdp, type: 2, id, coltyp: c.type, space: FIXED[c.type] ?? 0, flags, pages: c.type === 10 || c.type === 12 ? c.codepage ?? 1200 : 0, name: c.name }));
    }
    if (lvRoot) catalog.push(catalogRecord(ctx, { objid: tfdp, type: 4, id: lvFdp, coltyp: lvRoot, space: 1, flags: 0, pages: 0, name: 'LV' }));
    out[t.name] = { fdp: tfdp, root, pages: tree.pages, leaves: tree.leaves, lvRoot, lvPages, columnIds: Object.fromEntries(cols.map((x) => [x.c.name, x.id])) };
  }
  catalog.sort((a, b) => Buffer.compare(a.key, b.key));
  buildTree(ctx, catalog, 2, 4, 0);
  // Page 24: MSysObjectsShadow (FDP 3), the catalog's backup copy (libesedb reads it).
  buildTree(ctx, catalog, 3, 24, 0);
  // Checksums.
  const last = Math.max(...ctx.pages.keys());
  const file = Buffer.alloc((last + 2) * ps);
  for (const [n, b] of ctx.pages) {
    if (large) {
      const blk = ps / 4;
      for (let i = 1; i < 4; i++) b.writeUInt32LE(xor32(b, i * blk, (i + 1) * blk, n), 40 + 8 * (i - 1));
      b.writeBigUInt64LE(BigInt(n), 64);
      b.writeUInt32LE(xor32(b, 8, blk, n), 0);
    } else b.writeUInt32LE(xor32(b, 8, ps, n), 0);
    b.copy(file, (n + 1) * ps);
  }
  const h = Buffer.alloc(ps);
  h.writeUInt32LE(SIG, 4);
  h.writeUInt32LE(0x620, 8);
  h.writeUInt32LE(0, 12);
  h.writeUInt32LE(3, 52); // clean shutdown
  h.writeUInt32LE(rev, 232);
  h.writeUInt32LE(ps, 236);
  h.writeUInt32LE(0x620, 340);
  h.writeUInt32LE(rev, 344);
  h.writeUInt32LE(xor32(h, 4, 668, SIG), 0);
  h.copy(file, 0);
  h.copy(file, ps);
  return { bytes: file, pageSize: ps, tables: out };
}

/** Recomputes the checksum of page `n` of `file` (after a test changed it). */
export function fixChecksum(file: Buffer, ps: number, n: number): void {
  const b = file.subarray((n + 1) * ps, (n + 2) * ps);
  b.writeUInt32LE(xor32(b, 8, ps, n), 0);
}

/** Why esedbexport cannot be run here, or '' when it can. */
export function esedbMissing(): string {
  try {
    execFileSync('esedbexport', ['-V'], { stdio: 'pipe' });
    return '';
  } catch {
    return 'esedbexport is not installed (Debian package libesedb-utils)';
  }
}
