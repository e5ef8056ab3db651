/**
 * The systemd journal file format (https://systemd.io/JOURNAL_FILE_FORMAT/, systemd's
 * src/libsystemd/sd-journal/journal-def.h): the constants and the header, decoded from bytes.
 *
 * A journal file is a header followed by 8-byte aligned objects, each with a 16-byte object
 * header (type, flags, size). DATA objects hold one `FIELD=value` payload each (possibly
 * compressed), ENTRY objects list the data objects of one log entry, and a chain of
 * ENTRY_ARRAY objects, starting at the header's `entry_array_offset`, lists every entry in
 * order. Compact files (systemd 252 and later) store 32-bit offsets in entries and arrays.
 */

export const SIGNATURE = Buffer.from('LPKSHHRH', 'latin1');

/** The header of the oldest files (systemd 187 and before) is this long; later ones are longer. */
export const MIN_HEADER_SIZE = 208;

export const STATE_OFFLINE = 0;
export const STATE_ONLINE = 1;
export const STATE_ARCHIVED = 2;
export const STATE_NAMES = ['OFFLINE', 'ONLINE', 'ARCHIVED'] as const;

/** Incompatible flags: a reader that does not know one must not read the file. */
export const INCOMPAT_COMPRESSED_XZ = 1;
export const INCOMPAT_COMPRESSED_LZ4 = 2;
export const INCOMPAT_KEYED_HASH = 4;
export const INCOMPAT_COMPRESSED_ZSTD = 8;
export const INCOMPAT_COMPACT = 16;
export const INCOMPAT_KNOWN = 31;

/** Object types. */
export const OBJECT_DATA = 1;
export const OBJECT_ENTRY = 3;
export const OBJECT_ENTRY_ARRAY = 6;
export const OBJECT_TYPE_NAMES = ['UNUSED', 'DATA', 'FIELD', 'ENTRY', 'DATA_HASH_TABLE', 'FIELD_HASH_TABLE', 'ENTRY_ARRAY', 'TAG'];

/** Object flags: how a DATA object's payload is compressed. */
export const OBJECT_COMPRESSED_XZ = 1;
export const OBJECT_COMPRESSED_LZ4 = 2;
export const OBJECT_COMPRESSED_ZSTD = 4;

export const OBJECT_HEADER_SIZE = 16;
/** Where a DATA object's payload starts (regular and compact files). */
export const DATA_PAYLOAD_OFFSET = 64;
export const DATA_PAYLOAD_OFFSET_COMPACT = 72;
/** Where an ENTRY object's items start. */
export const ENTRY_ITEMS_OFFSET = 64;
/** Where an ENTRY_ARRAY object's items start. */
export const ENTRY_ARRAY_ITEMS_OFFSET = 24;

export interface JournalHeader {
  readonly compatibleFlags: number;
  readonly incompatibleFlags: number;
  /** 0 offline, 1 online (being written, or not closed cleanly), 2 archived. */
  readonly state: number;
  readonly fileId: string;
  readonly machineId: string;
  readonly seqnumId: string;
  readonly headerSize: number;
  readonly arenaSize: number;
  readonly tailObjectOffset: number;
  readonly nObjects: number;
  readonly nEntries: number;
  readonly tailEntrySeqnum: bigint;
  readonly headEntrySeqnum: bigint;
  readonly entryArrayOffset: number;
  readonly headEntryRealtime: bigint;
  readonly tailEntryRealtime: bigint;
  /** Entries and entry arrays use 32-bit offsets. */
  readonly compact: boolean;
}

/** Why a file is not (or no longer) readable as a journal; `offset` is where in the file. */
export class JournalFormatError extends Error {
  constructor(message: string, readonly offset?: number) {
    super(offset === undefined ? message : `${message} (at offset ${offset}, 0x${offset.toString(16)})`);
  }
}

/** 16 bytes as 32 hex digits (boot ids, machine ids). */
export function hex128(b: Uint8Array, at: number): string {
  return Buffer.from(b.buffer, b.byteOffset + at, 16).toString('hex');
}

/** A 64-bit little-endian unsigned value as a number (offsets and counts fit in 2^53). */
export function u64(b: Buffer, at: number): number {
  return Number(b.readBigUInt64LE(at));
}

/** Decodes the header from the file's first bytes (at least `MIN_HEADER_SIZE`). */
export function parseHeader(b: Buffer): JournalHeader {
  if (b.length < SIGNATURE.length || !b.subarray(0, 8).equals(SIGNATURE)) {
    throw new JournalFormatError('not a systemd journal file (no "LPKSHHRH" signature)', 0);
  }
  if (b.length < MIN_HEADER_SIZE) throw new JournalFormatError(`the file is truncated: ${b.length} bytes, shorter than a journal header`, 0);
  const incompatibleFlags = b.readUInt32LE(12);
  const headerSize = u64(b, 88);
  if (headerSize < MIN_HEADER_SIZE || headerSize > 1 << 20) throw new JournalFormatError(`bad header size ${headerSize}`, 88);
  return {
    compatibleFlags: b.readUInt32LE(8),
    incompatibleFlags,
    state: b[16]!,
    fileId: hex128(b, 24),
    machineId: hex128(b, 40),
    seqnumId: hex128(b, 72),
    headerSize,
    arenaSize: u64(b, 96),
    tailObjectOffset: u64(b, 136),
    nObjects: u64(b, 144),
    nEntries: u64(b, 152),
    tailEntrySeqnum: b.readBigUInt64LE(160),
    headEntrySeqnum: b.readBigUInt64LE(168),
    entryArrayOffset: u64(b, 176),
    headEntryRealtime: b.readBigUInt64LE(184),
    tailEntryRealtime: b.readBigUInt64LE(192),
    compact: (incompatibleFlags & INCOMPAT_COMPACT) !== 0,
  };
}
