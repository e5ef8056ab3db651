/**
 * The node database (NDB) layer of Outlook PST files ([MS-PST] 2.2), read through an accessor's
 * random-access reader: the header, the node and block B-trees (NBT, BBT) page by page (pages
 * kept in a small cache, never the whole tree), data blocks with their trailers, XBLOCK and
 * XXBLOCK data trees, SLBLOCK and SIBLOCK subnode trees.
 *
 * - Unicode files (wVer 23 and later: 8-byte block ids and offsets, 16-byte trailers) and ANSI
 *   files (wVer 14 and 15: 4-byte ids and offsets, 12-byte trailers);
 * - bCryptMethod NDB_CRYPT_NONE and NDB_CRYPT_PERMUTE ("compressible encryption": each byte of
 *   an external data block through the published 256-byte substitution table); the cyclic
 *   method is refused with a clear error;
 * - the header's CRCs, each B-tree page's (type, CRC of its data, block id) and each block's
 *   trailer (size, CRC, block id) are checked: damage is a PstError naming the page or block
 *   and its offset.
 */
import * as zlib from 'node:zlib';
import { readFull, type FileReader } from '../files/accessors.ts';

/** A problem with the file: names the page, block or node and its offset. */
export class PstError extends Error {}

export const CRYPT_NONE = 0;
export const CRYPT_PERMUTE = 1;
export const CRYPT_CYCLIC = 2;

/** Page types of the page trailer. */
export const PTYPE_BBT = 0x80;
export const PTYPE_NBT = 0x81;

/**
 * [MS-PST] 5.1 mpbbI: how NDB_CRYPT_PERMUTE blocks are decoded (byte b becomes DECODE[b]);
 * ENCODE (mpbbR) is its inverse.
 */
export const DECODE = Uint8Array.from([
  0x47, 0xf1, 0xb4, 0xe6, 0x0b, 0x6a, 0x72, 0x48, 0x85, 0x4e, 0x9e, 0xeb, 0xe2, 0xf8, 0x94, 0x53,
  0xe0, 0xbb, 0xa0, 0x02, 0xe8, 0x5a, 0x09, 0xab, 0xdb, 0xe3, 0xba, 0xc6, 0x7c, 0xc3, 0x10, 0xdd,
  0x39, 0x05, 0x96, 0x30, 0xf5, 0x37, 0x60, 0x82, 0x8c, 0xc9, 0x13, 0x4a, 0x6b, 0x1d, 0xf3, 0xfb,
  0x8f, 0x26, 0x97, 0xca, 0x91, 0x17, 0x01, 0xc4, 0x32, 0x2d, 0x6e, 0x31, 0x95, 0xff, 0xd9, 0x23,
  0xd1, 0x00, 0x5e, 0x79, 0xdc, 0x44, 0x3b, 0x1a, 0x28, 0xc5, 0x61, 0x57, 0x20, 0x90, 0x3d, 0x83,
  0xb9, 0x43, 0xbe, 0x67, 0xd2, 0x46, 0x42, 0x76, 0xc0, 0x6d, 0x5b, 0x7e, 0xb2, 0x0f, 0x16, 0x29,
  0x3c, 0xa9, 0x03, 0x54, 0x0d, 0xda, 0x5d, 0xdf, 0xf6, 0xb7, 0xc7, 0x62, 0xcd, 0x8d, 0x06, 0xd3,
  0x69, 0x5c, 0x86, 0xd6, 0x14, 0xf7, 0xa5, 0x66, 0x75, 0xac, 0xb1, 0xe9, 0x45, 0x21, 0x70, 0x0c,
  0x87, 0x9f, 0x74, 0xa4, 0x22, 0x4c, 0x6f, 0xbf, 0x1f, 0x56, 0xaa, 0x2e, 0xb3, 0x78, 0x33, 0x50,
  0xb0, 0xa3, 0x92, 0xbc, 0xcf, 0x19, 0x1c, 0xa7, 0x63, 0xcb, 0x1e, 0x4d, 0x3e, 0x4b, 0x1b, 0x9b,
  0x4f, 0xe7, 0xf0, 0xee, 0xad, 0x3a, 0xb5, 0x59, 0x04, 0xea, 0x40, 0x55, 0x25, 0x51, 0xe5, 0x7a,
  0x89, 0x38, 0x68, 0x52, 0x7b, 0xfc, 0x27, 0xae, 0xd7, 0xbd, 0xfa, 0x07, 0xf4, 0xcc, 0x8e, 0x5f,
  0xef, 0x35, 0x9c, 0x84, 0x2b, 0x15, 0xd5, 0x77, 0x34, 0x49, 0xb6, 0x12, 0x0a, 0x7f, 0x71, 0x88,
  0xfd, 0x9d, 0x18, 0x41, 0x7d, 0x93, 0xd8, 0x58, 0x2c, 0xce, 0xfe, 0x24, 0xaf, 0xde, 0xb8, 0x36,
  0xc8, 0xa1, 0x80, 0xa6, 0x99, 0x98, 0xa8, 0x2f, 0x0e, 0x81, 0x65, 0x73, 0xe4, 0xc2, 0xa2, 0x8a,
  0xd4, 0xe1, 0x11, 0xd0, 0x08, 0x8b, 0x2a, 0xf2, 0xed, 0x9a, 0x64, 0x3f, 0xc1, 0x6c, 0xf9, 0xec,
]);

