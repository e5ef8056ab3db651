/**
 * Writers of NTFS test data: $FILE_NAME bodies, fixed-up records, USN journal ($J) records and
 * INDX index records, built byte by byte (no sample volumes are available).
 */
import type { FileNameAttr } from '../../../main/host/ntfs/filename-attr.ts';

const NS = { POSIX: 0, Win32: 1, DOS: 2, 'DOS+Win32': 3 } as const;

function utf16(s: string): Uint8Array {
  const b = new Uint8Array(s.length * 2);
  for (let i = 0; i < s.length; i++) { b[2 * i] = s.charCodeAt(i) & 0xff; b[2 * i + 1] = s.charCodeAt(i) >> 8; }
  return b;
}

/** A 64-bit MFT reference. */
export function ref(entry: number, seq: number): bigint {
  return (BigInt(seq) << 48n) | BigInt(entry);
}

/** A $FILE_NAME attribute body. */
export function fileNameBody(a: FileNameAttr): Uint8Array {
  const name = utf16(a.name);
  const b = new Uint8Array(0x42 + name.length);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, ref(a.parentEntry, a.parentSeq), true);
  v.setBigUint64(0x08, a.created, true);
  v.setBigUint64(0x10, a.modified, true);
  v.setBigUint64(0x18, a.mftModified, true);
  v.setBigUint64(0x20, a.accessed, true);
  v.setBigUint64(0x28, BigInt(a.allocatedSize), true);
  v.setBigUint64(0x30, BigInt(a.realSize), true);
  v.setUint32(0x38, a.flags, true);
  b[0x40] = a.name.length;
  b[0x41] = NS[a.nameType];
  b.set(name, 0x42);
  return b;
}

/**
 * The on-disk form of a record: writes an update sequence array at `usaOffset` (number `usn`)
 * and moves each 512-byte sector's last two bytes into it.
 */
export function withFixups(rec: Uint8Array, usaOffset: number, usn: number): Uint8Array {
  const out = rec.slice();
  const sectors = out.length / 512;
  const v = new DataView(out.buffer);
  v.setUint16(4, usaOffset, true);
  v.setUint16(6, sectors + 1, true);
  v.setUint16(usaOffset, usn, true);
  for (let i = 0; i < sectors; i++) {
    const end = (i + 1) * 512 - 2;
    out[usaOffset + 2 + 2 * i] = out[end]!;
    out[usaOffset + 3 + 2 * i] = out[end + 1]!;
    v.setUint16(end, usn, true);
  }
  return out;
}

/** A USN record to write. */
export interface UsnSpec {
  version?: 2 | 3 | 4;
  fileEntry: number;
  fileSeq: number;
  parentEntry: number;
  parentSeq: number;
  /** V3: the high 64 bits of the 128-bit ids (0 on NTFS). */
  fileHigh?: bigint;
  parentHigh?: bigint;
  usn?: number;
  timestamp: bigint;
  reason: number;
  sourceInfo?: number;
  securityId?: number;
  fileAttributes: number;
  filename: string;
}

/** One USN_RECORD_V2/V3 (or a V4-shaped record of the same header), padded to 8 bytes. */
export function usnRecord(s: UsnSpec, usn: number): Uint8Array {
  const version = s.version ?? 2;
  const name = utf16(s.filename);
  const header = version === 2 ? 0x3c : version === 3 ? 0x4c : 0x40;
  const len = version === 4 ? 0x50 : Math.ceil((header + name.length) / 8) * 8;
  const b = new Uint8Array(len);
  const v = new DataView(b.buffer);
  v.setUint32(0, len, true);
  v.setUint16(4, version, true);
  v.setUint16(6, 0, true);
  if (version === 4) {
    v.setBigUint64(8, ref(s.fileEntry, s.fileSeq), true);
    v.setBigUint64(24, ref(s.parentEntry, s.parentSeq), true);
    v.setBigInt64(40, BigInt(usn), true);
    v.setUint32(48, s.reason, true);
    v.setUint16(60, 1, true);
    v.setUint16(62, 16, true);
    return b;
  }
  let o: number;
  if (version === 2) {
    v.setBigUint64(8, ref(s.fileEntry, s.fileSeq), true);
    v.setBigUint64(16, ref(s.parentEntry, s.parentSeq), true);
    o = 24;
  } else {
    v.setBigUint64(8, ref(s.fileEntry, s.fileSeq), true);
    v.setBigUint64(16, s.fileHigh ?? 0n, true);
    v.setBigUint64(24, ref(s.parentEntry, s.parentSeq), true);
    v.setBigUint64(32, s.parentHigh ?? 0n, true);
    o = 40;
  }
  v.setBigInt64(o, BigInt(usn), true);
  v.setBigUint64(o + 8, s.timestamp, true);
  v.setUint32(o + 16, s.reason >>> 0, true);
  v.setUint32(o + 20, s.sourceInfo ?? 0, true);
  v.setUint32(o + 24, s.securityId ?? 0, true);
  v.setUint32(o + 28, s.fileAttributes, true);
  v.setUint16(o + 32, name.length, true);
  v.setUint16(o + 34, header, true);
  b.set(name, header);
  return b;
}

