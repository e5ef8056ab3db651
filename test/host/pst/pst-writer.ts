// A test-only writer of Outlook PST files ([MS-PST]), Unicode (wVer 23) or ANSI (wVer 14), with
// no encryption or compressible encryption: a message store, the root folder, "Top of Outlook
// data file" and the folders given below it, each with its hierarchy and contents tables;
// messages with recipients (a recipient table), a plain-text body, a delivery time and
// attachments (an attachment table and one property context per attachment, large data in a
// subnode with an XBLOCK or XXBLOCK). Heaps span several blocks when their items do not fit in
// one, BTHs get index levels, tables put their row matrix in a subnode, and the node and block
// B-trees get as many levels as their entries need. No allocation maps are written
// (fAMapValid = 0: readers do not use them; Outlook would rebuild them).
import { crc32, ENCODE, signature } from '../../../main/host/pst/ndb.ts';

export interface WRecipient { type: 1 | 2 | 3; name: string; email: string }
export interface WAttachment { name: string; data: Uint8Array; mime?: string }
export interface WMessage {
  subject: string;
  senderName: string;
  senderEmail: string;
  recipients: WRecipient[];
  body: string;
  delivered: Date;
  attachments?: WAttachment[];
}
export interface WFolder { name: string; messages: WMessage[]; folders: WFolder[] }
export interface PstOptions { ansi?: boolean; crypt?: 0 | 1; top?: string }

/** What was written: the bytes and where things are (for damaging tests). */
export interface WrittenPst {
  bytes: Buffer;
  /** Every block: id, file offset and data size. */
  blocks: Array<{ bid: number; ib: number; cb: number }>;
  /** Every B-tree page: which tree, offset and level. */
  pages: Array<{ tree: 'NBT' | 'BBT'; ib: number; level: number }>;
  /** Every node of the node B-tree. */
  nodes: Array<{ nid: number; bidData: number; bidSub: number; parent: number }>;
  /** Message nids by the order the reader visits them. */
  messageNids: number[];
}

const PT = { Int32: 0x3, Bool: 0xb, Int64: 0x14, Time: 0x40, Unicode: 0x1f, String8: 0x1e, Binary: 0x102 } as const;
const FIXED: Record<number, number> = { 0x2: 2, 0x3: 4, 0xb: 1, 0x14: 8, 0x40: 8 };
const MAX_ITEM = 3580;

interface WNode { nid: number; blocks: Uint8Array[]; subnodes: WNode[]; parent: number }
type PValue = { type: number; value: Uint8Array | number | bigint | boolean | string | Date };

function u32(n: number): Uint8Array {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

function filetime(d: Date): bigint {
  return BigInt(d.getTime()) * 10000n + 116444736000000000n;
}

class Writer {
  readonly idSize: number;
  readonly trailer: number;
  readonly maxBlock: number;
  private nextLtp = 1;
  constructor(readonly ansi: boolean) {
    this.idSize = ansi ? 4 : 8;
    this.trailer = ansi ? 12 : 16;
    this.maxBlock = 8192 - this.trailer;
  }

  str(s: string): PValue {
    return this.ansi ? { type: PT.String8, value: Buffer.from(s, 'latin1') } : { type: PT.Unicode, value: Buffer.from(s, 'utf16le') };
  }

  bytesOf(p: PValue): Uint8Array {
    const v = p.value;
    if (v instanceof Uint8Array) return v;
    const size = FIXED[p.type] ?? 0;
    const b = Buffer.alloc(size);
    if (p.type === PT.Bool) b[0] = v ? 1 : 0;
    else if (p.type === PT.Int32) b.writeInt32LE(Number(v));
    else if (p.type === 0x2) b.writeInt16LE(Number(v));
    else if (p.type === PT.Int64) b.writeBigInt64LE(BigInt(v as number));
    else if (p.type === PT.Time) b.writeBigUInt64LE(filetime(v as Date));
    return b;
  }

  /** A new subnode nid for a large value (NID_TYPE_LTP). */
  ltpNid(): number {
    return ((this.nextLtp++ + 0x100) << 5) | 0x1f;
  }

  /** Splits raw data into blocks. */
  split(data: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let o = 0; o < data.length; o += this.maxBlock) out.push(data.subarray(o, Math.min(data.length, o + this.maxBlock)));
    if (out.length === 0) out.push(new Uint8Array(0));
    return out;
  }
}

