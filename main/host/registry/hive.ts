/**
 * A reader of Windows registry hive files (the "regf" format), in memory and synchronous.
 *
 * Layout: a 4096-byte base block ("regf", the root key's cell offset at 0x24, the size of the
 * hive bins at 0x28), then hive bins ("hbin") holding cells. A cell is a signed 32-bit size
 * (negative: allocated) followed by a record; cell offsets count from the end of the base block.
 * Records read here:
 *
 * - `nk`: a key (name ASCII/Latin-1 when flag 0x20 is set, UTF-16LE otherwise; last-write
 *   FILETIME; subkey list and value list offsets and counts; class names are ignored);
 * - `lf` / `lh` (offset + hash pairs), `li` (offsets), `ri` (offsets of other lists): subkey lists;
 * - a value list: a cell of value offsets;
 * - `vk`: a value (name, type, data: inline in the record when the size's high bit is set,
 *   else in a cell, or through a `db` record's segment list when larger than 16344 bytes).
 *
 * Everything is bounds-checked: an offset outside the hive, a record of the wrong kind, a count
 * that cannot fit its cell, or a subkey list met twice (a loop) throws a HiveError. Volatile
 * subkeys (never on disk), transaction logs (.LOG1/.LOG2) and dirty-hive recovery are ignored:
 * the primary file is read as it is.
 */

/** A damaged or unreadable hive: what is wrong (`detail`) and where (`where`, e.g. `key A\\B`). */
export class HiveError extends Error {
  constructor(readonly detail: string, readonly where?: string) {
    super(where ? `${detail} (${where})` : detail);
  }
}

/** Cell offsets count from here (the end of the base block). */
const BASE = 0x1000;
/** A big-data segment holds at most this many bytes. */
const SEGMENT = 16344;
/** Subkey index nesting (ri → ri → lf) at most. */
const MAX_LIST_DEPTH = 4;

export const VALUE_TYPES: Record<number, string> = {
  0: 'NONE', 1: 'SZ', 2: 'EXPAND_SZ', 3: 'BINARY', 4: 'DWORD', 5: 'DWORD_BIG_ENDIAN', 6: 'LINK',
  7: 'MULTI_SZ', 8: 'RESOURCE_LIST', 9: 'FULL_RESOURCE_DESCRIPTOR', 10: 'RESOURCE_REQUIREMENTS_LIST', 11: 'QWORD',
};

/** A key record. */
export interface KeyNode {
  /** The cell offset of the nk record (its identity in the hive). */
  readonly offset: number;
  readonly name: string;
  /** The last-write time, a FILETIME (100 ns since 1601). */
  readonly lastWrite: bigint;
  readonly subkeyCount: number;
  readonly subkeyList: number;
  readonly valueCount: number;
  readonly valueList: number;
}

/** A value record (its data is read on demand: Hive.valueData). */
export interface ValueNode {
  readonly offset: number;
  /** The stored name ("" for the key's default value). */
  readonly name: string;
  readonly type: number;
  /** The data length (without the inline flag). */
  readonly size: number;
  readonly inline: boolean;
  /** The data cell offset, or the inline data itself. */
  readonly dataOffset: number;
}

const LATIN1 = new TextDecoder('latin1');
const UTF16 = new TextDecoder('utf-16le');

/** UTF-16LE text (an odd last byte dropped). */
export function utf16(b: Uint8Array): string {
  return UTF16.decode(b.subarray(0, b.length & ~1));
}

export class Hive {
  private readonly view: DataView;
  /** Where the hive bins end (the file's end, or the base block's bins size if smaller). */
  private readonly end: number;
  readonly rootOffset: number;
  readonly minorVersion: number;
  private readonly keys = new Map<number, KeyNode>();
  private readonly children = new Map<number, Map<string, number>>();

  /** `bytes` is the whole hive file. */
  constructor(readonly bytes: Uint8Array) {
    if (bytes.length < 4 || bytes[0] !== 0x72 || bytes[1] !== 0x65 || bytes[2] !== 0x67 || bytes[3] !== 0x66) {
      throw new HiveError('not a registry hive (no "regf" signature)');
    }
    if (bytes.length < BASE + 32) throw new HiveError(`truncated: ${bytes.length} bytes, no hive bins after the base block`);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.minorVersion = this.view.getUint32(0x18, true);
    const binsSize = this.view.getUint32(0x28, true);
    // A hive cut short (a partial copy) is read as far as it goes; a hive longer than its
    // header says (slack after the bins) is read only as far as the bins go.
    this.end = binsSize > 0 && BASE + binsSize <= bytes.length ? BASE + binsSize : bytes.length;
    if (this.u32(BASE) !== 0x6e696268) throw new HiveError('no hive bin ("hbin") at offset 0x1000');
    this.rootOffset = this.view.getUint32(0x24, true);
    this.key(this.rootOffset, '(root key)');
  }

