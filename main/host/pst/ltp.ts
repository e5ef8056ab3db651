/**
 * The lists, tables and properties (LTP) layer of PST files ([MS-PST] 2.3) over a node of the
 * NDB layer (ndb.ts):
 *
 * - heap-on-node (HN): the node's data blocks, each with a page map of allocations; a HID
 *   names allocation `index` (1-based) of block `blockIndex` (hid = blockIndex << 16 | index << 5);
 * - BTH: a B-tree in the heap (header bType 0xB5, key and entry sizes, index levels, root);
 * - property context (PC, bClientSig 0xBC): a BTH of {wPropId, wPropType, dwValueHnid}, the
 *   value inline when it fits in 4 bytes, else an HNID: a heap item (HID) or a subnode (NID);
 * - table context (TC, bClientSig 0x7C): TCINFO with its column descriptions, the row index
 *   BTH {dwRowID, dwRowIndex} and the row matrix (a heap item or a subnode; rows never cross
 *   a block), each row's cell-existence bitmap (CEB) telling which cells have a value.
 */
import { VTime, type Value } from '../../vql/index.ts';
import { PstError, type PstFile, type SubnodeEntry } from './ndb.ts';

export const HN_SIG = 0xec;
export const CLIENT_TC = 0x7c;
export const CLIENT_BTH = 0xb5;
export const CLIENT_PC = 0xbc;

/** Property types ([MS-OXCDATA] 2.11.1). */
export const PT = {
  Int16: 0x0002, Int32: 0x0003, Float32: 0x0004, Float64: 0x0005, Currency: 0x0006, AppTime: 0x0007,
  Error: 0x000a, Boolean: 0x000b, Object: 0x000d, Int64: 0x0014, String8: 0x001e, Unicode: 0x001f,
  Time: 0x0040, Guid: 0x0048, Binary: 0x0102,
} as const;

/** Sizes of the fixed-size types; others (strings, binary, GUID, multi-valued) are held by an HNID. */
const FIXED: Readonly<Record<number, number>> = { 0x2: 2, 0x3: 4, 0x4: 4, 0x5: 8, 0x6: 8, 0x7: 8, 0xa: 4, 0xb: 1, 0x14: 8, 0x40: 8 };

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const hex = (n: number) => '0x' + (n >>> 0).toString(16);

/** A heap-on-node: the allocations of a node's data blocks. */
export class Heap {
  readonly clientSig: number;
  readonly userRoot: number;

  constructor(
    readonly blocks: Uint8Array[],
    readonly where: string,
  ) {
    const b = blocks[0];
    if (!b || b.length < 12) throw new PstError(`${where}: no heap-on-node header (the node has ${b?.length ?? 0} bytes)`);
    if (b[2] !== HN_SIG) throw new PstError(`${where}: heap-on-node signature is ${hex(b[2]!)}, not 0xec (damaged node)`);
    this.clientSig = b[3]!;
    this.userRoot = dv(b).getUint32(4, true);
  }

  /** The bytes of heap item `hid` (empty for hid 0). */
  item(hid: number): Uint8Array {
    if (hid === 0) return new Uint8Array(0);
    if ((hid & 0x1f) !== 0) throw new PstError(`${this.where}: ${hex(hid)} is not a heap id`);
    const index = (hid >>> 5) & 0x7ff;
    const blockIndex = hid >>> 16;
    const b = this.blocks[blockIndex];
    if (!b) throw new PstError(`${this.where}: heap id ${hex(hid)} names block ${blockIndex} of ${this.blocks.length}`);
    const v = dv(b);
    const map = v.getUint16(0, true);
    if (map + 4 > b.length) throw new PstError(`${this.where}: heap block ${blockIndex}: page map offset ${map} is past its ${b.length} bytes (damaged node)`);
    const cAlloc = v.getUint16(map, true);
    if (index < 1 || index > cAlloc || map + 4 + 2 * (cAlloc + 1) > b.length) {
      throw new PstError(`${this.where}: heap id ${hex(hid)}: allocation ${index} of ${cAlloc} in block ${blockIndex} (damaged node)`);
    }
    const start = v.getUint16(map + 4 + 2 * (index - 1), true);
    const end = v.getUint16(map + 4 + 2 * index, true);
    if (start > end || end > map) throw new PstError(`${this.where}: heap id ${hex(hid)} spans ${start}..${end} of block ${blockIndex} (damaged node)`);
    return b.subarray(start, end);
  }
}

