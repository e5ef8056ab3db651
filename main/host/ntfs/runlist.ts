/**
 * Runlists (data runs) of non-resident attributes: where each range of virtual clusters
 * (VCN) of a stream lies on the volume (LCN). Each run is a header byte (low nibble: bytes of
 * the length, high nibble: bytes of the offset), the length, then the offset signed and
 * relative to the previous run's start. A run with no offset is sparse (reads as zeros).
 */
import { NtfsError } from './errors.ts';

export interface Run {
  /** The first virtual cluster of the run in its stream. */
  readonly vcn: number;
  /** Its length in clusters. */
  readonly length: number;
  /** Its first cluster on the volume, or null for a sparse run. */
  readonly lcn: number | null;
}

/** Reads `n` bytes little-endian at `at` as an unsigned (or signed) number. */
function readVarInt(b: Uint8Array, at: number, n: number, signed: boolean): number {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[at + i]!);
  if (signed && n > 0 && b[at + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
  return Number(v);
}

/**
 * Decodes the runlist at `b[at..end)`, starting at virtual cluster `startVcn`. A run past
 * `totalClusters`, a length of 0 or bytes past `end` are damage: NtfsError naming `where`.
 */
export function decodeRunlist(b: Uint8Array, at: number, end: number, startVcn: number, totalClusters: number, where: string): Run[] {
  const runs: Run[] = [];
  let vcn = startVcn;
  let lcn = 0;
  let pos = at;
  while (pos < end) {
    const header = b[pos]!;
    if (header === 0) return runs;
    const lenBytes = header & 0x0f;
    const offBytes = header >> 4;
    if (lenBytes === 0 || lenBytes > 8 || offBytes > 8 || pos + 1 + lenBytes + offBytes > end) {
      throw new NtfsError(`bad data run header 0x${header.toString(16)} at runlist offset ${pos - at}`, where);
    }
    const length = readVarInt(b, pos + 1, lenBytes, false);
    if (length <= 0 || length > totalClusters) throw new NtfsError(`bad data run length ${length} at runlist offset ${pos - at}`, where);
    if (offBytes === 0) {
      runs.push({ vcn, length, lcn: null });
    } else {
      lcn += readVarInt(b, pos + 1 + lenBytes, offBytes, true);
      if (lcn < 0 || lcn + length > totalClusters) {
        throw new NtfsError(`data run at cluster ${lcn} (+${length}) is outside the volume (${totalClusters} clusters)`, where);
      }
      runs.push({ vcn, length, lcn });
    }
    vcn += length;
    pos += 1 + lenBytes + offBytes;
  }
  return runs;
}

/** The index of the run holding virtual cluster `vcn` (runs sorted by vcn), or -1. */
export function findRun(runs: readonly Run[], vcn: number): number {
  let lo = 0;
  let hi = runs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = runs[mid]!;
    if (vcn < r.vcn) hi = mid - 1;
    else if (vcn >= r.vcn + r.length) lo = mid + 1;
    else return mid;
  }
  return -1;
}