/** A piece of a $J stream: records (Usn = their offset) or raw bytes, at an offset. */
export type JournalPiece = { at: number; records: UsnSpec[] } | { at: number; bytes: Uint8Array };

/**
 * Lays out a $J stream of `size` bytes (zeros where nothing is written) as a list of written
 * regions: each record's Usn is its offset. Returns the regions and where each record went.
 */
export function layoutJournal(pieces: JournalPiece[]): { regions: Array<{ at: number; bytes: Uint8Array }>; offsets: number[] } {
  const regions: Array<{ at: number; bytes: Uint8Array }> = [];
  const offsets: number[] = [];
  for (const p of pieces) {
    if ('bytes' in p) { regions.push({ at: p.at, bytes: p.bytes }); continue; }
    const parts: Uint8Array[] = [];
    let pos = p.at;
    for (const r of p.records) {
      // Like Windows: a record never crosses a 4 KiB page; the rest of the page is zeros.
      let rec = usnRecord(r, r.usn ?? pos);
      if (Math.floor(pos / 4096) !== Math.floor((pos + rec.length - 1) / 4096)) {
        const pad = 4096 - (pos % 4096);
        parts.push(new Uint8Array(pad));
        pos += pad;
        rec = usnRecord(r, r.usn ?? pos);
      }
      offsets.push(pos);
      parts.push(rec);
      pos += rec.length;
    }
    regions.push({ at: p.at, bytes: Buffer.concat(parts) });
  }
  return { regions, offsets };
}

/** Writes a sparse $J file: truncated to `size`, then the regions written at their offsets. */
export async function writeJournal(path: string, size: number, regions: Array<{ at: number; bytes: Uint8Array }>): Promise<void> {
  const { open } = await import('node:fs/promises');
  const fh = await open(path, 'w');
  try {
    await fh.truncate(size);
    for (const r of regions) await fh.write(r.bytes, 0, r.bytes.length, r.at);
  } finally {
    await fh.close();
  }
}

/** An index entry with a $FILE_NAME key (flags 0), or the end marker (no key). */
export function indexEntry(entry: number, seq: number, fn: FileNameAttr | null, subnodeVcn?: bigint): Uint8Array {
  const key = fn ? fileNameBody(fn) : new Uint8Array(0);
  const len = Math.ceil((0x10 + key.length + (subnodeVcn !== undefined ? 8 : 0)) / 8) * 8;
  const b = new Uint8Array(len);
  const v = new DataView(b.buffer);
  if (fn) v.setBigUint64(0, ref(entry, seq), true);
  v.setUint16(8, len, true);
  v.setUint16(10, key.length, true);
  v.setUint32(12, (fn ? 0 : 2) | (subnodeVcn !== undefined ? 1 : 0), true);
  b.set(key, 0x10);
  if (subnodeVcn !== undefined) v.setBigUint64(len - 8, subnodeVcn, true);
  return b;
}

/** An $INDEX_ROOT body for $I30 over `entries` (the end marker is added). */
export function indexRoot(entries: Uint8Array[], indexRecordSize: number, large = false): Uint8Array {
  const all = Buffer.concat([...entries, indexEntry(0, 0, null, large ? 0n : undefined)]);
  const b = new Uint8Array(0x20 + all.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x30, true);
  v.setUint32(4, 1, true); // COLLATION_FILE_NAME
  v.setUint32(8, indexRecordSize, true);
  b[12] = 1;
  v.setUint32(0x10, 0x10, true);
  v.setUint32(0x14, 0x10 + all.length, true);
  v.setUint32(0x18, 0x10 + all.length, true);
  v.setUint32(0x1c, large ? 1 : 0, true);
  b.set(all, 0x20);
  return b;
}

/**
 * An INDX record (on-disk form, with fixups) holding `entries` then the end marker; then the
 * last `deleteLast` entries are deleted as NTFS does: the end marker is written where the
 * first of them was and the used size shrinks, leaving the rest in slack. Returns the record
 * and where (in the record) each entry started.
 */
export function indxRecord(entries: Uint8Array[], size: number, vcn: bigint, deleteLast = 0, usn = 0x0101): { record: Uint8Array; offsets: number[] } {
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  b.set([0x49, 0x4e, 0x44, 0x58]);
  v.setBigUint64(0x10, vcn, true);
  const entriesOffset = 0x28; // node header at 0x18, entries at 0x40, after the USA at 0x28
  const offsets: number[] = [];
  let o = 0x18 + entriesOffset;
  for (const e of entries) { offsets.push(o); b.set(e, o); o += e.length; }
  const end = indexEntry(0, 0, null);
  b.set(end, o);
  let used = o + end.length - 0x18;
  if (deleteLast > 0) {
    const first = offsets[entries.length - deleteLast]!;
    b.set(end, first);
    used = first + end.length - 0x18;
  }
  v.setUint32(0x18, entriesOffset, true);
  v.setUint32(0x1c, used, true);
  v.setUint32(0x20, size - 0x18, true);
  v.setUint32(0x24, 0, true);
  return { record: withFixups(b, 0x28, usn), offsets };
}
