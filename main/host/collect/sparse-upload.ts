/**
 * A sparse upload in a collection container (VELOCIRAPTOR-FORMATS.md 1.7): the member holds only
 * the data ranges, concatenated, and `<member>.idx` says where each goes in the original file
 * (`{"ranges":[{file_offset, original_offset, file_length, length}...]}`, zero fields omitted; an
 * older container has one range per line). The `collector` accessor reads the file as it was,
 * holes as zeros, unless expanding it would be as Velociraptor refuses: 100 MiB or more, and more
 * than twice the stored data (a `$J` of a few MB data in a GB of holes): then the stored ranges are
 * read as they are, which is what parsers that scan for records (parse_usn) want.
 */
import { sparseSize, type SparseRange } from '../files/ranged-reader.ts';

/** Velociraptor's `ShouldPadFile` threshold (defaults.max_sparse_expand_size). */
export const MAX_SPARSE_EXPAND = 100 * 1024 * 1024;

/** The ranges of an `.idx` member's text (a JSON object with `ranges`, or JSON lines); null when it is neither. */
export function parseSparseIndex(text: string): SparseRange[] | null {
  const num = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : 0);
  const range = (r: Record<string, unknown>): SparseRange => ({
    fileOffset: num(r.file_offset),
    originalOffset: num(r.original_offset),
    fileLength: num(r.file_length),
    length: num(r.length),
  });
  try {
    const o = JSON.parse(text) as { ranges?: unknown };
    if (o && Array.isArray(o.ranges)) return o.ranges.filter((r) => r && typeof r === 'object').map((r) => range(r as Record<string, unknown>));
  } catch {
    // JSON lines, one range each.
  }
  const lines = text.split('\n').filter((l) => l.trim());
  const out: SparseRange[] = [];
  for (const l of lines) {
    try {
      const r = JSON.parse(l) as unknown;
      if (!r || typeof r !== 'object') return null;
      out.push(range(r as Record<string, unknown>));
    } catch {
      return null;
    }
  }
  return out.length ? out : null;
}

/** Whether the file the ranges describe is read expanded (holes as zeros), by Velociraptor's rule. */
export function expandSparse(ranges: readonly SparseRange[]): boolean {
  const total = sparseSize(ranges);
  const data = ranges.reduce((n, r) => n + r.fileLength, 0);
  return !(total >= MAX_SPARSE_EXPAND && total > 2 * data);
}
