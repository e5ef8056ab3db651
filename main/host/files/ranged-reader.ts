/**
 * A file made of ranges of another (a sparse upload, the `sparse` accessor): each range's data
 * where it was in the original file, zeros in the holes and between ranges.
 */
import type { FileReader } from './accessors.ts';

/** One range: `fileLength` bytes at `fileOffset` of the stored file are the original's at `originalOffset` (`length` long; no stored bytes: a hole). */
export interface SparseRange {
  fileOffset: number;
  originalOffset: number;
  fileLength: number;
  length: number;
}

/** The original file's size: the end of the last range. */
export function sparseSize(ranges: readonly SparseRange[]): number {
  return ranges.reduce((n, r) => Math.max(n, r.originalOffset + r.length), 0);
}

/** The original file over `stored`: data ranges where they were, holes as zeros. */
export function rangedReader(stored: FileReader, ranges: readonly SparseRange[]): FileReader {
  const sorted = [...ranges].sort((a, b) => a.originalOffset - b.originalOffset);
  const size = sparseSize(sorted);
  return {
    size,
    async read(offset, length) {
      const end = Math.min(offset + length, size);
      if (end <= offset) return new Uint8Array(0);
      const out = new Uint8Array(end - offset);
      for (const r of sorted) {
        if (r.fileLength === 0) continue; // a hole: zeros already
        const from = Math.max(offset, r.originalOffset);
        const to = Math.min(end, r.originalOffset + Math.min(r.length, r.fileLength));
        if (to <= from) continue;
        const b = await stored.read(r.fileOffset + (from - r.originalOffset), to - from);
        out.set(b, from - offset);
      }
      return out;
    },
    close: () => stored.close(),
  };
}
