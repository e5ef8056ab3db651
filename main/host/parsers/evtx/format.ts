/**
 * The Windows XML Event Log (EVTX) file format (libyal's "Windows XML Event Log (EVTX)" notes,
 * Microsoft's MS-EVEN6 BinXml section): the constants, the file and chunk headers, and CRC32.
 *
 * A file is a 4 KiB file header (`ElfFile\0`) followed by 64 KiB chunks (`ElfChnk\0`). A chunk
 * has a 512-byte header (record numbers, the offset of its free space, CRC32s of the header and
 * of the records, a 64-entry string hash table and a 32-entry template table) followed by
 * records (`**\0\0`, size, record number, FILETIME, BinXml, size again). Every offset inside a
 * chunk (names, template definitions) is relative to the chunk's start.
 */
import { crc32 as zlibCrc32 } from 'node:zlib';

export const FILE_SIGNATURE = 'ElfFile\0';
export const CHUNK_SIGNATURE = 'ElfChnk\0';
export const FILE_HEADER_SIZE = 4096;
export const CHUNK_SIZE = 0x10000;
export const CHUNK_HEADER_SIZE = 0x200;
/** The signature of a record: `**\0\0`. */
export const RECORD_MAGIC = 0x00002a2a;
/** A record's fixed header: magic, size, record number, FILETIME. */
export const RECORD_HEADER_SIZE = 24;

/** The file header's flags. */
export const FILE_FLAG_DIRTY = 1;
export const FILE_FLAG_FULL = 2;

/** A malformed file, chunk or record; the message says what and where. */
export class EvtxFormatError extends Error {}

export interface FileHeader {
  readonly firstChunk: bigint;
  readonly lastChunk: bigint;
  readonly nextRecordId: bigint;
  readonly minorVersion: number;
  readonly majorVersion: number;
  readonly headerBlockSize: number;
  readonly chunkCount: number;
  readonly flags: number;
  readonly checksumOk: boolean;
}

export interface ChunkHeader {
  readonly firstRecordNumber: bigint;
  readonly lastRecordNumber: bigint;
  readonly firstRecordId: bigint;
  readonly lastRecordId: bigint;
  readonly lastRecordOffset: number;
  /** Where the chunk's free space starts: the end of the records the header accounts for. */
  readonly freeSpaceOffset: number;
  readonly recordsChecksum: number;
  readonly headerChecksum: number;
}

function latin1(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1');
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Decodes the file header; throws an EvtxFormatError when the bytes are not one. */
export function parseFileHeader(b: Uint8Array): FileHeader {
  if (b.length < 8 || latin1(b, 0, 8) !== FILE_SIGNATURE) {
    const what = b.length === 0 ? 'the file is empty' : `no "ElfFile" signature at its start (found ${JSON.stringify(latin1(b, 0, Math.min(8, b.length)))})`;
    throw new EvtxFormatError(`not an EVTX file: ${what}`);
  }
  if (b.length < 128) throw new EvtxFormatError(`truncated EVTX file: the file header is ${b.length} bytes long (128 needed)`);
  const v = view(b);
  return {
    firstChunk: v.getBigUint64(0x08, true),
    lastChunk: v.getBigUint64(0x10, true),
    nextRecordId: v.getBigUint64(0x18, true),
    minorVersion: v.getUint16(0x24, true),
    majorVersion: v.getUint16(0x26, true),
    headerBlockSize: v.getUint16(0x28, true),
    chunkCount: v.getUint16(0x2a, true),
    flags: v.getUint32(0x78, true),
    checksumOk: crc32(b, 0, 0x78) === v.getUint32(0x7c, true),
  };
}

/** True when the chunk starts with the chunk signature. */
export function isChunk(b: Uint8Array): boolean {
  return b.length >= 8 && latin1(b, 0, 8) === CHUNK_SIGNATURE;
}


/** Decodes a chunk header (the caller checked the signature and that 512 bytes are there). */
export function parseChunkHeader(b: Uint8Array): ChunkHeader {
  const v = view(b);
  return {
    firstRecordNumber: v.getBigUint64(0x08, true),
    lastRecordNumber: v.getBigUint64(0x10, true),
    firstRecordId: v.getBigUint64(0x18, true),
    lastRecordId: v.getBigUint64(0x20, true),
    lastRecordOffset: v.getUint32(0x2c, true),
    freeSpaceOffset: v.getUint32(0x30, true),
    recordsChecksum: v.getUint32(0x34, true),
    headerChecksum: v.getUint32(0x7c, true),
  };
}

/** The CRC32 a chunk header holds: over bytes 0-0x78 and 0x80-0x200. */
export function chunkHeaderCrc(b: Uint8Array): number {
  return crc32(b, 0x80, 0x200, crc32(b, 0, 0x78));
}

/** CRC-32 (IEEE, zlib's) of `b[start, end)`, continuing from `crc`. */
export function crc32(b: Uint8Array, start = 0, end = b.length, crc = 0): number {
  return zlibCrc32(b.subarray(start, end), crc) >>> 0;
}

/** FILETIME (100 ns intervals since 1601) as epoch seconds. */
export function filetimeSeconds(ft: bigint): number {
  return Number(ft - 116444736000000000n) / 1e7;
}
