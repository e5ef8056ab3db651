/**
 * Reading an attribute's value: resident bytes as they are; non-resident data through its
 * runs (clusters on the volume), with bytes past the initialized size read as zeros, sparse
 * runs as zeros, and compressed attributes (LZNT1, compression units of 2^n clusters)
 * decompressed one unit at a time.
 */
import type { FileReader } from '../files/accessors.ts';
import { memoryReader } from '../files/accessors.ts';
import { NtfsError } from './errors.ts';
import { FLAG_COMPRESSED, type Attribute } from './attributes.ts';
import { findRun, type Run } from './runlist.ts';
import { decompressLznt1 } from './lznt1.ts';
import type { BlockCache } from '../files/block-cache.ts';

/** The pieces of one non-resident attribute (split over records by an attribute list), merged. */
export interface DataAttr {
  readonly realSize: number;
  readonly initializedSize: number;
  readonly compressed: boolean;
  readonly compressionUnit: number;
  readonly runs: readonly Run[];
}

/** Merges the pieces of an attribute (sorted by first VCN; sizes from the first piece). */
export function mergePieces(pieces: readonly Attribute[]): DataAttr {
  const sorted = [...pieces].sort((a, b) => a.lowVcn - b.lowVcn);
  const first = sorted[0]!;
  return {
    realSize: first.realSize, initializedSize: first.initializedSize,
    compressed: (first.flags & FLAG_COMPRESSED) !== 0 && first.compressionUnit > 0,
    compressionUnit: first.compressionUnit, runs: sorted.flatMap((p) => p.runs),
  };
}

/** Reads the clusters of `runs` covering [vcn, vcn+count) into `out` at `outAt` (sparse: zeros). */
async function readClusters(disk: BlockCache, clusterSize: number, runs: readonly Run[], vcn: number, count: number, out: Uint8Array, outAt: number): Promise<void> {
  let v = vcn;
  const end = vcn + count;
  while (v < end) {
    const i = findRun(runs, v);
    if (i < 0) {
      // Past the runs: the allocated part ends here (zeros).
      const next = runs.find((r) => r.vcn > v);
      v = next ? Math.min(next.vcn, end) : end;
      continue;
    }
    const r = runs[i]!;
    const n = Math.min(r.vcn + r.length, end) - v;
    if (r.lcn !== null) {
      const bytes = await disk.read((r.lcn + (v - r.vcn)) * clusterSize, n * clusterSize);
      out.set(bytes, outAt + (v - vcn) * clusterSize);
    }
    v += n;
  }
}

/** A reader over a non-resident attribute's value. */
export function runsReader(disk: BlockCache, clusterSize: number, a: DataAttr, where: string): FileReader {
  const size = a.realSize;
  const unitClusters = a.compressed ? 2 ** a.compressionUnit : 0;
  let lastUnit = -1;
  let lastData: Uint8Array | null = null;
  const unit = async (u: number): Promise<Uint8Array> => {
    if (u === lastUnit && lastData) return lastData;
    const bytes = unitClusters * clusterSize;
    const raw = new Uint8Array(bytes);
    const vcn = u * unitClusters;
    let stored = 0;
    for (let v = vcn; v < vcn + unitClusters; ) {
      const i = findRun(a.runs, v);
      if (i < 0) break;
      const r = a.runs[i]!;
      const n = Math.min(r.vcn + r.length, vcn + unitClusters) - v;
      if (r.lcn !== null) stored += n;
      v += n;
    }
    await readClusters(disk, clusterSize, a.runs, vcn, unitClusters, raw, 0);
    // A unit stored in full is not compressed; one with no clusters is zeros.
    const data = stored === unitClusters || stored === 0 ? raw : decompressLznt1(raw.subarray(0, stored * clusterSize), bytes, `${where}, compression unit ${u}`);
    lastUnit = u;
    lastData = data;
    return data;
  };
  return {
    size,
    async read(offset, length) {
      const end = Math.min(offset + length, size);
      if (end <= offset) return new Uint8Array(0);
      const out = new Uint8Array(end - offset);
      const init = Math.min(a.initializedSize, size);
      const readEnd = Math.min(end, init);
      if (readEnd > offset) {
        if (unitClusters) {
          const ub = unitClusters * clusterSize;
          for (let pos = offset; pos < readEnd; ) {
            const u = Math.floor(pos / ub);
            const data = await unit(u);
            const from = pos - u * ub;
            const take = Math.min(ub - from, readEnd - pos);
            out.set(data.subarray(from, from + take), pos - offset);
            pos += take;
          }
        } else {
          const first = Math.floor(offset / clusterSize);
          const last = Math.ceil(readEnd / clusterSize);
          const buf = new Uint8Array((last - first) * clusterSize);
          await readClusters(disk, clusterSize, a.runs, first, last - first, buf, 0);
          const from = offset - first * clusterSize;
          out.set(buf.subarray(from, from + (readEnd - offset)), 0);
        }
      }
      return out;
    },
    // Where the data is (the rest reads as zeros): a $J stream is mostly one sparse run, which
    // parse_usn then skips rather than scanning (usn.ts's SparseAware).
    ...(unitClusters ? {} : { dataRanges: async () => dataRanges(a, clusterSize) }),
    close: async () => {},
  };
}

/** The byte ranges of `a` stored on the volume (its runs that are not sparse), within its size. */
export function dataRanges(a: DataAttr, clusterSize: number): Array<{ offset: number; length: number }> {
  const out: Array<{ offset: number; length: number }> = [];
  for (const r of a.runs) {
    if (r.lcn === null) continue;
    const offset = r.vcn * clusterSize;
    const length = Math.min(r.length * clusterSize, a.realSize - offset);
    if (length > 0) out.push({ offset, length });
  }
  return out;
}

/** A reader over any attribute (resident or not). */
export function attributeReader(disk: BlockCache, clusterSize: number, pieces: readonly Attribute[], where: string): FileReader {
  const first = pieces[0];
  if (!first) throw new NtfsError('no such attribute', where);
  if (first.resident) return memoryReader(first.value!);
  return runsReader(disk, clusterSize, mergePieces(pieces), where);
}
