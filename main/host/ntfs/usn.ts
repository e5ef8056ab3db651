/**
 * The NTFS change journal: the records of `$Extend/$UsnJrnl:$J` (USN_RECORD_V2 / V3; V4 range
 * records are skipped) and their rows as Velociraptor's `parse_usn` prints them (go-ntfs usn.go).
 *
 * $J is a sparse stream: its logical size is large and the start is a hole of zeros (the
 * journal is trimmed from the front). Records are 8-byte aligned and never straddle... anything
 * we rely on: the reader walks the stream in large chunks, skips zero words fast (a hole, or
 * the zero padding Windows leaves at the end of a 4 KiB page), and on a word that is neither
 * zero nor a plausible record header, steps 8 bytes at a time until one is (warning once with
 * the offset). A reader that knows its data ranges (`dataRanges()`, see SparseAware) lets the
 * walk skip holes without reading them.
 *
 * The record parser (parseUsnRecord), the walk (readUsnJournal) and the row builder (usnRow)
 * need no volume; the plugin (usn-plugin.ts) adds path resolution through a UsnPathResolver.
 */
import { VDict, type Value } from '../../vql/index.ts';
import { readFull, type FileReader } from '../files/accessors.ts';
import { OSPath } from '../files/ospath.ts';
import { NtfsError } from './errors.ts';
import { fileAttributeFlags, flagNames, splitRef } from './filename-attr.ts';
import { isZero } from '../parsers/common.ts';
import { filetime } from '../registry/raw-reg-accessor.ts';

/** One change journal record. */
export interface UsnRecord {
  /** Where the record starts in the $J stream (equal to `usn` in a healthy journal). */
  offset: number;
  recordLength: number;
  majorVersion: number;
  minorVersion: number;
  /** MFT entry number and sequence of the file (the low 64 bits of a V3 128-bit id). */
  fileEntry: number;
  fileSeq: number;
  parentEntry: number;
  parentSeq: number;
  /** V3 only: the whole 128-bit file ids as 32 hex digits (ReFS uses the high half). */
  fileId128?: string;
  parentId128?: string;
  usn: number;
  /** FILETIME, as stored. */
  timestamp: bigint;
  reason: number;
  sourceInfo: number;
  securityId: number;
  fileAttributes: number;
  filename: string;
}

/** Header sizes: the file name of V2 starts at 0x3C at the earliest, of V3 at 0x4C. */
export const USN_V2_HEADER = 0x3c;
export const USN_V3_HEADER = 0x4c;
const USN_V4_HEADER = 0x40;
/** The largest record accepted (a 255-unit name in a V3 record needs 592 bytes). */
export const USN_MAX_RECORD = 4096;
/** Records per batch of readUsnBatches. */
const BATCH = 1024;

/** USN_REASON_* bits and the names go-ntfs gives them (prefix stripped). */
export const USN_REASON_NAMES: ReadonlyArray<readonly [number, string]> = [
  [0x00000001, 'DATA_OVERWRITE'],
  [0x00000002, 'DATA_EXTEND'],
  [0x00000004, 'DATA_TRUNCATION'],
  [0x00000010, 'NAMED_DATA_OVERWRITE'],
  [0x00000020, 'NAMED_DATA_EXTEND'],
  [0x00000040, 'NAMED_DATA_TRUNCATION'],
  [0x00000100, 'FILE_CREATE'],
  [0x00000200, 'FILE_DELETE'],
  [0x00000400, 'EA_CHANGE'],
  [0x00000800, 'SECURITY_CHANGE'],
  [0x00001000, 'RENAME_OLD_NAME'],
  [0x00002000, 'RENAME_NEW_NAME'],
  [0x00004000, 'INDEXABLE_CHANGE'],
  [0x00008000, 'BASIC_INFO_CHANGE'],
  [0x00010000, 'HARD_LINK_CHANGE'],
  [0x00020000, 'COMPRESSION_CHANGE'],
  [0x00040000, 'ENCRYPTION_CHANGE'],
  [0x00080000, 'OBJECT_ID_CHANGE'],
  [0x00100000, 'REPARSE_POINT_CHANGE'],
  [0x00200000, 'STREAM_CHANGE'],
  [0x00400000, 'TRANSACTED_CHANGE'],
  [0x00800000, 'INTEGRITY_CHANGE'],
  [0x80000000, 'CLOSE'],
];