export const ENCODE = (() => {
  const t = new Uint8Array(256);
  DECODE.forEach((v, i) => (t[v] = i));
  return t;
})();

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** zlib's CRC-32 where Node has it (20.15 and later): it inverts before and after. */
const nativeCrc = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** [MS-PST] 5.3: the CRC-32 table of IEEE 802.3, starting from 0, with no final inversion. */
export function crc32(b: Uint8Array, start = 0, end = b.length): number {
  if (nativeCrc && end - start >= 64) return (nativeCrc(b.subarray(start, end), 0xffffffff) ^ 0xffffffff) >>> 0;
  return crc32js(b, start, end);
}

/** The same, byte by byte in JavaScript. */
export function crc32js(b: Uint8Array, start = 0, end = b.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = CRC_TABLE[(crc ^ b[i]!) & 0xff]! ^ (crc >>> 8);
  return crc >>> 0;
}

/** [MS-PST] 5.5: the signature of a page or block at `ib` with id `bid` (low 32 bits of each). */
export function signature(ib: number, bid: number): number {
  const x = ((ib >>> 0) ^ (bid >>> 0)) >>> 0;
  return ((x >>> 16) ^ x) & 0xffff;
}

/** An entry of the node B-tree. */
export interface NodeEntry {
  readonly nid: number;
  readonly bidData: number;
  readonly bidSub: number;
  readonly nidParent: number;
}

/** An entry of the block B-tree: where a block is and its size (without padding and trailer). */
export interface BlockEntry {
  readonly bid: number;
  readonly ib: number;
  readonly cb: number;
}

/** A node's subnode: its data and its own subnodes (SLENTRY). */
export interface SubnodeEntry {
  readonly nid: number;
  readonly bidData: number;
  readonly bidSub: number;
}

/** The blocks of a data tree, in order, with where each starts in the node's data. */
export interface DataTree {
  readonly size: number;
  readonly blocks: ReadonlyArray<{ readonly bid: number; readonly start: number; readonly size: number }>;
}

interface BtPage {
  readonly level: number;
  /** Keys (nid or bid), ascending. */
  readonly keys: number[];
  /** Per entry: the child BREF (level > 0) or the leaf entry. */
  readonly items: Array<{ bid: number; ib: number } | NodeEntry | BlockEntry>;
}

const WINDOW = 64 * 1024;
const WINDOWS = 32;

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

function hex(n: number): string {
  return '0x' + n.toString(16);
}

/** A 64-bit little-endian id or offset as a number (ids past 2^53 are refused). */
function u64(v: DataView, at: number, what: string): number {
  const lo = v.getUint32(at, true);
  const hi = v.getUint32(at + 4, true);
  if (hi >= 0x200000) throw new PstError(`${what} ${hi.toString(16)}${lo.toString(16).padStart(8, '0')}h at ${at} is too large`);
  return hi * 0x100000000 + lo;
}

export class PstFile {
  /** 4-byte ids and offsets (wVer 14, 15) rather than 8 (wVer 23 and later). */
  readonly ansi: boolean;
  private readonly pages = new Map<number, BtPage>();
  /** Windows of the file recently read (by window number): nearby blocks cost no new read. */
  private readonly windows = new Map<number, Uint8Array>();
  private readonly idSize: number;
  private readonly trailerSize: number;

