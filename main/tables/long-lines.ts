/**
 * Long lines (and damaged gzip data), found without parsing a whole file. DuckDB's CSV reader lists a line longer than
 * its `max_line_size` as a rejected record only when the line fits its buffer (32 MiB); a
 * longer one (a 300 MB line, a file with no line end) is dropped without a word. So each CSV
 * load asks, while DuckDB reads, whether the file has a line longer than the limit DuckDB reads
 * it with (load.ts: 2 MiB, then MAX_LINE_BYTES when it has a longer one); when it has, the file
 * is read again with MAX_LINE_BYTES, and the placement scan (placement.ts) runs and keeps a line
 * longer than that as a problem row.
 *
 * A plain file is answered by jumps: from the start of a line, the last line feed before the
 * line could be too long is looked for backwards in a small window read at that place (it is
 * usually a line's length back). Lines shorter than the limit are thus crossed a limit at a
 * time: a 150 MB file costs about 75 reads of 64 KiB. A gzip file cannot be read at an offset:
 * it is decompressed as a stream and only the gaps between line feeds are measured (two
 * indexOf calls a chunk); that also finds damage or a cut end, which DuckDB's gzip reader
 * stops at without a word. Either is an I/O task beside DuckDB's load, not a second parse.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

const LF = 10;
/** Bytes read at a time when looking back for a line feed. */
const WINDOW = 64 * 1024;

export interface Inspection {
  /** The offset of the first line of `limit` bytes or more (bytes before its line feed), or -1. */
  longAt: number;
  /** A gzip file that does not decompress to its end: how many bytes did, and zlib's message. */
  damaged?: { at: number; message: string };
}

/**
 * Whether `path` has a line of `limit` bytes or more, and (gzip) whether it decompresses to
 * its end. Lines are cut at line feeds only (as DuckDB's records are, quotes aside: a quoted
 * field with line breaks is several lines here).
 */
export async function inspectLines(path: string, gzip: boolean, limit: number, signal?: AbortSignal): Promise<Inspection> {
  return gzip ? streamed(path, limit, signal) : { longAt: await jumped(path, limit, signal) };
}

async function jumped(path: string, limit: number, signal?: AbortSignal): Promise<number> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const buf = Buffer.alloc(WINDOW);
    // `start`: the first byte of a line. A line of `limit` bytes or more has no line feed in [start, start + limit).
    let start = 0;
    while (start + limit <= size) {
      if (signal?.aborted) throw new Error('cancelled');
      let hi = start + limit;
      let found = -1;
      while (found === -1 && hi > start) {
        const lo = Math.max(start, hi - WINDOW);
        const { bytesRead } = await fh.read(buf, 0, hi - lo, lo);
        const at = buf.subarray(0, bytesRead).lastIndexOf(LF);
        if (at !== -1) found = lo + at;
        hi = lo;
      }
      if (found === -1) return start;
      start = found + 1;
    }
    return -1;
  } finally {
    await fh.close();
  }
}

async function streamed(path: string, limit: number, signal?: AbortSignal): Promise<Inspection> {
  const src = createReadStream(path, { highWaterMark: 1 << 20 });
  const z = createGunzip({ chunkSize: 1 << 20 });
  src.on('error', (e) => z.destroy(e));
  src.pipe(z);
  let base = 0;
  // The first byte of the line being read, and the first long line.
  let start = 0;
  let longAt = -1;
  try {
    for await (const chunk of z as AsyncIterable<Buffer>) {
      if (signal?.aborted) throw new Error('cancelled');
      if (longAt === -1) {
        const first = chunk.indexOf(LF);
        if (first === -1) {
          if (base + chunk.length - start >= limit) longAt = start;
        } else {
          if (base + first - start >= limit) longAt = start;
          // Lines between the chunk's first and last line feeds are shorter than the chunk, which is shorter than the limit.
          const last = chunk.lastIndexOf(LF);
          if (chunk.length > limit) {
            for (let at = first, next = chunk.indexOf(LF, first + 1); longAt === -1 && next !== -1; at = next, next = chunk.indexOf(LF, next + 1)) {
              if (next - at - 1 >= limit) longAt = base + at + 1;
            }
          }
          start = base + last + 1;
        }
      }
      base += chunk.length;
    }
    if (longAt === -1 && base - start >= limit) longAt = start;
    return { longAt };
  } catch (e) {
    // zlib's errors (Z_BUF_ERROR: cut short, Z_DATA_ERROR: damaged) say where the readable part ends.
    if (signal?.aborted || !String((e as NodeJS.ErrnoException).code ?? '').startsWith('Z_')) throw e;
    return { longAt, damaged: { at: base, message: (e as Error).message } };
  } finally {
    src.destroy();
    z.destroy();
  }
}

/** The length of the first line of `path` (bytes before its line feed), and whether it has a line end (more lines may follow). */
export async function firstLineLength(path: string, gzip: boolean, signal?: AbortSignal): Promise<{ bytes: number; ended: boolean }> {
  const src = createReadStream(path, { highWaterMark: 1 << 20 });
  const stream = gzip ? src.pipe(createGunzip()) : src;
  let bytes = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (signal?.aborted) throw new Error('cancelled');
      const lf = chunk.indexOf(LF);
      if (lf !== -1) return { bytes: bytes + lf, ended: true };
      bytes += chunk.length;
    }
    return { bytes, ended: false };
  } finally {
    src.destroy();
  }
}