/** USN_SOURCE_* bits (SourceInfo) and their names, prefix stripped. */
export const USN_SOURCE_NAMES: ReadonlyArray<readonly [number, string]> = [
  [0x00000001, 'DATA_MANAGEMENT'],
  [0x00000002, 'AUXILIARY_DATA'],
  [0x00000004, 'REPLICATION_MANAGEMENT'],
  [0x00000008, 'CLIENT_REPLICATION_MANAGEMENT'],
];

/** The USN_REASON_* names of `reason`, in bit order. */
export function usnReasons(reason: number): string[] {
  return flagNames(reason, USN_REASON_NAMES);
}

/** The USN_SOURCE_* names of `sourceInfo`, in bit order. */
export function usnSources(sourceInfo: number): string[] {
  return flagNames(sourceInfo, USN_SOURCE_NAMES);
}

const utf16 = new TextDecoder('utf-16le');

/** What the 8 bytes at a position hold: padding, a record (its length and version), or garbage. */
export type UsnHeaderCheck =
  | { kind: 'zero' }
  | { kind: 'record'; length: number; major: number }
  | { kind: 'garbage'; why: string };

/**
 * Checks the record header at `pos` of `view` (at least 8 bytes there). A record needs its whole
 * length to be checked further (see parseUsnRecord); this only looks at length and version.
 */
export function checkUsnHeader(view: DataView, pos: number): UsnHeaderCheck {
  const length = view.getUint32(pos, true);
  const major = view.getUint16(pos + 4, true);
  if (length === 0) return view.getUint32(pos + 4, true) === 0 ? { kind: 'zero' } : { kind: 'garbage', why: 'record length 0' };
  if (length % 8 !== 0) return { kind: 'garbage', why: `record length ${length} not a multiple of 8` };
  if (length > USN_MAX_RECORD) return { kind: 'garbage', why: `record length ${length} too large` };
  const min = major === 2 ? USN_V2_HEADER : major === 3 ? USN_V3_HEADER : major === 4 ? USN_V4_HEADER : 0;
  if (min === 0) return { kind: 'garbage', why: `unknown major version ${major}` };
  if (length < min) return { kind: 'garbage', why: `record length ${length} too small for version ${major}` };
  return { kind: 'record', length, major };
}

function hex128(bytes: Uint8Array, off: number): string {
  let s = '';
  for (let i = off + 15; i >= off; i--) s += bytes[i]!.toString(16).padStart(2, '0');
  return s;
}

/**
 * Parses the V2 or V3 record at `pos` of `bytes` (the whole record must be there: see
 * checkUsnHeader for its length). `offset` is where `pos` is in the stream. Throws NtfsError
 * when the record is inconsistent (its name outside it, an odd name length...).
 */