  private constructor(
    readonly reader: FileReader,
    readonly version: number,
    readonly crypt: number,
    readonly nbt: { bid: number; ib: number },
    readonly bbt: { bid: number; ib: number },
    readonly fileEof: number,
  ) {
    this.ansi = version < 23;
    this.idSize = this.ansi ? 4 : 8;
    this.trailerSize = this.ansi ? 12 : 16;
  }

  /** The largest data a block holds (8 KiB less the trailer). */
  get maxBlockData(): number {
    return 8192 - this.trailerSize;
  }

  /** Reads and checks the header. */
  static async open(reader: FileReader): Promise<PstFile> {
    const h = await readFull(reader, 0, 564);
    if (h.length < 512) throw new PstError(`the file has ${h.length} bytes: too short for a PST header (512 bytes at least)`);
    const v = dv(h);
    if (h[0] !== 0x21 || h[1] !== 0x42 || h[2] !== 0x44 || h[3] !== 0x4e) {
      throw new PstError(`not a PST file: the header starts ${Buffer.from(h.subarray(0, 4)).toString('hex')}, not "!BDN" (21424444e)`);
    }
    const magicClient = v.getUint16(8, true);
    if (magicClient !== 0x4d53) throw new PstError(`not a PST file: wMagicClient is ${hex(magicClient)}, not 0x4d53 ("SM")`);
    const version = v.getUint16(10, true);
    const ansi = version === 14 || version === 15;
    if (!ansi && version < 23) throw new PstError(`unknown PST version wVer=${version} (14, 15: ANSI; 23: Unicode)`);
    if (version >= 36) throw new PstError(`wVer=${version}: an OST file with 4 KiB pages, which is not supported (only PST files: wVer 14, 15 and 23)`);
    if (!ansi && h.length < 564) throw new PstError(`the file has ${h.length} bytes: too short for a Unicode PST header (564 bytes)`);
    const partial = v.getUint32(4, true);
    const partialGot = crc32(h, 8, 8 + 471);
    if (partial !== partialGot) throw new PstError(`damaged header: dwCRCPartial is ${hex(partial)}, the header's CRC is ${hex(partialGot)} (offset 4)`);
    if (!ansi) {
      const full = v.getUint32(524, true);
      const fullGot = crc32(h, 8, 8 + 516);
      if (full !== fullGot) throw new PstError(`damaged header: dwCRCFull is ${hex(full)}, the header's CRC is ${hex(fullGot)} (offset 524)`);
    }
    const crypt = ansi ? h[461]! : h[513]!;
    if (crypt === CRYPT_CYCLIC) throw new PstError('the file uses cyclic encryption (bCryptMethod 2, NDB_CRYPT_CYCLIC), which is not supported (only none and compressible encryption are)');
    if (crypt !== CRYPT_NONE && crypt !== CRYPT_PERMUTE) throw new PstError(`unknown encryption bCryptMethod=${crypt}`);
    let nbt: { bid: number; ib: number };
    let bbt: { bid: number; ib: number };
    let eof: number;
    if (ansi) {
      eof = v.getUint32(164 + 4, true);
      nbt = { bid: v.getUint32(184, true), ib: v.getUint32(188, true) };
      bbt = { bid: v.getUint32(192, true), ib: v.getUint32(196, true) };
    } else {
      eof = u64(v, 180 + 4, 'ibFileEof');
      nbt = { bid: u64(v, 216, 'NBT bid'), ib: u64(v, 224, 'NBT ib') };
      bbt = { bid: u64(v, 232, 'BBT bid'), ib: u64(v, 240, 'BBT ib') };
    }
    return new PstFile(reader, version, crypt, nbt, bbt, eof);
  }

