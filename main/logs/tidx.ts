/**
 * The bytes of a JSONL day file that hold a time range, from its `.json.tidx`
 * (VELOCIRAPTOR-FORMATS.md 2.4: 24-byte little-endian records `ts_ns, offset, 0`, one per row,
 * times never going back): a binary search finds the first record at or after `from` and the
 * first at or after `to`; the rows between are the bytes between their offsets. Readers of the
 * range skip a leading `\n` (Velociraptor's blob writer points later records of a batch at the
 * line end before the row) and take a last row that ends without `\n` at the range's end as
 * complete. Only reads.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { NO_FOLLOW } from '../collector/csv-check.ts';
import { TIDX_RECORD, readTidxRecord } from '../collector/jsonl-file.ts';
import { searchTidx } from '../collector/jsonl-read.ts';

/** The bytes `[start, end)` of a day file holding the rows of a time range, and the row number of its first row (1-based). */
export interface ByteRange {
  start: number;
  end: number;
  firstRow: number;
  rows: number;
}

function msToNs(ms: number): bigint {
  return BigInt(Math.floor(ms)) * 1_000_000n;
}

/**
 * The byte range of the rows of `json` whose index time is in `[fromMs, toMs)` (either bound
 * may be undefined: the start or end of the day), or null when the index is missing or empty.
 */
export async function tidxByteRange(json: string, tidx: string, fromMs?: number, toMs?: number): Promise<ByteRange | null> {
  const t = await open(tidx, constants.O_RDONLY | NO_FOLLOW).catch(() => null);
  if (!t) return null;
  try {
    const size = (await open(json, constants.O_RDONLY | NO_FOLLOW).then(async (fh) => {
      try {
        return (await fh.stat()).size;
      } finally {
        await fh.close();
      }
    }));
    const n = Math.floor((await t.stat()).size / TIDX_RECORD);
    if (n === 0) return null;
    const lo = fromMs === undefined ? 0 : await searchTidx(t, n, msToNs(fromMs));
    const hi = toMs === undefined ? n : await searchTidx(t, n, msToNs(toMs));
    const offsetOf = async (i: number) => {
      if (i >= n) return size;
      const b = Buffer.alloc(TIDX_RECORD);
      await t.read(b, 0, TIDX_RECORD, i * TIDX_RECORD);
      return Math.min(size, Number(readTidxRecord(b, 0).offset));
    };
    const start = await offsetOf(lo);
    const end = hi <= lo ? start : await offsetOf(hi);
    return { start, end: Math.max(start, end), firstRow: lo + 1, rows: Math.max(0, hi - lo) };
  } finally {
    await t.close();
  }
}