/** A heap-on-node being built: items in blocks, allocated in order. */
class HeapWriter {
  private blocks: Uint8Array[][] = [[]];
  private sizes = [0];
  readonly subnodes: WNode[] = [];

  constructor(readonly w: Writer, readonly clientSig: number) {}

  private headerSize(i: number): number {
    return i === 0 ? 12 : i % 128 === 8 ? 66 : 2;
  }

  /** A heap item, or (when too large) a subnode: its HNID. */
  value(bytes: Uint8Array): number {
    if (bytes.length > MAX_ITEM) {
      const nid = this.w.ltpNid();
      this.subnodes.push({ nid, blocks: this.w.split(bytes), subnodes: [], parent: 0 });
      return nid;
    }
    return this.alloc(bytes);
  }

  alloc(bytes: Uint8Array): number {
    let i = this.blocks.length - 1;
    const need = (n: number, items: number) => this.headerSize(n) + this.sizes[n]! + bytes.length + 1 + 4 + 2 * (items + 2);
    if (need(i, this.blocks[i]!.length) > this.w.maxBlock || this.blocks[i]!.length >= 2000) {
      this.blocks.push([]);
      this.sizes.push(0);
      i++;
    }
    this.blocks[i]!.push(bytes);
    this.sizes[i]! += bytes.length;
    return (i << 16) | (this.blocks[i]!.length << 5);
  }

  /** Replaces the content of an item already allocated with one of the same size. */
  set(hid: number, bytes: Uint8Array): void {
    const it = this.blocks[hid >>> 16]!;
    const k = ((hid >>> 5) & 0x7ff) - 1;
    if (it[k]!.length !== bytes.length) throw new Error('heap set: size differs');
    it[k] = bytes;
  }

  build(userRoot: number): Uint8Array[] {
    return this.blocks.map((items, i) => {
      const head = this.headerSize(i);
      let size = head;
      for (const it of items) size += it.length;
      const map = size + (size & 1);
      const out = Buffer.alloc(map + 4 + 2 * (items.length + 1));
      let o = head;
      const offsets = [o];
      for (const it of items) {
        out.set(it, o);
        o += it.length;
        offsets.push(o);
      }
      out.writeUInt16LE(map, 0);
      if (i === 0) {
        out[2] = 0xec;
        out[3] = this.clientSig;
        out.writeUInt32LE(userRoot >>> 0, 4);
      }
      out.writeUInt16LE(items.length, map);
      out.writeUInt16LE(0, map + 2);
      offsets.forEach((x, k) => out.writeUInt16LE(x, map + 4 + 2 * k));
      return out;
    });
  }
}

/** A BTH of sorted records in `heap`: the hid of its header. */
function writeBth(heap: HeapWriter, cbKey: number, cbEnt: number, records: Array<{ key: Uint8Array; data: Uint8Array }>): number {
  let level = 0;
  let items = records;
  let size = cbKey + cbEnt;
  let root = 0;
  if (items.length > 0) {
    for (;;) {
      const per = Math.floor(MAX_ITEM / size);
      const next: Array<{ key: Uint8Array; data: Uint8Array }> = [];
      for (let i = 0; i < items.length; i += per) {
        const chunk = items.slice(i, i + per);
        const hid = heap.alloc(Buffer.concat(chunk.flatMap((r) => [r.key, r.data])));
        next.push({ key: chunk[0]!.key, data: u32(hid) });
      }
      if (next.length === 1) {
        root = next[0]!.data.length ? Buffer.from(next[0]!.data).readUInt32LE(0) : 0;
        break;
      }
      items = next;
      level++;
      size = cbKey + 4;
    }
  }
  const h = Buffer.alloc(8);
  h[0] = 0xb5;
  h[1] = cbKey;
  h[2] = cbEnt;
  h[3] = level;
  h.writeUInt32LE(root >>> 0, 4);
  return heap.alloc(h);
}