export function parseUsnRecord(bytes: Uint8Array, pos: number, offset: number, view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)): UsnRecord {
  const where = `$J offset ${offset}`;
  if (pos + 8 > bytes.length) throw new NtfsError('USN record header truncated', where);
  const recordLength = view.getUint32(pos, true);
  const majorVersion = view.getUint16(pos + 4, true);
  const minorVersion = view.getUint16(pos + 6, true);
  if (majorVersion !== 2 && majorVersion !== 3) throw new NtfsError(`USN record version ${majorVersion}.${minorVersion} not supported`, where);
  const header = majorVersion === 2 ? USN_V2_HEADER : USN_V3_HEADER;
  if (recordLength < header) throw new NtfsError(`USN record length ${recordLength} too small for version ${majorVersion}`, where);
  if (pos + recordLength > bytes.length) throw new NtfsError(`USN record of ${recordLength} bytes truncated at ${bytes.length - pos}`, where);
  let file, parent, fileId128, parentId128, o;
  if (majorVersion === 2) {
    file = splitRef(view, pos + 8);
    parent = splitRef(view, pos + 16);
    o = pos + 24;
  } else {
    file = splitRef(view, pos + 8);
    parent = splitRef(view, pos + 24);
    fileId128 = hex128(bytes, pos + 8);
    parentId128 = hex128(bytes, pos + 24);
    o = pos + 40;
  }
  const usn = Number(view.getBigInt64(o, true));
  const timestamp = view.getBigUint64(o + 8, true);
  const reason = view.getUint32(o + 16, true);
  const sourceInfo = view.getUint32(o + 20, true);
  const securityId = view.getUint32(o + 24, true);
  const fileAttributes = view.getUint32(o + 28, true);
  const nameLength = view.getUint16(o + 32, true);
  const nameOffset = view.getUint16(o + 34, true);
  if (nameLength % 2 !== 0) throw new NtfsError(`USN record file name length ${nameLength} is odd`, where);
  if (nameOffset < header || nameOffset + nameLength > recordLength) {
    throw new NtfsError(`USN record file name (offset ${nameOffset}, ${nameLength} bytes) outside the ${recordLength}-byte record`, where);
  }
  const filename = utf16.decode(bytes.subarray(pos + nameOffset, pos + nameOffset + nameLength));
  const rec: UsnRecord = {
    offset, recordLength, majorVersion, minorVersion,
    fileEntry: file.entry, fileSeq: file.seq, parentEntry: parent.entry, parentSeq: parent.seq,
    usn, timestamp, reason, sourceInfo, securityId, fileAttributes, filename,
  };
  if (fileId128 !== undefined) {
    rec.fileId128 = fileId128;
    rec.parentId128 = parentId128;
  }
  return rec;
}

/** A reader that can tell where its data is (the rest reads as zeros): an NTFS sparse stream. */
export interface SparseAware {
  /** The ranges holding data, in order; everything else reads as zeros. */
  dataRanges(): Promise<ReadonlyArray<{ offset: number; length: number }>>;
}

function isSparseAware(r: FileReader): r is FileReader & SparseAware {
  return typeof (r as Partial<SparseAware>).dataRanges === 'function';
}

export interface UsnReadOptions {
  /** Where to start (rounded up to a multiple of 8: records are 8-aligned). */
  startOffset?: number;
  /** How much to read at a time (default 4 MiB). */
  chunkSize?: number;
  /** Problems found on the way (damaged regions, V4 records skipped, a truncated end). */
  warn?: (message: string) => void;
  signal?: AbortSignal;
  /** Names the stream in messages. */
  where?: string;
}

/** Counts of a walk, for callers who want them (tests, benchmarks). */
export interface UsnWalkStats {
  records: number;
  zeroBytes: number;
  garbageRegions: number;
  garbageBytes: number;
  v4Records: number;
  bytesRead: number;
}

/**
 * The records of a $J stream, in stream order, reading `chunkSize` bytes at a time. Never
 * throws on bad data: damaged regions are skipped (the first one is warned about with its
 * offset, the rest are counted in one warning at the end). Reader errors propagate.
 */
export async function* readUsnJournal(reader: FileReader, opts: UsnReadOptions = {}, stats?: UsnWalkStats): AsyncGenerator<UsnRecord> {
  for await (const batch of readUsnBatches(reader, opts, stats)) yield* batch;
}

