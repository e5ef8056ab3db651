/**
 * An MFT record (FILE record): the header (sequence number, flags, base record, log sequence
 * number) and its attributes, after the update-sequence fixups are applied.
 */
import { NtfsError } from './errors.ts';
import { applyFixups } from './fixup.ts';
import { parseAttribute, type Attribute } from './attributes.ts';

export interface MftRecord {
  readonly entry: number;
  readonly seq: number;
  readonly linkCount: number;
  readonly inUse: boolean;
  readonly isDir: boolean;
  /** The base record's entry (0 when this is a base record). */
  readonly baseEntry: number;
  readonly lsn: bigint;
  readonly attributes: readonly Attribute[];
}

/** True when `b` starts with an unused (all-zero) record: never written. */
export function isBlankRecord(b: Uint8Array): boolean {
  for (let i = 0; i < 4; i++) if (b[i] !== 0) return false;
  return true;
}

/**
 * Parses the record of `entry` in `b` (its own copy: fixups are applied in place). `where`
 * names the volume or file; errors name it and the entry.
 */
export function parseRecord(b: Uint8Array, entry: number, totalClusters: number, where: string): MftRecord {
  const w = `${where}, MFT entry ${entry}`;
  const sig = String.fromCharCode(b[0]!, b[1]!, b[2]!, b[3]!);
  if (sig !== 'FILE') throw new NtfsError(isBlankRecord(b) ? 'the record is empty (never used)' : `bad record signature ${JSON.stringify(sig)} (not "FILE")`, w);
  if (!fixupsApplied(b)) applyFixups(b, b.length, w);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const firstAttr = dv.getUint16(20, true);
  const flags = dv.getUint16(22, true);
  const used = Math.min(dv.getUint32(24, true), b.length);
  const baseLo = dv.getUint32(32, true);
  const baseEntry = baseLo + dv.getUint16(36, true) * 0x1_0000_0000;
  if (firstAttr < 24 || firstAttr >= b.length) throw new NtfsError(`bad first attribute offset ${firstAttr}`, w);
  const attributes: Attribute[] = [];
  for (let at = firstAttr; at + 8 <= used; ) {
    const type = dv.getUint32(at, true);
    if (type === 0xffffffff) break;
    const a = parseAttribute(b, at, entry, totalClusters, w);
    attributes.push(a);
    at += dv.getUint32(at + 4, true);
    if (attributes.length > 1000) throw new NtfsError('too many attributes', w);
  }
  return {
    entry, seq: dv.getUint16(16, true), linkCount: dv.getUint16(18, true), inUse: (flags & 1) !== 0,
    isDir: (flags & 2) !== 0, baseEntry, lsn: dv.getBigUint64(8, true), attributes,
  };
}

/**
 * True when the record's fixups were already applied (every sector ends with its saved bytes,
 * none with the update sequence number): a $MFT copied by a tool that applied them (ntfscat).
 */
export function fixupsApplied(b: Uint8Array): boolean {
  const usa = b[4]! | (b[5]! << 8);
  const count = b[6]! | (b[7]! << 8);
  if (count < 2 || usa + count * 2 > b.length || (count - 1) * 512 > b.length) return false;
  for (let i = 1; i < count; i++) {
    const end = i * 512 - 2;
    const isUsn = b[end] === b[usa] && b[end + 1] === b[usa + 1];
    const isSaved = b[end] === b[usa + 2 * i] && b[end + 1] === b[usa + 2 * i + 1];
    if (isUsn || !isSaved) return false;
  }
  return true;
}

/** The record size a record says it has (its allocated size), or 0 when `b` holds no record. */
export function recordSizeOf(b: Uint8Array): number {
  if (b.length < 32 || String.fromCharCode(b[0]!, b[1]!, b[2]!, b[3]!) !== 'FILE') return 0;
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(28, true);
}