/** A property context node's blocks and subnodes. */
function writePc(w: Writer, props: Map<number, PValue>): { blocks: Uint8Array[]; subnodes: WNode[] } {
  const heap = new HeapWriter(w, 0xbc);
  const ids = [...props.keys()].sort((a, b) => a - b);
  const records = ids.map((id) => {
    const p = props.get(id)!;
    const bytes = w.bytesOf(p);
    const rec = Buffer.alloc(6);
    rec.writeUInt16LE(p.type, 0);
    const size = FIXED[p.type];
    if (size !== undefined && size <= 4) rec.set(bytes, 2);
    else rec.writeUInt32LE(heap.value(bytes) >>> 0, 2);
    const key = Buffer.alloc(2);
    key.writeUInt16LE(id);
    return { key, data: rec };
  });
  const root = writeBth(heap, 2, 6, records);
  return { blocks: heap.build(root), subnodes: heap.subnodes };
}

interface WColumn { id: number; type: number }

/** A table context node's blocks and subnodes. */
function writeTc(w: Writer, columns: WColumn[], rows: Array<{ rowId: number; values: Map<number, PValue> }>): { blocks: Uint8Array[]; subnodes: WNode[] } {
  const heap = new HeapWriter(w, 0x7c);
  const all: WColumn[] = [{ id: 0x67f2, type: PT.Int32 }, { id: 0x67f3, type: PT.Int32 }, ...columns];
  const cell = (c: WColumn) => FIXED[c.type] ?? 4;
  // Row layout: RowId, RowVer, then 8-, 4-, 2- and 1-byte cells, then the CEB.
  const layout = new Map<number, { ib: number; cb: number; bit: number }>();
  let o = 0;
  all.forEach((c, i) => {
    if (i < 2) {
      layout.set(c.id, { ib: o, cb: 4, bit: i });
      o += 4;
    }
  });
  for (const size of [8, 4, 2, 1]) {
    all.slice(2).forEach((c, i) => {
      if (cell(c) !== size) return;
      layout.set(c.id, { ib: o, cb: size, bit: i + 2 });
      o += size;
    });
  }
  const end4 = all.slice(2).filter((c) => cell(c) >= 4).reduce((n, c) => n + cell(c), 8);
  const end2 = end4 + all.filter((c) => cell(c) === 2).length * 2;
  const end1 = end2 + all.filter((c) => cell(c) === 1).length;
  const rowSize = end1 + Math.ceil(all.length / 8);
  const matrix = rows.map((r, index) => {
    const row = Buffer.alloc(rowSize);
    const put = (id: number, bytes: Uint8Array) => {
      const l = layout.get(id)!;
      row.set(bytes.subarray(0, l.cb), l.ib);
      row[end1 + (l.bit >> 3)]! |= 0x80 >> (l.bit & 7);
    };
    put(0x67f2, u32(r.rowId));
    put(0x67f3, u32(index + 1));
    for (const c of columns) {
      const p = r.values.get(c.id);
      if (!p) continue;
      const bytes = w.bytesOf(p);
      put(c.id, FIXED[c.type] !== undefined ? bytes : u32(heap.value(bytes)));
    }
    return row;
  });
  const indexRecords = rows
    .map((r, i) => ({ key: u32(r.rowId), data: w.ansi ? Buffer.from([i & 0xff, i >> 8]) : u32(i) }))
    .sort((a, b) => Buffer.from(a.key).readUInt32LE(0) - Buffer.from(b.key).readUInt32LE(0));
  // The TCINFO is allocated first (hidUserRoot 0x20) and filled in at the end.
  const info = Buffer.alloc(22 + 8 * all.length);
  const infoHid = heap.alloc(info);
  const rowIndex = writeBth(heap, 4, w.ansi ? 2 : 4, indexRecords);
  let rowsHnid = 0;
  const data = Buffer.concat(matrix);
  if (rows.length > 0) {
    if (data.length <= MAX_ITEM) rowsHnid = heap.alloc(data);
    else {
      const per = Math.floor(w.maxBlock / rowSize);
      const blocks: Uint8Array[] = [];
      for (let i = 0; i < matrix.length; i += per) blocks.push(Buffer.concat(matrix.slice(i, i + per)));
      rowsHnid = w.ltpNid();
      heap.subnodes.push({ nid: rowsHnid, blocks, subnodes: [], parent: 0 });
    }
  }
  info[0] = 0x7c;
  info[1] = all.length;
  info.writeUInt16LE(end4, 2);
  info.writeUInt16LE(end2, 4);
  info.writeUInt16LE(end1, 6);
  info.writeUInt16LE(rowSize, 8);
  info.writeUInt32LE(rowIndex >>> 0, 10);
  info.writeUInt32LE(rowsHnid >>> 0, 14);
  [...all].sort((a, b) => (a.id << 16 | a.type) - (b.id << 16 | b.type) || 0).forEach((c, i) => {
    const l = layout.get(c.id)!;
    info.writeUInt32LE(((c.id << 16) | c.type) >>> 0, 22 + 8 * i);
    info.writeUInt16LE(l.ib, 26 + 8 * i);
    info[28 + 8 * i] = l.cb;
    info[29 + 8 * i] = l.bit;
  });
  heap.set(infoHid, info);
  return { blocks: heap.build(infoHid), subnodes: heap.subnodes };
}