/** The records of the BTH whose header is heap item `hid`: {key, data}, in key order. */
export function bthRecords(heap: Heap, hid: number): { cbKey: number; cbEnt: number; records: Array<{ key: Uint8Array; data: Uint8Array }> } {
  const h = heap.item(hid);
  if (h.length < 8 || h[0] !== CLIENT_BTH) throw new PstError(`${heap.where}: BTH header ${hex(hid)} is not a BTH (bType ${h[0]}; damaged node)`);
  const cbKey = h[1]!;
  const cbEnt = h[2]!;
  const levels = h[3]!;
  const root = dv(h).getUint32(4, true);
  const records: Array<{ key: Uint8Array; data: Uint8Array }> = [];
  const walk = (id: number, level: number) => {
    if (id === 0) return;
    const b = heap.item(id);
    const size = cbKey + (level > 0 ? 4 : cbEnt);
    if (size === 0 || b.length % size !== 0) throw new PstError(`${heap.where}: BTH record block ${hex(id)} of ${b.length} bytes does not hold ${size}-byte records (damaged node)`);
    for (let o = 0; o < b.length; o += size) {
      if (level > 0) walk(dv(b).getUint32(o + cbKey, true), level - 1);
      else records.push({ key: b.subarray(o, o + cbKey), data: b.subarray(o + cbKey, o + size) });
    }
  };
  if (levels > 8) throw new PstError(`${heap.where}: BTH of ${levels} levels (damaged node)`);
  walk(root, levels);
  return { cbKey, cbEnt, records };
}

/** A node whose heap items and subnodes values may be in. */
export interface NodeData {
  readonly pst: PstFile;
  readonly heap: Heap;
  readonly subnodes: Map<number, SubnodeEntry>;
}

/** Reads a node (its data blocks and subnodes) as a heap-on-node. */
export async function openNode(pst: PstFile, bidData: number, bidSub: number, where: string): Promise<NodeData> {
  const blocks = await pst.dataBlocks(bidData);
  return { pst, heap: new Heap(blocks, where), subnodes: await pst.subnodes(bidSub) };
}

/** The bytes an HNID names: a heap item, or the data of a subnode. */
export async function hnidBytes(n: NodeData, hnid: number): Promise<Uint8Array> {
  if ((hnid & 0x1f) === 0) return n.heap.item(hnid);
  const sub = n.subnodes.get(hnid);
  if (!sub) throw new PstError(`${n.heap.where}: subnode ${hex(hnid)} is not in the node's subnode tree`);
  return n.pst.data(sub.bidData);
}

/** A property as stored: its type and where its value is. */
export interface RawProp {
  readonly type: number;
  /** The 4 bytes of dwValueHnid (the value itself for fixed types of 4 bytes or less). */
  readonly inline: Uint8Array;
  readonly hnid: number;
}

/** A property context: the properties of a message, folder, attachment... by id. */
export class PropertyContext {
  constructor(
    readonly node: NodeData,
    readonly props: Map<number, RawProp>,
  ) {}

  static async open(node: NodeData): Promise<PropertyContext> {
    if (node.heap.clientSig !== CLIENT_PC) throw new PstError(`${node.heap.where}: not a property context (bClientSig ${hex(node.heap.clientSig)}, not 0xbc)`);
    const { cbKey, cbEnt, records } = bthRecords(node.heap, node.heap.userRoot);
    if (cbKey !== 2 || cbEnt !== 6) throw new PstError(`${node.heap.where}: property context BTH of ${cbKey}-byte keys and ${cbEnt}-byte entries (damaged node)`);
    const props = new Map<number, RawProp>();
    for (const r of records) {
      const v = dv(r.data);
      props.set(dv(r.key).getUint16(0, true), { type: v.getUint16(0, true), inline: r.data.subarray(2, 6), hnid: v.getUint32(2, true) });
    }
    return new PropertyContext(node, props);
  }

  has(id: number): boolean {
    return this.props.has(id);
  }

  /** The value's bytes (fixed types of 4 bytes or less: the inline bytes). */
  async bytes(id: number): Promise<Uint8Array | null> {
    const p = this.props.get(id);
    if (!p) return null;
    const size = FIXED[p.type];
    if (size !== undefined && size <= 4) return p.inline.subarray(0, size);
    return hnidBytes(this.node, p.hnid);
  }

  /** The property's value (strings, numbers, times, bytes), or null when absent. */
  async get(id: number): Promise<Value> {
    const p = this.props.get(id);
    if (!p) return null;
    return decodeValue(p.type, (await this.bytes(id))!);
  }

  async text(id: number): Promise<string | null> {
    const v = await this.get(id);
    return typeof v === 'string' ? v : null;
  }
}

/** A column of a table context. */
export interface TableColumn {
  readonly id: number;
  readonly type: number;
  readonly ibData: number;
  readonly cbData: number;
  readonly iBit: number;
}

/** A cell as stored in its row: the value (fixed types) or the HNID of the value (others). */
export interface TableCell {
  readonly type: number;
  readonly raw: Uint8Array;
}

/** A row of a table: its row id and its cells that have a value, by property id. */
export interface TableRow {
  readonly rowId: number;
  readonly cells: Map<number, TableCell>;
}

/** The value of a cell (a variable-size value is read from the heap or a subnode only now). */
export async function cellValue(node: NodeData, cell: TableCell | undefined): Promise<Value> {
  if (!cell) return null;
  if (FIXED[cell.type] !== undefined) return decodeValue(cell.type, cell.raw);
  return decodeValue(cell.type, await hnidBytes(node, dv(cell.raw).getUint32(0, true)));
}