/** readUsnJournal's records in batches (of up to `BATCH` records): cheaper to walk. */
export async function* readUsnBatches(reader: FileReader, opts: UsnReadOptions = {}, stats?: UsnWalkStats): AsyncGenerator<UsnRecord[]> {
  let batch: UsnRecord[] = [];
  const chunkSize = Math.max(opts.chunkSize ?? 4 << 20, USN_MAX_RECORD * 2);
  const where = opts.where ?? '$J';
  const warn = opts.warn ?? (() => {});
  const st: UsnWalkStats = stats ?? { records: 0, zeroBytes: 0, garbageRegions: 0, garbageBytes: 0, v4Records: 0, bytesRead: 0 };
  const start = Math.ceil(Math.max(0, opts.startOffset ?? 0) / 8) * 8;
  const size = reader.size;
  let ranges: Array<{ offset: number; length: number }>;
  if (isSparseAware(reader)) {
    // Adjacent ranges are merged (a record may straddle two runs); starts are 8-aligned.
    ranges = [];
    for (const r of [...(await reader.dataRanges())].sort((a, b) => a.offset - b.offset)) {
      const last = ranges[ranges.length - 1];
      if (last && r.offset <= last.offset + last.length) last.length = Math.max(last.length, r.offset + r.length - last.offset);
      else {
        const from = Math.floor(r.offset / 8) * 8;
        ranges.push({ offset: from, length: r.offset + r.length - from });
      }
    }
  } else {
    ranges = [{ offset: 0, length: size ?? Number.MAX_SAFE_INTEGER }];
  }

  let buf: Uint8Array = new Uint8Array(0);
  let view = new DataView(buf.buffer);
  let bufStart = 0;
  let eof = false; // the reader returned less than asked: the stream ends at bufStart + buf.length
  /** Makes [pos, pos+need) available when the stream has it; false at the end. */
  const fill = async (pos: number, need: number): Promise<boolean> => {
    if (pos >= bufStart && pos + need <= bufStart + buf.length) return true;
    if (eof && pos + need > bufStart + buf.length && pos >= bufStart) return false;
    const got = await readFull(reader, pos, chunkSize);
    st.bytesRead += got.length;
    // Copy when the reader's view is not 4-aligned, so that zero scanning can use a Uint32Array.
    buf = got.byteOffset % 4 === 0 ? got : new Uint8Array(got); // a copy (Buffer's slice() would not copy)
    view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    bufStart = pos;
    eof = got.length < chunkSize;
    return got.length >= need;
  };

  let garbageStart = -1;
  let firstWarned = false;
  let v4Warned = false;
  const endGarbage = (at: number) => {
    if (garbageStart < 0) return;
    st.garbageRegions++;
    st.garbageBytes += at - garbageStart;
    garbageStart = -1;
  };

  for (const range of ranges) {
    const rangeEnd = size === null ? range.offset + range.length : Math.min(size, range.offset + range.length);
    let pos = Math.max(range.offset, start);
    while (pos < rangeEnd) {
      if (opts.signal?.aborted) return;
      if (!(await fill(pos, 8))) {
        if (eof && bufStart + buf.length <= pos) break; // the end of the stream
        // Fewer than 8 bytes left: a truncated tail.
        if (buf.length - (pos - bufStart) > 0 && !isZero(buf, pos - bufStart, buf.length)) warn(`${where}: ${buf.length - (pos - bufStart)} stray bytes at the end (offset ${pos})`);
        break;
      }
      const at = pos - bufStart;
      const check = checkUsnHeader(view, at);
      if (check.kind === 'zero') {
        endGarbage(pos);
        // Skip zero words: within this buffer with a fast scan, then chunk after chunk.
        const next = nextNonZero(buf, at);
        st.zeroBytes += Math.min(next, buf.length) - at;
        pos = bufStart + next;
        continue;
      }
      if (check.kind === 'record') {
        const ok = await fill(pos, check.length);
        if (!ok) {
          endGarbage(pos);
          warn(`${where}: record at offset ${pos} (${check.length} bytes) runs past the end of the stream`);
          break;
        }
        const p = pos - bufStart;
        if (check.major === 4) {
          endGarbage(pos);
          st.v4Records++;
          if (!v4Warned) {
            v4Warned = true;
            warn(`${where}: USN_RECORD_V4 (range tracking) records skipped, the first at offset ${pos}`);
          }
          pos += check.length;
          continue;
        }
        let rec: UsnRecord | null = null;
        try {
          rec = parseUsnRecord(buf, p, pos, view);
        } catch (e) {
          if (!(e instanceof NtfsError)) throw e;
        }
        if (rec) {
          endGarbage(pos);
          st.records++;
          batch.push(rec);
          if (batch.length >= BATCH) {
            yield batch;
            batch = [];
          }
          pos += check.length;
          continue;
        }
      }
      // Garbage: step one word and look again.
      if (garbageStart < 0) {
        garbageStart = pos;
        if (!firstWarned) {
          firstWarned = true;
          warn(`${where}: damaged data at offset ${pos} (${check.kind === 'garbage' ? check.why : 'inconsistent record'}): skipping to the next record`);
        }
      }
      pos += 8;
    }
    endGarbage(pos);
  }
  if (batch.length) yield batch;
  if (st.garbageRegions > 1) warn(`${where}: ${st.garbageRegions} damaged regions skipped in all (${st.garbageBytes} bytes)`);
}