  private u32(abs: number): number {
    return this.view.getUint32(abs, true);
  }

  /** The record bytes of the cell at `offset` (without its size field), checked against the hive. */
  cell(offset: number, where: string): Uint8Array {
    const abs = BASE + offset;
    if (offset < 0x20 || offset >= 0x80000000 || abs + 4 > this.end) {
      throw new HiveError(`cell offset 0x${offset.toString(16)} is outside the hive`, where);
    }
    const raw = this.view.getInt32(abs, true);
    const size = Math.abs(raw);
    if (size < 8 || abs + size > this.end) throw new HiveError(`cell at 0x${offset.toString(16)} has a bad size ${raw}`, where);
    return this.bytes.subarray(abs + 4, abs + size);
  }

  private signed(offset: number, sig: string, where: string): { cell: Uint8Array; view: DataView } {
    const cell = this.cell(offset, where);
    if (cell.length < 2 || cell[0] !== sig.charCodeAt(0) || cell[1] !== sig.charCodeAt(1)) {
      const got = cell.length >= 2 ? LATIN1.decode(cell.subarray(0, 2)).replace(/[^\x20-\x7e]/g, '?') : '';
      throw new HiveError(`expected a "${sig}" record at 0x${offset.toString(16)}, found "${got}"`, where);
    }
    return { cell, view: new DataView(cell.buffer, cell.byteOffset, cell.byteLength) };
  }

  /** The key record at `offset` (cached). */
  key(offset: number, where: string): KeyNode {
    const hit = this.keys.get(offset);
    if (hit) return hit;
    const { cell, view } = this.signed(offset, 'nk', where);
    if (cell.length < 0x4c) throw new HiveError(`key record at 0x${offset.toString(16)} is truncated`, where);
    const flags = view.getUint16(0x02, true);
    const nameLen = view.getUint16(0x48, true);
    if (0x4c + nameLen > cell.length) throw new HiveError(`key name at 0x${offset.toString(16)} runs past its cell`, where);
    const raw = cell.subarray(0x4c, 0x4c + nameLen);
    const node: KeyNode = {
      offset,
      name: flags & 0x20 ? LATIN1.decode(raw) : utf16(raw),
      lastWrite: view.getBigUint64(0x04, true),
      subkeyCount: view.getUint32(0x14, true),
      subkeyList: view.getUint32(0x1c, true),
      valueCount: view.getUint32(0x24, true),
      valueList: view.getUint32(0x28, true),
    };
    if (this.keys.size > 200_000) this.keys.clear();
    this.keys.set(offset, node);
    return node;
  }

  /** The subkey offsets of `key`, in list order. */
  subkeyOffsets(key: KeyNode, where: string): number[] {
    const out: number[] = [];
    if (key.subkeyCount === 0 || key.subkeyList === 0xffffffff) return out;
    const seen = new Set<number>();
    const walk = (list: number, depth: number) => {
      if (seen.has(list)) throw new HiveError(`subkey list at 0x${list.toString(16)} is referenced twice (a loop)`, where);
      if (depth > MAX_LIST_DEPTH) throw new HiveError(`subkey index nested more than ${MAX_LIST_DEPTH} deep`, where);
      seen.add(list);
      const cell = this.cell(list, where);
      if (cell.length < 4) throw new HiveError(`subkey list at 0x${list.toString(16)} is truncated`, where);
      const view = new DataView(cell.buffer, cell.byteOffset, cell.byteLength);
      const sig = String.fromCharCode(cell[0]!, cell[1]!);
      const count = view.getUint16(2, true);
      const step = sig === 'lf' || sig === 'lh' ? 8 : sig === 'li' || sig === 'ri' ? 4 : 0;
      if (!step) throw new HiveError(`expected a subkey list (lf, lh, li, ri) at 0x${list.toString(16)}, found "${sig.replace(/[^\x20-\x7e]/g, '?')}"`, where);
      if (4 + count * step > cell.length) throw new HiveError(`subkey list at 0x${list.toString(16)} claims ${count} entries, more than its cell holds`, where);
      for (let i = 0; i < count; i++) {
        const off = view.getUint32(4 + i * step, true);
        if (sig === 'ri') walk(off, depth + 1);
        else out.push(off);
        if (out.length > key.subkeyCount + 1_000_000) throw new HiveError(`subkey lists hold far more entries than the key's count ${key.subkeyCount}`, where);
      }
    };
    walk(key.subkeyList, 0);
    return out;
  }

