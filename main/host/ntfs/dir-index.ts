/**
 * Directory listings from the $I30 index: the entries of $INDEX_ROOT (in the MFT record) and
 * of the INDX records of $INDEX_ALLOCATION reached through the B-tree's subnode pointers.
 * Only live entries are read (slack space is i30.ts's business). Each record is visited once
 * (a cycle of subnode pointers ends), and a damaged INDX record is reported and skipped.
 */
import type { FileReader } from '../files/accessors.ts';
import { readFull } from '../files/accessors.ts';
import { NtfsError } from './errors.ts';
import { applyFixups } from './fixup.ts';
import { decodeFileName, splitRef, type FileNameAttr } from './filename-attr.ts';

export interface DirEntry {
  readonly entry: number;
  readonly seq: number;
  readonly fn: FileNameAttr;
}

/** Most INDX records read for one directory (a bound against damaged trees). */
const MAX_RECORDS = 1 << 20;

/** The entries of an index node whose header is at `at` of `b`; subnode VCNs go to `children`. */
export function nodeEntries(b: Uint8Array, at: number, where: string, out: DirEntry[], children: number[]): void {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (at + 16 > b.length) throw new NtfsError('index node header cut short', where);
  const first = at + dv.getUint32(at, true);
  const end = Math.min(at + dv.getUint32(at + 4, true), b.length);
  for (let p = first; p + 16 <= end; ) {
    const len = dv.getUint16(p + 8, true);
    const keyLen = dv.getUint16(p + 10, true);
    const flags = dv.getUint32(p + 12, true);
    if (len < 16 || p + len > end) throw new NtfsError(`bad index entry length ${len} at offset ${p}`, where);
    if (flags & 1) children.push(Number(dv.getBigUint64(p + len - 8, true)));
    if (flags & 2) break;
    if (keyLen < 0x42 || 16 + keyLen > len) throw new NtfsError(`bad index key length ${keyLen} at offset ${p}`, where);
    const ref = splitRef(dv, p);
    out.push({ entry: ref.entry, seq: ref.seq, fn: decodeFileName(b.subarray(p + 16, p + 16 + keyLen), where) });
    p += len;
  }
}

export interface IndexSources {
  /** The $INDEX_ROOT $I30 value. */
  readonly root: Uint8Array;
  /** The $INDEX_ALLOCATION $I30 stream, when there is one. */
  readonly allocation: FileReader | null;
  readonly clusterSize: number;
}

/**
 * Every live entry of a directory's $I30 index, in index order. `warn` is told about each
 * damaged INDX record (which is skipped); a damaged root throws.
 */
export async function readIndex(src: IndexSources, where: string, warn: (m: string) => void): Promise<DirEntry[]> {
  const out: DirEntry[] = [];
  const pending: number[] = [];
  if (src.root.length < 32) throw new NtfsError(`$INDEX_ROOT is ${src.root.length} bytes`, where);
  const rdv = new DataView(src.root.buffer, src.root.byteOffset, src.root.byteLength);
  const recordSize = rdv.getUint32(8, true);
  nodeEntries(src.root, 16, `${where}, $INDEX_ROOT`, out, pending);
  if (!pending.length) return out;
  if (!src.allocation) {
    warn(`${where}: the index has subnodes but no $INDEX_ALLOCATION`);
    return out;
  }
  if (recordSize < 512 || recordSize > 65536) throw new NtfsError(`bad index record size ${recordSize}`, `${where}, $INDEX_ROOT`);
  const vcnSize = recordSize >= src.clusterSize ? src.clusterSize : 512;
  const seen = new Set<number>();
  while (pending.length) {
    const vcn = pending.pop()!;
    if (seen.has(vcn)) continue;
    seen.add(vcn);
    if (seen.size > MAX_RECORDS) throw new NtfsError('too many index records', where);
    const w = `${where}, INDX record at VCN ${vcn}`;
    try {
      const b = new Uint8Array(await readFull(src.allocation, vcn * vcnSize, recordSize));
      if (b.length < recordSize) throw new NtfsError('the record is past the end of $INDEX_ALLOCATION', w);
      const sig = String.fromCharCode(b[0]!, b[1]!, b[2]!, b[3]!);
      if (sig !== 'INDX') throw new NtfsError(`bad signature ${JSON.stringify(sig)} (not "INDX")`, w);
      applyFixups(b, recordSize, w);
      const children: number[] = [];
      nodeEntries(b, 24, w, out, children);
      pending.push(...children.reverse());
    } catch (e) {
      if (!(e instanceof NtfsError)) throw e;
      warn(e.message);
    }
  }
  return out;
}

/**
 * The entries a listing shows, as go-ntfs: one per name; DOS (8.3) names and `.` left out
 * (a file with a short name has its long name in a Win32 entry of its own).
 */
export function visibleEntries(entries: readonly DirEntry[]): DirEntry[] {
  const out: DirEntry[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    if (e.fn.nameType === 'DOS' || e.fn.name === '.') continue;
    const key = `${e.entry}\u0000${e.fn.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  return out;
}