/** Lays out blocks and pages in a file buffer. */
class Layout {
  private parts: Buffer[] = [];
  size = 0x4400;
  private nextBid = 1;
  private nextPage = 1;
  readonly bbt: Array<{ bid: number; ib: number; cb: number }> = [];
  readonly nbt: Array<{ nid: number; bidData: number; bidSub: number; parent: number }> = [];
  readonly pages: WrittenPst['pages'] = [];

  constructor(readonly w: Writer, readonly crypt: number) {}

  private put(b: Buffer, align: number): number {
    const pad = (align - (this.size % align)) % align;
    if (pad) this.parts.push(Buffer.alloc(pad));
    this.size += pad;
    const ib = this.size;
    this.parts.push(b);
    this.size += b.length;
    return ib;
  }

  block(data: Uint8Array, internal: boolean): number {
    const bid = this.nextBid++ * 4 + (internal ? 2 : 0);
    const stored = Buffer.from(data);
    if (!internal && this.crypt === 1) for (let i = 0; i < stored.length; i++) stored[i] = ENCODE[stored[i]!]!;
    const total = (stored.length + this.w.trailer + 63) & ~63;
    const b = Buffer.alloc(total);
    stored.copy(b, 0);
    const ib = this.size + ((64 - (this.size % 64)) % 64);
    const t = total - this.w.trailer;
    b.writeUInt16LE(stored.length, t);
    b.writeUInt16LE(signature(ib, bid), t + 2);
    const crc = crc32(stored);
    if (this.w.ansi) {
      b.writeUInt32LE(bid, t + 4);
      b.writeUInt32LE(crc, t + 8);
    } else {
      b.writeUInt32LE(crc, t + 4);
      b.writeBigUInt64LE(BigInt(bid), t + 8);
    }
    this.put(b, 64);
    this.bbt.push({ bid, ib, cb: stored.length });
    return bid;
  }

  private id(b: Buffer, at: number, v: number): void {
    if (this.w.ansi) b.writeUInt32LE(v >>> 0, at);
    else b.writeBigUInt64LE(BigInt(v), at);
  }

  /** The data tree of blocks: a data block, an XBLOCK or an XXBLOCK. */
  data(blocks: Uint8Array[]): number {
    const ids = blocks.map((b) => this.block(b, false));
    if (ids.length === 1) return ids[0]!;
    const total = blocks.reduce((n, b) => n + b.length, 0);
    const per = Math.floor((this.w.maxBlock - 8) / this.w.idSize);
    const x = (level: number, children: number[]) => {
      const b = Buffer.alloc(8 + children.length * this.w.idSize);
      b[0] = 1;
      b[1] = level;
      b.writeUInt16LE(children.length, 2);
      b.writeUInt32LE(total, 4);
      children.forEach((c, i) => this.id(b, 8 + i * this.w.idSize, c));
      return this.block(b, true);
    };
    if (ids.length <= per) return x(1, ids);
    const xs: number[] = [];
    for (let i = 0; i < ids.length; i += per) xs.push(x(1, ids.slice(i, i + per)));
    if (xs.length > per) throw new Error('data too large for an XXBLOCK');
    return x(2, xs);
  }

