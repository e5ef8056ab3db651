/**
 * Row counts of day files without re-reading them: each file's count is cached with its size,
 * inode and the scanner's state, and a file that grew (the collector appends) is scanned only
 * from where the last count stopped. A file that shrank or was replaced is counted again.
 * Counting is a quote-aware newline scan (csv-file.ts `scanRecords`), about the speed of reading;
 * JSONL files count their line ends. A Velociraptor JSONL day with its `.json.tidx` is not read
 * at all: the index has one 24-byte record per row (`countDayFile`).
 */
import { open } from 'node:fs/promises';
import { stat } from 'node:fs/promises';
import { scanRecords, type ScanState } from '../collector/csv-file.ts';
import { TIDX_RECORD } from '../collector/jsonl-file.ts';
import type { DayFile } from './datastore.ts';

interface Entry {
  ino: number;
  /** Bytes scanned so far. */
  scanned: number;
  /** Complete records in those bytes (the header included). */
  records: number;
  state: ScanState;
}

/** A file's data rows (complete records after the header) and its size. */
export interface FileCount {
  rows: number;
  bytes: number;
}

const CHUNK = 1 << 20;

function countLf(b: Buffer, n: number): number {
  let c = 0;
  for (let i = b.indexOf(0x0a); i >= 0 && i < n; i = b.indexOf(0x0a, i + 1)) c++;
  return c;
}

/** Counts rows of day files, caching each file's count (see above). */
export class RowCounter {
  private readonly cache = new Map<string, Entry>();
  /** Bytes read by the counter since it was made (tests and benchmarks check the caching). */
  bytesRead = 0;

  /**
   * Counts the rows of a day file; throws ENOENT when it is gone. `lines`: a JSONL file (rows
   * are complete lines; there is no header and quotes do not span lines).
   */
  async count(path: string, lines = false): Promise<FileCount> {
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      let e = this.cache.get(path);
      if (!e || e.ino !== st.ino || st.size < e.scanned) {
        e = { ino: st.ino, scanned: 0, records: 0, state: { inQuotes: false } };
        this.cache.set(path, e);
      }
      if (st.size > e.scanned) {
        const buf = Buffer.allocUnsafe(Math.min(CHUNK, st.size - e.scanned));
        while (e.scanned < st.size) {
          const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, st.size - e.scanned), e.scanned);
          if (bytesRead === 0) break;
          e.records += lines ? countLf(buf, bytesRead) : scanRecords(buf.subarray(0, bytesRead), e.state).records;
          e.scanned += bytesRead;
          this.bytesRead += bytesRead;
        }
      }
      return { rows: lines ? e.records : Math.max(0, e.records - 1), bytes: st.size };
    } catch (err) {
      this.cache.delete(path);
      throw err;
    } finally {
      await fh.close();
    }
  }
}

/**
 * Rows and bytes of a day file of any layout: a JSONL day with an index from the index's size
 * (records whose row is past the end of the file, a write in progress, are not counted), else
 * by the counter.
 */
export async function countDayFile(counter: RowCounter, f: DayFile): Promise<FileCount> {
  if (f.format === 'jsonl' && f.tidx) {
    const [j, t] = await Promise.all([stat(f.path), stat(f.tidx).catch(() => null)]);
    if (t && (t.size >= TIDX_RECORD || j.size === 0)) return { rows: Math.floor(t.size / TIDX_RECORD), bytes: j.size };
  }
  return counter.count(f.path, f.format === 'jsonl');
}
