/**
 * Attributes of an MFT record: the common header (type, name, flags, id), the resident value
 * or the non-resident sizes and runlist, and the $STANDARD_INFORMATION and $ATTRIBUTE_LIST
 * bodies. Attribute type numbers and the names go-ntfs prints for them are here too.
 */
import { NtfsError } from './errors.ts';
import { decodeRunlist, type Run } from './runlist.ts';

export const ATTR_STANDARD_INFORMATION = 0x10;
export const ATTR_ATTRIBUTE_LIST = 0x20;
export const ATTR_FILE_NAME = 0x30;
export const ATTR_DATA = 0x80;
export const ATTR_INDEX_ROOT = 0x90;
export const ATTR_INDEX_ALLOCATION = 0xa0;
export const ATTR_BITMAP = 0xb0;

const TYPE_NAMES: Record<number, string> = {
  0x10: '$STANDARD_INFORMATION', 0x20: '$ATTRIBUTE_LIST', 0x30: '$FILE_NAME', 0x40: '$OBJECT_ID',
  0x50: '$SECURITY_DESCRIPTOR', 0x60: '$VOLUME_NAME', 0x70: '$VOLUME_INFORMATION', 0x80: '$DATA',
  0x90: '$INDEX_ROOT', 0xa0: '$INDEX_ALLOCATION', 0xb0: '$BITMAP', 0xc0: '$REPARSE_POINT',
  0xd0: '$EA_INFORMATION', 0xe0: '$EA', 0x100: '$LOGGED_UTILITY_STREAM',
};

/** The name of an attribute type (`$DATA`), or its number in hex for an unknown one. */
export function attrTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `0x${type.toString(16)}`;
}

export interface Attribute {
  readonly type: number;
  readonly name: string;
  readonly id: number;
  readonly flags: number;
  readonly resident: boolean;
  /** The MFT entry the attribute is stored in (an extension record for a long attribute list). */
  readonly record: number;
  /** Resident: the value. */
  readonly value?: Uint8Array;
  /** Non-resident: the sizes, the runs of this piece and its first VCN. */
  readonly lowVcn: number;
  readonly allocatedSize: number;
  readonly realSize: number;
  readonly initializedSize: number;
  readonly compressionUnit: number;
  readonly runs: readonly Run[];
}

export const FLAG_COMPRESSED = 0x0001;
export const FLAG_ENCRYPTED = 0x4000;
export const FLAG_SPARSE = 0x8000;

const utf16 = new TextDecoder('utf-16le');

/** Reads a u64 size as a number (real sizes are far below 2^53). */
function u64(dv: DataView, at: number): number {
  return Number(dv.getBigUint64(at, true));
}

/**
 * Parses the attribute at `at` of the record `b` (after fixups). `where` names the volume
 * and entry in errors; `totalClusters` bounds the runs.
 */
export function parseAttribute(b: Uint8Array, at: number, record: number, totalClusters: number, where: string): Attribute {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const type = dv.getUint32(at, true);
  const length = dv.getUint32(at + 4, true);
  const w = `${where}, attribute ${attrTypeName(type)} at offset ${at}`;
  if (length < 24 || at + length > b.length) throw new NtfsError(`bad attribute length ${length}`, w);
  const nonResident = b[at + 8] !== 0;
  const nameLen = b[at + 9]!;
  const nameOff = dv.getUint16(at + 10, true);
  if (nameLen && nameOff + nameLen * 2 > length) throw new NtfsError('attribute name outside the attribute', w);
  const name = nameLen ? utf16.decode(b.subarray(at + nameOff, at + nameOff + nameLen * 2)) : '';
  const flags = dv.getUint16(at + 12, true);
  const id = dv.getUint16(at + 14, true);
  if (!nonResident) {
    const vlen = dv.getUint32(at + 16, true);
    const voff = dv.getUint16(at + 20, true);
    if (voff + vlen > length) throw new NtfsError(`resident value (${vlen} bytes at ${voff}) outside the attribute`, w);
    return {
      type, name, id, flags, resident: true, record, value: b.subarray(at + voff, at + voff + vlen),
      lowVcn: 0, allocatedSize: vlen, realSize: vlen, initializedSize: vlen, compressionUnit: 0, runs: [],
    };
  }
  if (length < 64) throw new NtfsError(`non-resident attribute header too short (${length} bytes)`, w);
  const lowVcn = u64(dv, at + 16);
  const runOff = dv.getUint16(at + 32, true);
  if (runOff >= length) throw new NtfsError(`runlist offset ${runOff} outside the attribute`, w);
  const realSize = u64(dv, at + 48);
  const allocatedSize = u64(dv, at + 40);
  const initializedSize = u64(dv, at + 56);
  return {
    type, name, id, flags, resident: false, record, lowVcn, allocatedSize, realSize, initializedSize,
    compressionUnit: dv.getUint16(at + 34, true),
    runs: decodeRunlist(b, at + runOff, at + length, lowVcn, totalClusters, w),
  };
}

export interface StandardInformation {
  readonly created: bigint;
  readonly modified: bigint;
  readonly mftModified: bigint;
  readonly accessed: bigint;
  readonly flags: number;
}

/** Decodes a $STANDARD_INFORMATION value. */
export function decodeStandardInformation(v: Uint8Array, where: string): StandardInformation {
  if (v.length < 36) throw new NtfsError(`$STANDARD_INFORMATION is ${v.length} bytes (needs 36)`, where);
  const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
  return {
    created: dv.getBigUint64(0, true), modified: dv.getBigUint64(8, true),
    mftModified: dv.getBigUint64(16, true), accessed: dv.getBigUint64(24, true), flags: dv.getUint32(32, true),
  };
}

export interface AttributeListEntry {
  readonly type: number;
  readonly name: string;
  readonly lowVcn: number;
  /** The MFT entry holding the attribute. */
  readonly entry: number;
  readonly id: number;
}

/** Decodes an $ATTRIBUTE_LIST value. */
export function decodeAttributeList(v: Uint8Array, where: string): AttributeListEntry[] {
  const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
  const out: AttributeListEntry[] = [];
  for (let at = 0; at + 26 <= v.length; ) {
    const len = dv.getUint16(at + 4, true);
    if (len < 26 || at + len > v.length) throw new NtfsError(`bad $ATTRIBUTE_LIST entry length ${len} at ${at}`, where);
    const nameLen = v[at + 6]!;
    const nameOff = v[at + 7]!;
    const name = nameLen ? utf16.decode(v.subarray(at + nameOff, at + nameOff + nameLen * 2)) : '';
    out.push({
      type: dv.getUint32(at, true), name, lowVcn: u64(dv, at + 8),
      entry: dv.getUint32(at + 16, true) + dv.getUint16(at + 20, true) * 0x1_0000_0000, id: dv.getUint16(at + 24, true),
    });
    at += len;
  }
  return out;
}