/** The first 8-aligned position at or after `at` (8-aligned) whose word is not zero, or b.length. */
function nextNonZero(b: Uint8Array, at: number): number {
  const words = Math.floor((b.length - at) / 8);
  if (b.byteOffset % 4 === 0 && at % 4 === 0) {
    const u32 = new Uint32Array(b.buffer, b.byteOffset + at, words * 2);
    let i = 0;
    const n = u32.length;
    while (i < n && (u32[i]! | u32[i + 1]!) === 0) i += 2;
    return at + i * 4; // i === n: past the last whole word
  }
  let p = at;
  for (; p + 8 <= b.length; p += 8) if (!isZero(b, p, p + 8)) return p;
  return p === at ? at + 8 : p;
}

/** How a record's paths are found. */
export interface UsnPathResolver {
  /**
   * The path of directory `entry` (relative to the volume root, `\`-separated, "" for the root)
   * when its sequence number is `seq`; null when it cannot be resolved (unknown entry, reused
   * with another sequence number).
   */
  path(entry: number, seq: number): Promise<string | null>;
  /** Optional: every path of the directory (its hard links); `path` is used when absent. */
  paths?(entry: number, seq: number): Promise<string[]>;
}

/**
 * A record's paths as go-ntfs's USN_RECORD.Links(): the parent's paths, each with the record's
 * file name appended (the parent is resolved rather than the file, which may be deleted). A
 * parent that cannot be resolved gives go-ntfs's `<Err>\<Parent ...>\name` form. Without a
 * resolver, the file name alone.
 */
export async function usnLinks(rec: UsnRecord, resolver: UsnPathResolver | null): Promise<string[]> {
  if (!resolver) return [rec.filename];
  let parents: string[];
  if (resolver.paths) parents = await resolver.paths(rec.parentEntry, rec.parentSeq);
  else {
    const p = await resolver.path(rec.parentEntry, rec.parentSeq);
    parents = p === null ? [] : [p];
  }
  if (parents.length === 0) return [`<Err>\\<Parent ${rec.parentEntry}-${rec.parentSeq}>\\${rec.filename}`];
  return parents.map((p) => (p === '' ? rec.filename : `${p}\\${rec.filename}`));
}

/** The columns of a parse_usn row, in order. */
export const USN_COLUMNS = [
  'Usn', 'OSPath', 'Timestamp', 'Filename', 'FileAttributes', 'Reason', 'SourceInfo',
  '_FileMFTID', '_FileMFTSequence', '_ParentMFTID', '_ParentMFTSequence', '_Links',
] as const;

/**
 * A record as a parse_usn row. `links` from usnLinks; OSPath is `device` (when given) with the
 * first link's components appended, as a Windows path.
 */
export function usnRow(rec: UsnRecord, links: readonly string[], device?: OSPath | null): VDict {
  const first = links[0] ?? rec.filename;
  const components = first.split('\\').filter((c) => c !== '');
  const osPath = device ? device.append(components) : new OSPath(components, 'windows');
  const row = new Map<string, Value>([
    ['Usn', rec.usn],
    ['OSPath', osPath],
    ['Timestamp', filetime(rec.timestamp)],
    ['Filename', rec.filename],
    ['FileAttributes', fileAttributeFlags(rec.fileAttributes)],
    ['Reason', usnReasons(rec.reason)],
    ['SourceInfo', usnSources(rec.sourceInfo)],
    ['_FileMFTID', rec.fileEntry],
    ['_FileMFTSequence', rec.fileSeq],
    ['_ParentMFTID', rec.parentEntry],
    ['_ParentMFTSequence', rec.parentSeq],
    ['_Links', [...links]],
  ]);
  return new VDict(row);
}