  /**
   * `length` bytes at `offset` (fewer at the end of the file), through a small cache of 64 KiB
   * windows: a message's blocks are usually near one another, so most reads are served from
   * memory. Reads larger than a window go to the file directly.
   */
  private async readAt(offset: number, length: number): Promise<Uint8Array> {
    const first = Math.floor(offset / WINDOW);
    const last = Math.floor((offset + length - 1) / WINDOW);
    if (length > WINDOW || last - first > 1) return readFull(this.reader, offset, length);
    const parts: Uint8Array[] = [];
    for (let w = first; w <= last; w++) {
      let b = this.windows.get(w);
      if (b) {
        this.windows.delete(w);
      } else {
        b = await readFull(this.reader, w * WINDOW, WINDOW);
        if (this.windows.size >= WINDOWS) this.windows.delete(this.windows.keys().next().value!);
      }
      this.windows.set(w, b);
      const from = w === first ? offset - w * WINDOW : 0;
      const to = Math.min(b.length, w === last ? offset + length - w * WINDOW : WINDOW);
      parts.push(b.subarray(Math.min(from, b.length), Math.max(from, to)));
      if (b.length < WINDOW) break;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  private id(v: DataView, at: number, what: string): number {
    return this.ansi ? v.getUint32(at, true) : u64(v, at, what);
  }

  /** Reads and checks the B-tree page at `ref` (its type, CRC and block id). */
  private async page(ref: { bid: number; ib: number }, ptype: number): Promise<BtPage> {
    const hit = this.pages.get(ref.ib);
    if (hit) return hit;
    const tree = ptype === PTYPE_NBT ? 'node B-tree (NBT)' : 'block B-tree (BBT)';
    const where = `${tree} page at offset ${ref.ib}`;
    const b = await this.readAt(ref.ib, 512);
    if (b.length < 512) throw new PstError(`${where}: the file ends after ${b.length} bytes of it (truncated file)`);
    const v = dv(b);
    const dataSize = this.ansi ? 500 : 496;
    const t = dataSize;
    if (b[t] !== ptype || b[t + 1] !== ptype) throw new PstError(`${where}: page type is ${hex(b[t]!)}/${hex(b[t + 1]!)}, not ${hex(ptype)} (damaged page)`);
    const crc = this.ansi ? v.getUint32(t + 8, true) : v.getUint32(t + 4, true);
    const crcGot = crc32(b, 0, dataSize);
    if (crc !== crcGot) throw new PstError(`${where}: the page's CRC is ${hex(crcGot)}, its trailer says ${hex(crc)} (damaged page)`);
    const bid = this.ansi ? v.getUint32(t + 4, true) : u64(v, t + 8, 'page bid');
    if (bid !== ref.bid) throw new PstError(`${where}: the page is block ${hex(bid)}, its parent says ${hex(ref.bid)} (damaged B-tree)`);
    const cEnt = b[dataSize - 4 - (this.ansi ? 0 : 4)]!;
    const cbEnt = b[dataSize - 2 - (this.ansi ? 0 : 4)]!;
    const level = b[dataSize - 1 - (this.ansi ? 0 : 4)]!;
    const entriesSize = this.ansi ? 496 : 488;
    const n = this.idSize;
    const leafSize = ptype === PTYPE_NBT ? (this.ansi ? 16 : 32) : this.ansi ? 12 : 24;
    const want = level > 0 ? 3 * n : leafSize;
    if (cbEnt !== want || cEnt * cbEnt > entriesSize) throw new PstError(`${where}: ${cEnt} entries of ${cbEnt} bytes at level ${level} (expected ${want}-byte entries; damaged page)`);
    const keys: number[] = [];
    const items: BtPage['items'] = [];
    for (let i = 0; i < cEnt; i++) {
      const o = i * cbEnt;
      if (level > 0) {
        const key = this.id(v, o, 'key');
        // Block ids are compared without their reserved low bit.
        keys.push(ptype === PTYPE_BBT ? key - (key % 2) : key);
        items.push({ bid: this.id(v, o + n, 'bid'), ib: this.id(v, o + 2 * n, 'ib') });
      } else if (ptype === PTYPE_NBT) {
        const nid = v.getUint32(o, true);
        keys.push(nid);
        items.push({ nid, bidData: this.id(v, o + n, 'bidData'), bidSub: this.id(v, o + 2 * n, 'bidSub'), nidParent: v.getUint32(o + 3 * n, true) });
      } else {
        const bid = this.id(v, o, 'bid');
        keys.push(bid - (bid % 2));
        items.push({ bid, ib: this.id(v, o + n, 'ib'), cb: v.getUint16(o + 2 * n, true) });
      }
    }
    const page: BtPage = { level, keys, items };
    if (this.pages.size >= 4096) this.pages.delete(this.pages.keys().next().value!);
    this.pages.set(ref.ib, page);
    return page;
  }

  /** The leaf entry with key `key`, or null. */
  private async lookup(root: { bid: number; ib: number }, ptype: number, key: number): Promise<NodeEntry | BlockEntry | null> {
    let ref = root;
    for (let depth = 0; depth < 16; depth++) {
      const p = await this.page(ref, ptype);
      // The last entry whose key is <= key.
      let lo = 0;
      let hi = p.keys.length - 1;
      let at = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (p.keys[mid]! <= key) {
          at = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      if (at < 0) return null;
      if (p.level === 0) return p.keys[at] === key ? (p.items[at] as NodeEntry | BlockEntry) : null;
      ref = p.items[at] as { bid: number; ib: number };
    }
    throw new PstError(`${ptype === PTYPE_NBT ? 'node' : 'block'} B-tree deeper than 16 levels (a loop? damaged B-tree)`);
  }

  /** Every entry of the node B-tree, in nid order (a walk of its pages). */
  async *allNodes(): AsyncGenerator<NodeEntry> {
    const walk = async function* (this: PstFile, ref: { bid: number; ib: number }, depth: number): AsyncGenerator<NodeEntry> {
      if (depth > 16) throw new PstError('node B-tree deeper than 16 levels (damaged B-tree)');
      const p = await this.page(ref, PTYPE_NBT);
      for (const it of p.items) {
        if (p.level === 0) yield it as NodeEntry;
        else yield* walk.call(this, it as { bid: number; ib: number }, depth + 1);
      }
    };
    yield* walk.call(this, this.nbt, 0);
  }

  /** The node `nid` (NBT entry), or null. */
  async node(nid: number): Promise<NodeEntry | null> {
    return (await this.lookup(this.nbt, PTYPE_NBT, nid >>> 0)) as NodeEntry | null;
  }

  /** The block `bid` (BBT entry); the low bit of ids is reserved and not compared. */
  async blockEntry(bid: number): Promise<BlockEntry> {
    const key = bid - (bid % 2);
    const e = (await this.lookup(this.bbt, PTYPE_BBT, key)) as BlockEntry | null;
    if (!e) throw new PstError(`block ${hex(bid)} is not in the block B-tree (BBT)`);
    return e;
  }

  /** Whether a block id names an internal block (XBLOCK, XXBLOCK, SLBLOCK, SIBLOCK). */
  static internal(bid: number): boolean {
    return Math.floor(bid / 2) % 2 === 1;
  }

  /** The data of block `bid`, its trailer checked, decoded when the file is encrypted. */
  async block(bid: number): Promise<Uint8Array> {
    const e = await this.blockEntry(bid);
    const total = (e.cb + this.trailerSize + 63) & ~63;
    const where = `block ${hex(bid)} at offset ${e.ib}`;
    const b = await this.readAt(e.ib, total);
    if (b.length < total) throw new PstError(`${where}: the file ends after ${b.length} of its ${total} bytes (truncated file)`);
    const v = dv(b);
    const t = total - this.trailerSize;
    const cb = v.getUint16(t, true);
    const crc = this.ansi ? v.getUint32(t + 8, true) : v.getUint32(t + 4, true);
    const tbid = this.ansi ? v.getUint32(t + 4, true) : u64(v, t + 8, 'block bid');
    if (cb !== e.cb) throw new PstError(`${where}: its trailer says ${cb} bytes, the block B-tree ${e.cb} (damaged block)`);
    if (tbid - (tbid % 2) !== bid - (bid % 2)) throw new PstError(`${where}: its trailer names block ${hex(tbid)} (damaged block)`);
    const crcGot = crc32(b, 0, cb);
    if (crc !== crcGot) throw new PstError(`${where}: the block's CRC is ${hex(crcGot)}, its trailer says ${hex(crc)} (damaged block)`);
    const data = b.subarray(0, cb);
    if (this.crypt === CRYPT_PERMUTE && !PstFile.internal(bid)) {
      const out = new Uint8Array(cb);
      for (let i = 0; i < cb; i++) out[i] = DECODE[data[i]!]!;
      return out;
    }
    return data;
  }

  /** The data blocks of a node's data (`bidData`: a data block, an XBLOCK or an XXBLOCK). */
  async dataTree(bid: number): Promise<DataTree> {
    if (bid === 0) return { size: 0, blocks: [] };
    if (!PstFile.internal(bid)) {
      const e = await this.blockEntry(bid);
      return { size: e.cb, blocks: [{ bid, start: 0, size: e.cb }] };
    }
    const ids: number[] = [];
    let total = -1;
    const walk = async (id: number, depth: number): Promise<void> => {
      const b = await this.block(id);
      const where = `block ${hex(id)}`;
      if (b.length < 8 || b[0] !== 1) throw new PstError(`${where}: not an XBLOCK/XXBLOCK (btype ${b[0]}; damaged data tree)`);
      const v = dv(b);
      const level = b[1]!;
      const n = v.getUint16(2, true);
      if (total < 0) total = v.getUint32(4, true);
      if (level < 1 || level > 2 || (depth > 0 && level !== 1)) {
        throw new PstError(`${where}: data tree level ${level} (damaged data tree)`);
      }
      if (8 + n * this.idSize > b.length) throw new PstError(`${where}: ${n} entries do not fit in ${b.length} bytes (damaged data tree)`);
      for (let i = 0; i < n; i++) {
        const child = this.id(v, 8 + i * this.idSize, 'bid');
        if (level === 2) await walk(child, depth + 1);
        else ids.push(child);
      }
    };
    await walk(bid, 0);
    const blocks: Array<{ bid: number; start: number; size: number }> = [];
    let start = 0;
    for (const id of ids) {
      const e = await this.blockEntry(id);
      blocks.push({ bid: id, start, size: e.cb });
      start += e.cb;
    }
    if (start !== total) throw new PstError(`data tree ${hex(bid)}: its blocks hold ${start} bytes, its lcbTotal says ${total} (damaged data tree)`);
    return { size: start, blocks };
  }

  /** Every block of a node's data, in order (what a heap-on-node is made of). */
  async dataBlocks(bid: number): Promise<Uint8Array[]> {
    const tree = await this.dataTree(bid);
    const out: Uint8Array[] = [];
    for (const b of tree.blocks) out.push(await this.block(b.bid));
    return out;
  }

  /** A node's whole data (small nodes: heap items in subnodes, tables). */
  async data(bid: number): Promise<Uint8Array> {
    const blocks = await this.dataBlocks(bid);
    return blocks.length === 1 ? blocks[0]! : Buffer.concat(blocks);
  }

  /** The subnodes of a node (`bidSub`: an SLBLOCK or an SIBLOCK), by nid. */
  async subnodes(bid: number): Promise<Map<number, SubnodeEntry>> {
    const out = new Map<number, SubnodeEntry>();
    if (bid === 0) return out;
    const walk = async (id: number, depth: number): Promise<void> => {
      if (depth > 4) throw new PstError(`subnode tree ${hex(bid)} is deeper than 4 levels (damaged)`);
      const b = await this.block(id);
      const where = `block ${hex(id)}`;
      if (b.length < 8 || b[0] !== 2) throw new PstError(`${where}: not an SLBLOCK/SIBLOCK (btype ${b[0]}; damaged subnode tree)`);
      const v = dv(b);
      const level = b[1]!;
      const n = v.getUint16(2, true);
      const head = this.ansi ? 4 : 8;
      const size = (level === 0 ? 3 : 2) * this.idSize;
      if (head + n * size > b.length) throw new PstError(`${where}: ${n} entries do not fit in ${b.length} bytes (damaged subnode tree)`);
      for (let i = 0; i < n; i++) {
        const o = head + i * size;
        const nid = v.getUint32(o, true);
        if (level === 0) out.set(nid, { nid, bidData: this.id(v, o + this.idSize, 'bid'), bidSub: this.id(v, o + 2 * this.idSize, 'bid') });
        else await walk(this.id(v, o + this.idSize, 'bid'), depth + 1);
      }
    };
    await walk(bid, 0);
    return out;
  }

  /** A random-access reader over a data tree (an attachment's bytes, read block by block). */
  streamOf(tree: DataTree): { size: number; read(offset: number, length: number): Promise<Uint8Array> } {
    return {
      size: tree.size,
      read: async (offset, length) => {
        const end = Math.min(tree.size, offset + length);
        if (offset >= end) return new Uint8Array(0);
        const parts: Uint8Array[] = [];
        // The first block that holds `offset` (blocks are in ascending order of start).
        let lo = 0;
        let hi = tree.blocks.length - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (tree.blocks[mid]!.start <= offset) lo = mid;
          else hi = mid - 1;
        }
        for (let i = lo; i < tree.blocks.length; i++) {
          const blk = tree.blocks[i]!;
          if (blk.start >= end) break;
          const data = await this.block(blk.bid);
          const from = Math.max(0, offset - blk.start);
          const to = Math.min(data.length, end - blk.start);
          parts.push(data.subarray(from, to));
        }
        return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      },
    };
  }
}