/** Reads the rows of a table context (folder hierarchy and contents, recipients, attachments). */
export async function readTable(node: NodeData): Promise<{ columns: TableColumn[]; rows: TableRow[] }> {
  const heap = node.heap;
  if (heap.clientSig !== CLIENT_TC) throw new PstError(`${heap.where}: not a table context (bClientSig ${hex(heap.clientSig)}, not 0x7c)`);
  const info = heap.item(heap.userRoot);
  if (info.length < 22 || info[0] !== CLIENT_TC) throw new PstError(`${heap.where}: TCINFO is ${info.length} bytes of type ${hex(info[0] ?? 0)} (damaged table)`);
  const v = dv(info);
  const cCols = info[1]!;
  const endBm = v.getUint16(2 + 6, true);
  const end1b = v.getUint16(2 + 4, true);
  const rowIndexHid = v.getUint32(10, true);
  const rowsHnid = v.getUint32(14, true);
  if (info.length < 22 + 8 * cCols) throw new PstError(`${heap.where}: TCINFO of ${info.length} bytes cannot hold ${cCols} columns (damaged table)`);
  const columns: TableColumn[] = [];
  for (let i = 0; i < cCols; i++) {
    const o = 22 + 8 * i;
    const tag = v.getUint32(o, true);
    columns.push({ id: tag >>> 16, type: tag & 0xffff, ibData: v.getUint16(o + 4, true), cbData: info[o + 6]!, iBit: info[o + 7]! });
  }
  const rowSize = endBm;
  for (const c of columns) {
    if (c.ibData + c.cbData > end1b || c.iBit >= (endBm - end1b) * 8) throw new PstError(`${heap.where}: column ${hex(c.id)} lies outside the ${rowSize}-byte row (damaged table)`);
  }
  const index = bthRecords(heap, rowIndexHid);
  const order = index.records
    .map((r) => ({ id: dv(r.key).getUint32(0, true), at: index.cbEnt >= 4 ? dv(r.data).getUint32(0, true) : dv(r.data).getUint16(0, true) }))
    .sort((a, b) => a.at - b.at);
  // The row matrix, one piece per block (rows do not cross blocks).
  let pieces: Uint8Array[] = [];
  if (rowsHnid !== 0 && order.length > 0) {
    if ((rowsHnid & 0x1f) === 0) pieces = [heap.item(rowsHnid)];
    else {
      const sub = node.subnodes.get(rowsHnid);
      if (!sub) throw new PstError(`${heap.where}: the row matrix subnode ${hex(rowsHnid)} is not in the node's subnode tree`);
      pieces = await node.pst.dataBlocks(sub.bidData);
    }
  }
  const starts: number[] = [];
  let total = 0;
  for (const p of pieces) {
    starts.push(total);
    total += rowSize > 0 ? Math.floor(p.length / rowSize) : 0;
  }
  const rows: TableRow[] = [];
  for (const { at } of order) {
    let k = pieces.length - 1;
    while (k > 0 && starts[k]! > at) k--;
    if (at >= total || k < 0) throw new PstError(`${heap.where}: row ${at} is past the ${total} rows of the row matrix (damaged table)`);
    const piece = pieces[k]!;
    const o = (at - starts[k]!) * rowSize;
    const row = piece.subarray(o, o + rowSize);
    const cells = new Map<number, TableCell>();
    for (const c of columns) {
      if (!(row[end1b + (c.iBit >> 3)]! & (0x80 >> (c.iBit & 7)))) continue;
      const size = FIXED[c.type] ?? 4;
      if (c.cbData < size) continue; // a cell too small for its type: no value
      cells.set(c.id, { type: c.type, raw: row.subarray(c.ibData, c.ibData + size) });
    }
    rows.push({ rowId: dv(row).getUint32(0, true), cells });
  }
  return { columns, rows };
}

const FILETIME_UNIX_DIFF = 116444736000000000n;
const latin = new TextDecoder('windows-1252');

/** A FILETIME (100 ns since 1601) as a time; null for 0. */
export function filetimeValue(b: Uint8Array): VTime | null {
  const ft = dv(b).getBigUint64(0, true);
  if (ft === 0n) return null;
  return new VTime((BigInt.asIntN(64, ft) - FILETIME_UNIX_DIFF) * 100n);
}

/** Text without its trailing NULs. */
function trimNul(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** A property value from its bytes. */
export function decodeValue(type: number, b: Uint8Array): Value {
  const v = dv(b);
  const need = FIXED[type];
  if (need !== undefined && b.length < need) return null;
  switch (type) {
    case PT.Int16: return v.getInt16(0, true);
    case PT.Int32: case PT.Error: return v.getInt32(0, true);
    case PT.Float32: return v.getFloat32(0, true);
    case PT.Float64: case PT.AppTime: return v.getFloat64(0, true);
    case PT.Boolean: return b[0] !== 0;
    case PT.Currency: case PT.Int64: {
      const n = v.getBigInt64(0, true);
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
    }
    case PT.Time: return filetimeValue(b);
    case PT.Unicode: return trimNul(Buffer.from(b.buffer, b.byteOffset, b.length - (b.length & 1)).toString('utf16le'));
    case PT.String8: return trimNul(latin.decode(b));
    default: return b;
  }
}
