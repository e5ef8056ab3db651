/**
 * The $I30 directory index: the entries of a directory's `$INDEX_ROOT` (0x90) and
 * `$INDEX_ALLOCATION` (0xA0) attributes, plus entries carved from the slack of each INDX record
 * (the bytes between the used and the allocated size, where entries of deleted or moved files
 * often survive), as go-ntfs's ExtractI30List gives them to Velociraptor's `parse_ntfs_i30`.
 *
 * $INDEX_ROOT body: u32 indexed attribute type (0x30), u32 collation rule, u32 index record
 * size, u8 clusters per index record, then at 0x10 an index node header.
 * INDX record: "INDX", update sequence array (fixup.ts), u64 LSN, u64 VCN, then at 0x18 an
 * index node header.
 * Index node header: u32 entries offset, u32 used size ("index length"), u32 allocated size (all
 * relative to the header), u32 flags (1: has sub-nodes).
 * Index entry: u64 file reference, u16 entry length, u16 key length, u32 flags (1: has a
 * sub-node VCN in its last 8 bytes, 2: last entry, with no key), key ($FILE_NAME body).
 *
 * Live entries are read from the root and from each INDX record; slack (INDX records only, as
 * go-ntfs) is scanned every 8 bytes for a plausible $FILE_NAME key (see plausibleFileName).
 */
import type { VTime } from '../../vql/index.ts';
import { NtfsError } from './errors.ts';
import { applyFixups } from './fixup.ts';
import { filetime } from '../registry/raw-reg-accessor.ts';
import { FILE_NAME_HEADER, decodeFileName, nameTypeOf, splitRef, type FileNameAttr, type FileNameType } from './filename-attr.ts';
import { isZero } from '../parsers/common.ts';

/** One directory entry (live or carved). */
export interface I30Entry {
  /** The MFT entry number of the file (the low 48 bits of the entry's file reference). */
  mftEntry: number;
  mftSeq: number;
  fileName: FileNameAttr;
  isSlack: boolean;
  /** For a carved entry: where it starts in the $INDEX_ALLOCATION stream; 0 for live entries. */
  slackOffset: number;
}

const ENTRY_HEADER = 0x10;
const ENTRY_HAS_SUBNODE = 1;
const ENTRY_LAST = 2;
const INDX_NODE = 0x18;
const ROOT_NODE = 0x10;

/** FILETIMEs accepted in carved entries: 1990-01-01 to 2100-01-01. */
const FT_MIN = 122_756_256_000_000_000n; // 1990-01-01
const FT_MAX = 157_469_184_000_000_000n; // 2100-01-01

function u16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000;
}
function ref(b: Uint8Array, o: number): { entry: number; seq: number } {
  return splitRef(new DataView(b.buffer, b.byteOffset, b.byteLength), o);
}

interface NodeHeader {
  entriesOffset: number;
  usedSize: number;
  allocatedSize: number;
  flags: number;
}

function nodeHeader(b: Uint8Array, at: number, limit: number, where: string): NodeHeader {
  if (at + 16 > limit) throw new NtfsError('index node header truncated', where);
  const h = { entriesOffset: u32(b, at), usedSize: u32(b, at + 4), allocatedSize: u32(b, at + 8), flags: u32(b, at + 12) };
  if (h.entriesOffset < 16 || h.entriesOffset > h.usedSize || h.usedSize > h.allocatedSize || at + h.allocatedSize > limit) {
    throw new NtfsError(`bad index node header (entries at ${h.entriesOffset}, used ${h.usedSize}, allocated ${h.allocatedSize}, ${limit - at} bytes available)`, where);
  }
  return h;
}

