/**
 * Copies of part of a source, written into the table's own folder (never next to the source)
 * for DuckDB to read again when its first reading of the source cannot be trusted:
 * - `writeRest`: a CSV file from a broken quote's second line on (placement.ts), under a
 *   header line, with the first lines of later broken quotes replaced by a line DuckDB always
 *   rejects (more fields than the header), one line for one line, so that a line of the copy
 *   is a line of the source shifted by a constant and each replaced line is a problem in place.
 * - `writeReadable`: the readable part of a damaged or truncated gzip file (DuckDB's gzip
 *   reader stops at the damage without a word): the decompressed text up to its last line end,
 *   and the start of the line the damage cut.
 * - `writeUtf8`: UTF-16 text (Excel's "Unicode text") as UTF-8, its byte order mark left out;
 *   DuckDB reads UTF-8 only. Its lines are the source's lines, one for one.
 * writeRest also gives the records of a file from where they begin (after Excel's `sep=` line,
 * a malformed header, or a header written again: dialect.ts).
 * All stream (backpressure respected); a full disk rejects with the write's error.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { truncate } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

/** Lines of the source replaced in a copy: [start, end) with `end` just after the line's line feed. */
export interface Replaced {
  start: number;
  end: number;
}

/**
 * Writes `header` then the source's bytes from `from` to its end (decompressed when `gzip`),
 * each range of `replaced` (sorted, at or after `from`) written as `filler` (a line with its line end).
 */
export async function writeRest(path: string, gzip: boolean, from: number, replaced: readonly Replaced[], header: string, filler: string, out: string, signal?: AbortSignal): Promise<void> {
  const fill = Buffer.from(filler);
  async function* rest(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    yield Buffer.from(header);
    let pos = gzip ? 0 : from;
    let k = 0;
    for await (const chunk of chunks) {
      if (signal?.aborted) throw new Error('cancelled');
      const end = pos + chunk.length;
      let at = Math.max(pos, from);
      while (at < end) {
        const r = replaced[k];
        if (r && r.start < end && r.end > at) {
          if (r.start > at) yield chunk.subarray(at - pos, r.start - pos);
          if (r.start >= at) yield fill;
          at = Math.min(r.end, end);
          if (r.end <= end) k++;
        } else {
          yield chunk.subarray(at - pos, end - pos);
          at = end;
        }
      }
      pos = end;
    }
  }
  const dest = createWriteStream(out, { flags: 'wx' });
  if (gzip) await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), createGunzip(), rest, dest);
  else await pipeline(createReadStream(path, { start: from, highWaterMark: 1 << 20 }), rest, dest);
}

export interface Readable {
  /** Bytes of text written (complete lines). */
  bytes: number;
  /** Line ends written: the cut line is line `lines + 1`. */
  lines: number;
  /** The start of the line the damage cut (at most `maxTail` bytes), or null when the text ended with a line end. */
  tail: Buffer | null;
  /** Its length in bytes. */
  tailBytes: number;
  /** What zlib said. */
  error: string;
}

/** Writes the decompressed text of `path` up to its last line end before the damage; returns what was read. */
export async function writeReadable(path: string, out: string, maxTail = 256 * 1024, signal?: AbortSignal): Promise<Readable> {
  const src = createReadStream(path, { highWaterMark: 1 << 20 });
  const z = createGunzip();
  src.on('error', (e) => z.destroy(e));
  src.pipe(z);
  let written = 0;
  let lines = 0;
  let end = 0; // just after the last line end written
  let tail: Buffer[] = [];
  let tailBytes = 0;
  let error = '';
  async function* text(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of z as AsyncIterable<Buffer>) {
        if (signal?.aborted) throw new Error('cancelled');
        const last = chunk.lastIndexOf(10);
        if (last === -1) {
          if (tailBytes < maxTail) tail.push(chunk);
          tailBytes += chunk.length;
        } else {
          for (let n = chunk.indexOf(10); n !== -1 && n <= last; n = chunk.indexOf(10, n + 1)) lines++;
          end = written + last + 1;
          tail = [chunk.subarray(last + 1)];
          tailBytes = chunk.length - last - 1;
        }
        written += chunk.length;
        yield chunk;
      }
    } catch (e) {
      // zlib's errors (Z_BUF_ERROR: cut short, Z_DATA_ERROR: damaged) end the readable part; others are errors.
      if (signal?.aborted || !String((e as NodeJS.ErrnoException).code ?? '').startsWith('Z_')) throw e;
      error = (e as Error).message;
    }
  }
  try {
    await pipeline(text(), createWriteStream(out, { flags: 'wx' }));
  } finally {
    src.destroy();
    z.destroy();
  }
  // The cut line is not part of the copy: it is a problem row.
  await truncate(out, end);
  return { bytes: end, lines, tail: tailBytes ? Buffer.concat(tail).subarray(0, maxTail) : null, tailBytes, error };
}

export interface Transcoded {
  /** Code units that were not UTF-16 (an unpaired surrogate), written as U+FFFD. */
  invalid: number;
  /** 1-based line of the first of them. */
  firstInvalidLine: number;
}

/**
 * Writes UTF-16 text (`endian`; decompressed when `gzip`) as UTF-8 to `out`, without its byte
 * order mark. An unpaired surrogate is written as U+FFFD and counted (the row keeps its place).
 */
export async function writeUtf8(path: string, gzip: boolean, endian: 'LE' | 'BE', out: string, signal?: AbortSignal): Promise<Transcoded> {
  const decoder = new TextDecoder(endian === 'LE' ? 'utf-16le' : 'utf-16be');
  const result: Transcoded = { invalid: 0, firstInvalidLine: 0 };
  let lines = 1;
  let odd: Buffer | null = null;
  const replacements = (units: Buffer): number => {
    // U+FFFD written in the source itself is no replacement.
    let n = 0;
    const [hi, lo] = endian === 'LE' ? [1, 0] : [0, 1];
    for (let i = 0; i + 1 < units.length; i += 2) if (units[i + hi] === 0xff && units[i + lo] === 0xfd) n++;
    return n;
  };
  const take = (units: Buffer, last: boolean): Buffer => {
    const text = decoder.decode(units, { stream: !last });
    if (text.includes('\uFFFD')) {
      let found = 0;
      for (let i = text.indexOf('\uFFFD'); i !== -1; i = text.indexOf('\uFFFD', i + 1)) found++;
      const bad = found - replacements(units);
      if (bad > 0 && !result.invalid) {
        const at = text.indexOf('\uFFFD');
        for (let i = text.indexOf('\n'); i !== -1 && i < at; i = text.indexOf('\n', i + 1)) lines++;
        result.firstInvalidLine = lines;
      }
      if (bad > 0) result.invalid += bad;
    }
    if (!result.invalid) for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
    return Buffer.from(text, 'utf8');
  };
  async function* utf8(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of chunks) {
      if (signal?.aborted) throw new Error('cancelled');
      // Whole code units only, so that each chunk's replacements are counted against its own units.
      let units = odd ? Buffer.concat([odd, chunk]) : chunk;
      odd = units.length % 2 ? units.subarray(units.length - 1) : null;
      if (odd) units = units.subarray(0, units.length - 1);
      yield take(units, false);
    }
    // A last odd byte is half a code unit: U+FFFD.
    yield take(odd ?? Buffer.alloc(0), true);
  }
  const src = createReadStream(path, { highWaterMark: 1 << 20 });
  const dest = createWriteStream(out, { flags: 'wx' });
  if (gzip) await pipeline(src, createGunzip(), utf8, dest);
  else await pipeline(src, utf8, dest);
  return result;
}