  /** The subnode tree of nodes: an SLBLOCK, or an SIBLOCK over SLBLOCKs. */
  subnodes(nodes: WNode[]): number {
    if (nodes.length === 0) return 0;
    const entries = [...nodes].sort((a, b) => a.nid - b.nid).map((n) => ({ nid: n.nid, data: this.data(n.blocks), sub: this.subnodes(n.subnodes) }));
    const head = this.w.ansi ? 4 : 8;
    const n = this.w.idSize;
    const per = Math.floor((this.w.maxBlock - head) / (3 * n));
    const sl = (chunk: typeof entries) => {
      const b = Buffer.alloc(head + chunk.length * 3 * n);
      b[0] = 2;
      b[1] = 0;
      b.writeUInt16LE(chunk.length, 2);
      chunk.forEach((e, i) => {
        this.id(b, head + i * 3 * n, e.nid);
        this.id(b, head + i * 3 * n + n, e.data);
        this.id(b, head + i * 3 * n + 2 * n, e.sub);
      });
      return this.block(b, true);
    };
    if (entries.length <= per) return sl(entries);
    const si: Array<{ nid: number; bid: number }> = [];
    for (let i = 0; i < entries.length; i += per) si.push({ nid: entries[i]!.nid, bid: sl(entries.slice(i, i + per)) });
    const b = Buffer.alloc(head + si.length * 2 * n);
    b[0] = 2;
    b[1] = 1;
    b.writeUInt16LE(si.length, 2);
    si.forEach((e, i) => {
      this.id(b, head + i * 2 * n, e.nid);
      this.id(b, head + i * 2 * n + n, e.bid);
    });
    return this.block(b, true);
  }

  node(n: WNode): void {
    this.nbt.push({ nid: n.nid, bidData: this.data(n.blocks), bidSub: this.subnodes(n.subnodes), parent: n.parent });
  }

  /** A B-tree over sorted leaf entries: its root BREF. */
  tree(kind: 'NBT' | 'BBT', leaves: Buffer[], keys: number[]): { bid: number; ib: number } {
    const ansi = this.w.ansi;
    const n = this.w.idSize;
    const ptype = kind === 'NBT' ? 0x81 : 0x80;
    const entriesSize = ansi ? 496 : 488;
    let level = 0;
    let items = leaves;
    let itemKeys = keys;
    for (;;) {
      const size = items[0]?.length ?? (level === 0 ? (kind === 'NBT' ? 4 * n : 3 * n) : 3 * n);
      const per = Math.floor(entriesSize / size);
      const next: Buffer[] = [];
      const nextKeys: number[] = [];
      for (let i = 0; i < Math.max(1, items.length); i += per) {
        const chunk = items.slice(i, i + per);
        const page = Buffer.alloc(512);
        chunk.forEach((e, k) => e.copy(page, k * size));
        const meta = ansi ? 496 : 488;
        page[meta] = chunk.length;
        page[meta + 1] = per;
        page[meta + 2] = size;
        page[meta + 3] = level;
        const bid = this.nextPage++ * 4;
        const ib = this.size + ((512 - (this.size % 512)) % 512);
        const t = ansi ? 500 : 496;
        page[t] = ptype;
        page[t + 1] = ptype;
        page.writeUInt16LE(signature(ib, bid), t + 2);
        const crc = crc32(page, 0, t);
        if (ansi) {
          page.writeUInt32LE(bid, t + 4);
          page.writeUInt32LE(crc, t + 8);
        } else {
          page.writeUInt32LE(crc, t + 4);
          page.writeBigUInt64LE(BigInt(bid), t + 8);
        }
        this.put(page, 512);
        this.pages.push({ tree: kind, ib, level });
        const e = Buffer.alloc(3 * n);
        this.id(e, 0, itemKeys[i] ?? 0);
        this.id(e, n, bid);
        this.id(e, 2 * n, ib);
        next.push(e);
        nextKeys.push(itemKeys[i] ?? 0);
      }
      if (next.length === 1) {
        const e = next[0]!;
        return ansi ? { bid: e.readUInt32LE(n), ib: e.readUInt32LE(2 * n) } : { bid: Number(e.readBigUInt64LE(n)), ib: Number(e.readBigUInt64LE(2 * n)) };
      }
      items = next;
      itemKeys = nextKeys;
      level++;
    }
  }