/** The live entries of a node: from its entries offset to its used size, until the last entry. */
function liveEntries(b: Uint8Array, nodeAt: number, h: NodeHeader, where: string, out: I30Entry[]): void {
  const end = nodeAt + h.usedSize;
  let o = nodeAt + h.entriesOffset;
  for (let n = 0; o + ENTRY_HEADER <= end; n++) {
    const length = u16(b, o + 8);
    const keyLength = u16(b, o + 10);
    const flags = u32(b, o + 12);
    const at = `${where}, entry ${n} at offset ${o}`;
    if (length < ENTRY_HEADER || length % 8 !== 0 || o + length > end) throw new NtfsError(`bad index entry length ${length}`, at);
    if (flags & ENTRY_LAST) return;
    if (ENTRY_HEADER + keyLength > length - (flags & ENTRY_HAS_SUBNODE ? 8 : 0)) throw new NtfsError(`index entry key of ${keyLength} bytes does not fit its ${length}-byte entry`, at);
    const r = ref(b, o);
    out.push({ mftEntry: r.entry, mftSeq: r.seq, fileName: decodeFileName(b.subarray(o + ENTRY_HEADER, o + ENTRY_HEADER + keyLength), at), isSlack: false, slackOffset: 0 });
    o += length;
  }
  throw new NtfsError('index entries end without a last entry', where);
}

/**
 * Whether the bytes at `o` (up to `end`) look like a $FILE_NAME key: a known namespace, a
 * 1-255 unit name of printable UTF-16 that fits, all four times between 1990 and 2100, and an
 * allocated size that is at least the real size.
 */
export function plausibleFileName(b: Uint8Array, o: number, end: number): boolean {
  if (o + FILE_NAME_HEADER > end) return false;
  const nameLen = b[o + 0x40]!;
  if (nameLen === 0 || nameTypeOf(b[o + 0x41]!) === null) return false;
  if (o + FILE_NAME_HEADER + nameLen * 2 > end) return false;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let t = 0x08; t <= 0x20; t += 8) {
    const ft = view.getBigUint64(o + t, true);
    if (ft < FT_MIN || ft > FT_MAX) return false;
  }
  const alloc = view.getBigUint64(o + 0x28, true);
  const real = view.getBigUint64(o + 0x30, true);
  if (real > alloc || alloc > 1n << 50n) return false;
  for (let i = 0; i < nameLen; i++) {
    const c = u16(b, o + FILE_NAME_HEADER + 2 * i);
    if (c < 0x20 || c === 0x2f || c === 0x5c) return false; // control characters, '/' and '\' are never in names
  }
  return true;
}

/**
 * Entries carved from the slack [from, to) of an INDX record whose start is at `streamOffset` in
 * the stream. Keys are looked for from the slack's start on: when the last entries of a node
 * are deleted, the end marker (16 bytes) is written over the first deleted entry's header and
 * its key begins exactly where the slack does. The file reference is read from the 16 bytes
 * before the key (an end marker's zeros in that case: MFTId 0).
 */
function slackEntries(b: Uint8Array, from: number, to: number, streamOffset: number, out: I30Entry[]): void {
  for (let k = Math.ceil(from / 8) * 8; k + FILE_NAME_HEADER <= to; ) {
    if (plausibleFileName(b, k, to)) {
      const fn = decodeFileName(b.subarray(k, to));
      const r = ref(b, k - ENTRY_HEADER);
      out.push({ mftEntry: r.entry, mftSeq: r.seq, fileName: fn, isSlack: true, slackOffset: streamOffset + k - ENTRY_HEADER });
      k += Math.ceil((FILE_NAME_HEADER + fn.name.length * 2) / 8) * 8;
    } else {
      k += 8;
    }
  }
}

/**
 * The entries of a directory's $I30 index: the live entries of `root` (the $INDEX_ROOT body),
 * then, for each INDX record of `allocation` (the $INDEX_ALLOCATION stream), its live entries
 * and the entries carved from its slack. `indexRecordSize` 0 means the root's. Damaged data
 * throws NtfsError naming `where`, the record and the offset; with `warn`, a damaged INDX
 * record is reported and skipped instead (the other records are still read).
 */
