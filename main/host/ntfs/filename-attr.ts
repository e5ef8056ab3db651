/**
 * The $FILE_NAME attribute (type 0x30) body, as found in MFT entries and as the key of $I30
 * directory index entries, and the FILE_ATTRIBUTE_* flag names.
 *
 * Layout (66 bytes then the name):
 *   0x00 u64 parent reference (48-bit entry number + 16-bit sequence number)
 *   0x08 FILETIME created, 0x10 modified, 0x18 MFT modified, 0x20 accessed
 *   0x28 u64 allocated size, 0x30 u64 real size
 *   0x38 u32 flags (FILE_ATTRIBUTE_*), 0x3C u32 reparse tag / EA size
 *   0x40 u8 name length (UTF-16 units), 0x41 u8 namespace (0 POSIX, 1 Win32, 2 DOS, 3 Win32+DOS)
 *   0x42 name, UTF-16LE
 */
import { NtfsError } from './errors.ts';

export type FileNameType = 'POSIX' | 'Win32' | 'DOS' | 'DOS+Win32';

export interface FileNameAttr {
  parentEntry: number;
  parentSeq: number;
  /** FILETIMEs (100 ns since 1601), as stored. */
  created: bigint;
  modified: bigint;
  mftModified: bigint;
  accessed: bigint;
  allocatedSize: number;
  realSize: number;
  flags: number;
  nameType: FileNameType;
  name: string;
}

/** The fixed part of a $FILE_NAME body, before the name. */
export const FILE_NAME_HEADER = 0x42;

const NAME_TYPES: readonly FileNameType[] = ['POSIX', 'Win32', 'DOS', 'DOS+Win32'];

const utf16 = new TextDecoder('utf-16le');

/** A namespace byte's name, or null when it is not one of the four. */
export function nameTypeOf(ns: number): FileNameType | null {
  return NAME_TYPES[ns] ?? null;
}

/** Splits a 64-bit MFT reference into its 48-bit entry number and 16-bit sequence number. */
export function splitRef(view: DataView, off: number): { entry: number; seq: number } {
  const lo = view.getUint32(off, true);
  const hi = view.getUint16(off + 4, true);
  return { entry: hi * 0x1_0000_0000 + lo, seq: view.getUint16(off + 6, true) };
}

/** The number a u64 size field holds (exact below 2^53, which every real size is). */
function u64(view: DataView, off: number): number {
  return Number(view.getBigUint64(off, true));
}

/** Decodes a $FILE_NAME attribute body. Throws NtfsError (naming `where`) when truncated. */
export function decodeFileName(bytes: Uint8Array, where?: string): FileNameAttr {
  if (bytes.length < FILE_NAME_HEADER) {
    throw new NtfsError(`$FILE_NAME truncated: ${bytes.length} bytes, need at least ${FILE_NAME_HEADER}`, where);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const nameLen = bytes[0x40]!;
  const ns = bytes[0x41]!;
  const need = FILE_NAME_HEADER + nameLen * 2;
  if (bytes.length < need) {
    throw new NtfsError(`$FILE_NAME name truncated: ${nameLen} UTF-16 units need ${need} bytes, have ${bytes.length}`, where);
  }
  const nameType = nameTypeOf(ns);
  if (nameType === null) throw new NtfsError(`$FILE_NAME has unknown namespace ${ns}`, where);
  const parent = splitRef(view, 0);
  return {
    parentEntry: parent.entry,
    parentSeq: parent.seq,
    created: view.getBigUint64(0x08, true),
    modified: view.getBigUint64(0x10, true),
    mftModified: view.getBigUint64(0x18, true),
    accessed: view.getBigUint64(0x20, true),
    allocatedSize: u64(view, 0x28),
    realSize: u64(view, 0x30),
    flags: view.getUint32(0x38, true),
    nameType,
    name: utf16.decode(bytes.subarray(FILE_NAME_HEADER, need)),
  };
}

/**
 * FILE_ATTRIBUTE_* bits and the names go-ntfs gives them (prefix stripped). 0x10000000 and
 * 0x20000000 are the $FILE_NAME-only "directory" and "index view" bits NTFS keeps there.
 */
export const FILE_ATTRIBUTE_NAMES: ReadonlyArray<readonly [number, string]> = [
  [0x00000001, 'READ_ONLY'],
  [0x00000002, 'HIDDEN'],
  [0x00000004, 'SYSTEM'],
  [0x00000010, 'DIRECTORY'],
  [0x00000020, 'ARCHIVE'],
  [0x00000040, 'DEVICE'],
  [0x00000080, 'NORMAL'],
  [0x00000100, 'TEMPORARY'],
  [0x00000200, 'SPARSE_FILE'],
  [0x00000400, 'REPARSE_POINT'],
  [0x00000800, 'COMPRESSED'],
  [0x00001000, 'OFFLINE'],
  [0x00002000, 'NOT_CONTENT_INDEXED'],
  [0x00004000, 'ENCRYPTED'],
  [0x00008000, 'INTEGRITY_STREAM'],
  [0x00010000, 'VIRTUAL'],
  [0x00020000, 'NO_SCRUB_DATA'],
  [0x00040000, 'RECALL_ON_OPEN'],
  [0x00400000, 'RECALL_ON_DATA_ACCESS'],
  [0x10000000, 'DUP_FILE_NAME_INDEX_PRESENT'],
  [0x20000000, 'DUP_VIEW_INDEX_PRESENT'],
];

/** The names in `table` of the bits set in `value`, in the table's order. */
export function flagNames(value: number, table: ReadonlyArray<readonly [number, string]>): string[] {
  const out: string[] = [];
  for (const [bit, name] of table) if ((value & bit) !== 0) out.push(name);
  return out;
}

/** The names of the FILE_ATTRIBUTE_* bits set in `flags`, in bit order. */
export function fileAttributeFlags(flags: number): string[] {
  return flagNames(flags, FILE_ATTRIBUTE_NAMES);
}