  finish(): Buffer {
    const n = this.w.idSize;
    const nbt = [...this.nbt].sort((a, b) => a.nid - b.nid);
    const nbtLeaves = nbt.map((e) => {
      const b = Buffer.alloc(4 * n);
      this.id(b, 0, e.nid);
      this.id(b, n, e.bidData);
      this.id(b, 2 * n, e.bidSub);
      b.writeUInt32LE(e.parent >>> 0, 3 * n);
      return b;
    });
    const bbt = [...this.bbt].sort((a, b) => a.bid - b.bid);
    const bbtLeaves = bbt.map((e) => {
      const b = Buffer.alloc(this.w.ansi ? 12 : 24);
      this.id(b, 0, e.bid);
      this.id(b, n, e.ib);
      b.writeUInt16LE(e.cb, 2 * n);
      b.writeUInt16LE(1, 2 * n + 2);
      return b;
    });
    const nbtRoot = this.tree('NBT', nbtLeaves, nbt.map((e) => e.nid));
    const bbtRoot = this.tree('BBT', bbtLeaves, bbt.map((e) => e.bid));
    const eof = this.size;
    const h = Buffer.alloc(this.w.ansi ? 512 : 564);
    h.write('!BDN', 0, 'latin1');
    h.writeUInt16LE(0x4d53, 8);
    h.writeUInt16LE(this.w.ansi ? 14 : 23, 10);
    h.writeUInt16LE(19, 12);
    h[14] = 1;
    h[15] = 1;
    const nidBase = this.w.ansi ? 36 : 44;
    for (let i = 0; i < 32; i++) h.writeUInt32LE(0x400000, nidBase + 4 * i);
    if (this.w.ansi) {
      h.writeUInt32LE(this.nextBid * 4, 24);
      h.writeUInt32LE(this.nextPage * 4, 28);
      h.writeUInt32LE(eof, 168);
      h.writeUInt32LE(nbtRoot.bid, 184);
      h.writeUInt32LE(nbtRoot.ib, 188);
      h.writeUInt32LE(bbtRoot.bid, 192);
      h.writeUInt32LE(bbtRoot.ib, 196);
      h.fill(0xff, 204, 460);
      h[460] = 0x80;
      h[461] = this.crypt;
      h.writeUInt32LE(crc32(h, 8, 8 + 471), 4);
    } else {
      h.writeBigUInt64LE(BigInt(this.nextPage * 4), 32);
      h.writeBigUInt64LE(BigInt(eof), 184);
      h.writeBigUInt64LE(BigInt(nbtRoot.bid), 216);
      h.writeBigUInt64LE(BigInt(nbtRoot.ib), 224);
      h.writeBigUInt64LE(BigInt(bbtRoot.bid), 232);
      h.writeBigUInt64LE(BigInt(bbtRoot.ib), 240);
      h.fill(0xff, 256, 512);
      h[512] = 0x80;
      h[513] = this.crypt;
      h.writeBigUInt64LE(BigInt(this.nextBid * 4), 516);
      h.writeUInt32LE(crc32(h, 8, 8 + 471), 4);
      h.writeUInt32LE(crc32(h, 8, 8 + 516), 524);
    }
    const head = Buffer.alloc(0x4400);
    h.copy(head, 0);
    return Buffer.concat([head, ...this.parts]);
  }
}

export const NID_ROOT = 0x122;
const folderNid = (i: number) => ((0x400 + i) << 5) | 0x02;
const messageNid = (i: number) => ((0x10000 + i) << 5) | 0x04;