export function i30Entries(root: Uint8Array, allocation: Uint8Array | null, indexRecordSize: number, where: string, warn?: (message: string) => void): I30Entry[] {
  const out: I30Entry[] = [];
  const rootWhere = `${where}: $INDEX_ROOT`;
  if (root.length < ROOT_NODE + 16) throw new NtfsError(`$INDEX_ROOT of ${root.length} bytes is truncated`, rootWhere);
  const indexedType = u32(root, 0);
  if (indexedType !== 0x30) throw new NtfsError(`$INDEX_ROOT indexes attribute type 0x${indexedType.toString(16)}, not $FILE_NAME (0x30): not a directory index`, rootWhere);
  const size = indexRecordSize > 0 ? indexRecordSize : u32(root, 8);
  liveEntries(root, ROOT_NODE, nodeHeader(root, ROOT_NODE, root.length, rootWhere), rootWhere, out);
  if (!allocation || allocation.length === 0) return out;
  if (size < 512 || size % 512 !== 0) throw new NtfsError(`bad index record size ${size}`, rootWhere);
  for (let at = 0; at + size <= allocation.length; at += size) {
    const recWhere = `${where}: INDX record at offset ${at} of $INDEX_ALLOCATION`;
    const rec = new Uint8Array(size); // fixups are applied to a copy (Buffer's slice() would not copy)
    rec.set(allocation.subarray(at, at + size));
    if (!(rec[0] === 0x49 && rec[1] === 0x4e && rec[2] === 0x44 && rec[3] === 0x58)) {
      // Unused index records (per $BITMAP) are zeros or stale: not an error.
      if (!isZero(rec, 0, 4)) warn?.(`${recWhere}: no INDX signature: skipped`);
      continue;
    }
    try {
      applyFixups(rec, size, recWhere);
      const h = nodeHeader(rec, INDX_NODE, size, recWhere);
      const live: I30Entry[] = [];
      liveEntries(rec, INDX_NODE, h, recWhere, live);
      out.push(...live);
      slackEntries(rec, INDX_NODE + h.usedSize, INDX_NODE + h.allocatedSize, at, out);
    } catch (e) {
      if (!warn || !(e instanceof NtfsError)) throw e;
      warn(e.message);
    }
  }
  if (allocation.length % size !== 0) warn?.(`${where}: $INDEX_ALLOCATION of ${allocation.length} bytes is not a whole number of ${size}-byte records: the tail is ignored`);
  return out;
}

/** The columns of a parse_ntfs_i30 row, in order. */
export const I30_COLUMNS = ['Name', 'NameType', 'Size', 'AllocatedSize', 'IsSlack', 'SlackOffset', 'Mtime', 'Atime', 'Ctime', 'Btime', 'MFTId'] as const;

export interface I30Row {
  Name: string;
  NameType: FileNameType;
  Size: number;
  AllocatedSize: number;
  IsSlack: boolean;
  SlackOffset: number;
  /** Times are null when 0 (not set). */
  Mtime: VTime | null;
  Atime: VTime | null;
  /** The $FILE_NAME's MFT-change time. */
  Ctime: VTime | null;
  /** Birth: the creation time. */
  Btime: VTime | null;
  /** The MFT entry number as a decimal string, as go-ntfs's FileInfo.MFTId. */
  MFTId: string;
}

/** An entry as a parse_ntfs_i30 row (go-ntfs FileInfo's fields). */
export function i30Row(e: I30Entry): I30Row {
  const f = e.fileName;
  return {
    Name: f.name,
    NameType: f.nameType,
    Size: f.realSize,
    AllocatedSize: f.allocatedSize,
    IsSlack: e.isSlack,
    SlackOffset: e.slackOffset,
    Mtime: filetime(f.modified),
    Atime: filetime(f.accessed),
    Ctime: filetime(f.mftModified),
    Btime: filetime(f.created),
    MFTId: String(e.mftEntry),
  };
}