  /** The subkeys of `key`. */
  subkeys(key: KeyNode, where: string): KeyNode[] {
    return this.subkeyOffsets(key, where).map((off) => this.key(off, where));
  }

  /** The subkey of `key` called `name` (any case), or undefined. */
  subkey(key: KeyNode, name: string, where: string): KeyNode | undefined {
    let map = this.children.get(key.offset);
    if (!map) {
      map = new Map();
      for (const k of this.subkeys(key, where)) {
        const lower = k.name.toLowerCase();
        if (!map.has(lower)) map.set(lower, k.offset);
      }
      if (this.children.size > 50_000) this.children.clear();
      this.children.set(key.offset, map);
    }
    const off = map.get(name.toLowerCase());
    return off === undefined ? undefined : this.key(off, where);
  }

  /** The values of `key`, in list order. */
  values(key: KeyNode, where: string): ValueNode[] {
    if (key.valueCount === 0 || key.valueList === 0xffffffff) return [];
    const cell = this.cell(key.valueList, where);
    if (key.valueCount * 4 > cell.length) throw new HiveError(`value list at 0x${key.valueList.toString(16)} claims ${key.valueCount} values, more than its cell holds`, where);
    const view = new DataView(cell.buffer, cell.byteOffset, cell.byteLength);
    const out: ValueNode[] = [];
    for (let i = 0; i < key.valueCount; i++) out.push(this.value(view.getUint32(i * 4, true), where));
    return out;
  }

  private value(offset: number, where: string): ValueNode {
    const { cell, view } = this.signed(offset, 'vk', where);
    if (cell.length < 0x14) throw new HiveError(`value record at 0x${offset.toString(16)} is truncated`, where);
    const nameLen = view.getUint16(0x02, true);
    const rawSize = view.getUint32(0x04, true);
    const flags = view.getUint16(0x10, true);
    if (0x14 + nameLen > cell.length) throw new HiveError(`value name at 0x${offset.toString(16)} runs past its cell`, where);
    const raw = cell.subarray(0x14, 0x14 + nameLen);
    const inline = rawSize >= 0x80000000;
    return {
      offset,
      name: flags & 0x01 ? LATIN1.decode(raw) : utf16(raw),
      type: view.getUint32(0x0c, true),
      size: inline ? Math.min(rawSize - 0x80000000, 4) : rawSize,
      inline,
      dataOffset: view.getUint32(0x08, true),
    };
  }

  /** The data bytes of a value (a copy for inline data, a view of the hive otherwise). */
  valueData(v: ValueNode, where: string): Uint8Array {
    if (v.inline) {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, v.dataOffset, true);
      return b.subarray(0, v.size);
    }
    if (v.size === 0) return new Uint8Array(0);
    const cell = this.cell(v.dataOffset, where);
    if (v.size > SEGMENT && cell.length >= 8 && cell[0] === 0x64 && cell[1] === 0x62 && v.size > cell.length) {
      return this.bigData(cell, v, where);
    }
    if (v.size > cell.length) throw new HiveError(`value data at 0x${v.dataOffset.toString(16)} is ${cell.length} bytes, shorter than its size ${v.size}`, where);
    return cell.subarray(0, v.size);
  }

  /** A big value: a "db" record's segments, joined and cut to the value's size. */
  private bigData(db: Uint8Array, v: ValueNode, where: string): Uint8Array {
    const view = new DataView(db.buffer, db.byteOffset, db.byteLength);
    const count = view.getUint16(2, true);
    if (count * SEGMENT < v.size) throw new HiveError(`big value data at 0x${v.dataOffset.toString(16)} has ${count} segments, too few for ${v.size} bytes`, where);
    const list = this.cell(view.getUint32(4, true), where);
    if (count * 4 > list.length) throw new HiveError(`big value segment list claims ${count} segments, more than its cell holds`, where);
    const lv = new DataView(list.buffer, list.byteOffset, list.byteLength);
    const out = new Uint8Array(v.size);
    let got = 0;
    for (let i = 0; i < count && got < v.size; i++) {
      const seg = this.cell(lv.getUint32(i * 4, true), where);
      const take = Math.min(SEGMENT, seg.length, v.size - got);
      out.set(seg.subarray(0, take), got);
      got += take;
    }
    if (got < v.size) throw new HiveError(`big value data at 0x${v.dataOffset.toString(16)} holds ${got} of its ${v.size} bytes`, where);
    return out;
  }
}