/** Writes a PST holding `folders` below "Top of Outlook data file". */
export function writePst(folders: WFolder[], opts: PstOptions = {}): WrittenPst {
  const w = new Writer(opts.ansi ?? false);
  const out = new Layout(w, opts.crypt ?? 0);
  const S = (s: string) => w.str(s);
  const I = (n: number): PValue => ({ type: PT.Int32, value: n });
  const B = (b: boolean): PValue => ({ type: PT.Bool, value: b });
  const T = (d: Date): PValue => ({ type: PT.Time, value: d });
  const topNid = folderNid(0);
  let folderCount = 0;
  let messageCount = 0;
  const messageNids: number[] = [];

  const recordKey = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
  const entryId = (nid: number) => Buffer.concat([Buffer.alloc(4), recordKey, u32(nid)]);
  const store = writePc(w, new Map<number, PValue>([
    [0x0ff9, { type: PT.Binary, value: recordKey }],
    [0x3001, S('Personal Folders')],
    [0x35e0, { type: PT.Binary, value: entryId(topNid) }],
    [0x35e3, { type: PT.Binary, value: entryId(topNid) }],
    [0x35e7, { type: PT.Binary, value: entryId(folderNid(0x3ff)) }],
  ]));
  out.node({ nid: 0x21, blocks: store.blocks, subnodes: store.subnodes, parent: 0 });
  const names = writePc(w, new Map<number, PValue>([
    [0x0001, I(251)],
    [0x0002, { type: PT.Binary, value: Buffer.alloc(0) }],
    [0x0003, { type: PT.Binary, value: Buffer.alloc(0) }],
    [0x0004, { type: PT.Binary, value: Buffer.alloc(0) }],
  ]));
  out.node({ nid: 0x61, blocks: names.blocks, subnodes: names.subnodes, parent: 0 });

  const hierarchyColumns: WColumn[] = [
    { id: 0x3001, type: w.ansi ? PT.String8 : PT.Unicode }, { id: 0x3602, type: PT.Int32 }, { id: 0x3603, type: PT.Int32 }, { id: 0x360a, type: PT.Bool },
  ];
  const contentsColumns: WColumn[] = [
    { id: 0x001a, type: w.ansi ? PT.String8 : PT.Unicode }, { id: 0x0037, type: w.ansi ? PT.String8 : PT.Unicode },
    { id: 0x0c1a, type: w.ansi ? PT.String8 : PT.Unicode }, { id: 0x0e06, type: PT.Time }, { id: 0x0e07, type: PT.Int32 },
  ];

  const writeMessage = (m: WMessage, nid: number, parent: number) => {
    const to = m.recipients.filter((r) => r.type === 1).map((r) => r.name).join('; ');
    const cc = m.recipients.filter((r) => r.type === 2).map((r) => r.name).join('; ');
    const atts = m.attachments ?? [];
    const props = new Map<number, PValue>([
      [0x001a, S('IPM.Note')],
      [0x0037, S(m.subject)],
      [0x0039, T(m.delivered)],
      [0x0042, S(m.senderName)],
      [0x0064, S('SMTP')],
      [0x0065, S(m.senderEmail)],
      [0x0c1a, S(m.senderName)],
      [0x0c1e, S('SMTP')],
      [0x0c1f, S(m.senderEmail)],
      [0x0e04, S(to)],
      [0x0e06, T(m.delivered)],
      [0x0e07, I(1 | (atts.length ? 0x10 : 0))],
      [0x1000, S(m.body)],
      [0x3007, T(m.delivered)],
      [0x3008, T(m.delivered)],
    ]);
    if (cc) props.set(0x0e03, S(cc));
    const pc = writePc(w, props);
    const subs: WNode[] = [...pc.subnodes];
    const recips = writeTc(w, [
      { id: 0x0c15, type: PT.Int32 }, { id: 0x0ffe, type: PT.Int32 }, { id: 0x3001, type: w.ansi ? PT.String8 : PT.Unicode },
      { id: 0x3002, type: w.ansi ? PT.String8 : PT.Unicode }, { id: 0x3003, type: w.ansi ? PT.String8 : PT.Unicode }, { id: 0x39fe, type: w.ansi ? PT.String8 : PT.Unicode },
    ], m.recipients.map((r, i) => ({
      rowId: i,
      values: new Map<number, PValue>([[0x0c15, I(r.type)], [0x0ffe, I(6)], [0x3001, S(r.name)], [0x3002, S('SMTP')], [0x3003, S(r.email)], [0x39fe, S(r.email)]]),
    })));
    subs.push({ nid: 0x692, blocks: recips.blocks, subnodes: recips.subnodes, parent: 0 });
    if (atts.length) {
      const rows = atts.map((a, i) => {
        const attNid = ((0x400 + i) << 5) | 0x05;
        const apc = writePc(w, new Map<number, PValue>([
          [0x0e20, I(a.data.length + 200)],
          [0x3001, S(a.name)],
          [0x3701, { type: PT.Binary, value: a.data }],
          [0x3704, S(a.name.slice(0, 12))],
          [0x3705, I(1)],
          [0x3707, S(a.name)],
          [0x370b, I(-1)],
          [0x370e, S(a.mime ?? 'application/octet-stream')],
        ]));
        subs.push({ nid: attNid, blocks: apc.blocks, subnodes: apc.subnodes, parent: 0 });
        return { rowId: attNid, values: new Map<number, PValue>([[0x0e20, I(a.data.length + 200)], [0x3704, S(a.name.slice(0, 12))], [0x3705, I(1)], [0x370b, I(-1)]]) };
      });
      const at = writeTc(w, [{ id: 0x0e20, type: PT.Int32 }, { id: 0x3704, type: w.ansi ? PT.String8 : PT.Unicode }, { id: 0x3705, type: PT.Int32 }, { id: 0x370b, type: PT.Int32 }], rows);
      subs.push({ nid: 0x671, blocks: at.blocks, subnodes: at.subnodes, parent: 0 });
    }
    out.node({ nid, blocks: pc.blocks, subnodes: subs, parent });
  };

  /** A folder node with its tables; its children written first. */
  const writeFolder = (nid: number, name: string, parent: number, children: WFolder[], messages: WMessage[], isRoot = false) => {
    const childNids = children.map(() => folderNid(folderCount++));
    const msgNids = messages.map(() => messageNid(messageCount++));
    messageNids.push(...msgNids);
    const pc = writePc(w, new Map<number, PValue>([
      [0x3001, S(name)], [0x3602, I(messages.length)], [0x3603, I(0)], [0x360a, B(children.length > 0)], [0x3613, S('IPF.Note')],
    ]));
    out.node({ nid, blocks: pc.blocks, subnodes: pc.subnodes, parent: isRoot ? nid : parent });
    const base = nid - (nid & 0x1f);
    const h = writeTc(w, hierarchyColumns, children.map((c, i) => ({
      rowId: childNids[i]!,
      values: new Map<number, PValue>([[0x3001, S(c.name)], [0x3602, I(c.messages.length)], [0x3603, I(0)], [0x360a, B(c.folders.length > 0)]]),
    })));
    out.node({ nid: base | 0x0d, blocks: h.blocks, subnodes: h.subnodes, parent: 0 });
    const c = writeTc(w, contentsColumns, messages.map((m, i) => ({
      rowId: msgNids[i]!,
      values: new Map<number, PValue>([[0x001a, S('IPM.Note')], [0x0037, S(m.subject)], [0x0c1a, S(m.senderName)], [0x0e06, T(m.delivered)], [0x0e07, I(1)]]),
    })));
    out.node({ nid: base | 0x0e, blocks: c.blocks, subnodes: c.subnodes, parent: 0 });
    const a = writeTc(w, contentsColumns, []);
    out.node({ nid: base | 0x0f, blocks: a.blocks, subnodes: a.subnodes, parent: 0 });
    messages.forEach((m, i) => writeMessage(m, msgNids[i]!, nid));
    children.forEach((f, i) => writeFolder(childNids[i]!, f.name, nid, f.folders, f.messages));
  };
  writeFolder(NID_ROOT, '', NID_ROOT, [{ name: opts.top ?? 'Top of Outlook data file', messages: [], folders }], [], true);
  const bytes = out.finish();
  return { bytes, blocks: out.bbt, pages: out.pages, nodes: out.nbt, messageNids };
}
