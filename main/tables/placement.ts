/**
 * Where malformed CSV records belong. DuckDB's reader leaves a malformed record out of the table
 * and lists it (reject_errors: the byte where the record starts, the reason); issue item 3
 * wants it kept, as text, at its place in file order, so that clicking the problem jumps to its
 * row. This scan reads the file once (streaming; gzip too) with DuckDB's record rules, counts
 * the well-formed records before each rejected one, keeps the rejected record's bytes and
 * counts physical lines (DuckDB's own `line` counts records, not lines).
 *
 * The record rules (RFC 4180 as DuckDB reads it): a quote opens a quoted field only at the
 * start of a field (elsewhere it is text); in a quoted field a doubled quote is a quote and a
 * quote ends the field when a delimiter or a line end follows; any other character after it is
 * an error, and the record then ends at the end of that line. Blank lines are not records.
 *
 * Two problems the scan finds by itself, because DuckDB does not report them faithfully:
 * - A long record (more than `maxLine`, the limit DuckDB read with): DuckDB lists one that fits
 *   its 32 MiB buffer but drops a longer one without a word (a 300 MB line, a file that is one
 *   line). It is a problem record ending at its line end; its first `maxText` characters are kept.
 * - A broken quote: a quoted field that runs over a line end and then goes wrong (text after
 *   its closing quote, the end of the file, or still open after `maxLine`: `runaway`). DuckDB rejects
 *   the whole run as one record, or (a quote never closed, no other quote for megabytes) skips
 *   everything up to a buffer boundary and lists one line. As the page's old importer did, only
 *   the first line is the problem (`resume` is where its next line starts) and the scan reads
 *   on from the next line; the caller reads those lines again (load.ts).
 * Either is a problem whether DuckDB listed its offset or not. The count of well-formed
 * records is checked against the rows DuckDB loaded: the caller places problem rows at the end
 * when they differ, and says so. Bytes that cannot change the state (all but quotes and line
 * ends, and delimiters just before a quote) are jumped over with indexOf: a CSV file is
 * scanned at about 800 MB/s rather than 170 MB/s byte by byte. Going back to a broken quote's
 * second line re-reads at most `maxLine` and a chunk, kept while its record is open.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { MAX_LINE_BYTES } from './dialect.ts';

/** A problem record: where it starts, how many well-formed records come before it, its text. */
export interface Placed {
  /** The rejected offset that named it (DuckDB's line_byte_position: the record's first byte, or the one after), else its first byte. */
  offset: number;
  /** Its first byte. */
  start: number;
  /** 1-based physical line where it starts. */
  line: number;
  /** Well-formed data records (not the header) before it. */
  goodBefore: number;
  /** Its bytes as text (UTF-8, invalid bytes replaced), at most `maxText` characters. */
  text: string;
  /** Whether DuckDB listed it (its offset is one of `rejectedOffsets`). */
  rejected: boolean;
  /** A long record: its length in bytes (a CR before its line feed counted, as DuckDB counts it), more than `maxLine`. */
  longBytes?: number;
  /** A broken quote: the offset of its second line, where reading resumes; the problem is its first line. */
  resume?: number;
  /** A broken quote whose first line ends with CR LF. */
  crlf?: boolean;
  /** A broken quote still open `maxLine` bytes after its record's start (a closing quote may come later). */
  runaway?: boolean;
  /** `text` is the start of a longer record. */
  cut?: boolean;
}

export interface Placement {
  /** The problem records in file order (rejected ones, long ones, broken quotes). */
  placed: Placed[];
  /** Well-formed data records in the whole file. */
  good: number;
  /**
   * Records DuckDB reads (as text, value kept) although a quote stands inside an unquoted
   * field: their 1-based record number among all data records, and line.
   */
  bareQuotes: Array<{ record: number; line: number }>;
  /** Bytes scanned (decompressed, for gzip). */
  bytes: number;
  /**
   * With `lineEnds`: the line where the file's line ends turn irregular (line-ends.ts: a record
   * end of the other kind, or a CR outside quotes that is data, in a file with line feeds). The
   * scan stops there: the rest of the placement is not worked out.
   */
  irregularLine?: number;
}

const NL = 10;
const CR = 13;
const QUOTE = 34;

const enum S {
  FieldStart,
  Unquoted,
  Quoted,
  QuoteInQuoted,
  /** After an error, or past the longest line: the record ends at the line's end. */
  SkipLine,
}

interface Piece {
  buf: Buffer;
  /** Offset of buf[0] in the file. */
  base: number;
  /** The byte before buf[0] (none at the start of the file). */
  prev?: number;
}

/** Bytes [from, to) of the file out of the pieces that hold them. */
function bytesOf(pieces: readonly Piece[], from: number, to: number): Buffer {
  const parts: Buffer[] = [];
  for (const p of pieces) {
    const a = Math.max(from, p.base);
    const b = Math.min(to, p.base + p.buf.length);
    if (b > a) parts.push(p.buf.subarray(a - p.base, b - p.base));
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/**
 * Scans `path` (gzip when `gzip`) and places the records starting at (or one byte before) the
 * byte offsets `rejectedOffsets`, long records and broken quotes. `header`: the first record
 * is the header and is not counted. `maxLine`: the longest record DuckDB read (MAX_LINE_BYTES
 * by default).
 */
export async function placeRejected(
  path: string,
  opts: { gzip: boolean; header: boolean; delimiter: string; rejectedOffsets: ReadonlySet<number>; maxText?: number; maxLine?: number; lineEnds?: boolean; signal?: AbortSignal },
): Promise<Placement> {
  const maxText = opts.maxText ?? 64 * 1024;
  const maxLine = opts.maxLine ?? MAX_LINE_BYTES;
  const maxTextBytes = maxText * 4;
  const delim = opts.delimiter.charCodeAt(0);
  const rejected = opts.rejectedOffsets;
  const placed: Placed[] = [];
  const bareQuotes: Placement['bareQuotes'] = [];
  let bare = false;
  let good = 0;
  let line = 1;
  let state = S.FieldStart;
  let inRecord = false;
  let recordLine = 1;
  /** The record's first byte, and the offset that names it (the rejected one when DuckDB listed it). */
  let recordStart = 0;
  let recordKey = 0;
  let recordRejected = false;
  /** Offset just after the record's first line feed (inside quotes), or -1 while it is on its first line. */
  let firstLineEnd = -1;
  /** Set once the record is known to be long: its text (already taken) and that it was cut. */
  let longText: string | null = null;
  /** The pieces holding the open record's bytes from its start (dropped once it is long). */
  let held: Piece[] = [];
  let holding = false;
  let skipHeader = opts.header;
  // Line ends (opts.lineEnds): whether records end with CR LF (from the first line end), a CR
  // that was the last byte of a piece (outside quotes), the line of a CR that is data (irregular
  // once the file is known to have line feeds: a classic-Mac file has none), the first irregularity.
  let checkEnds = !!opts.lineEnds;
  let crlfEnds: boolean | undefined;
  let crPending = false;
  let loneCrLine = 0;
  let irregular = 0;
  const irregularAt = (at: number) => {
    irregular = at;
    checkEnds = false;
  };
  /** A line feed outside quotes (after a CR when `crlf`): a line end of the file's kind? */
  const lineEndAt = (crlf: boolean) => {
    if (crlfEnds === undefined) {
      crlfEnds = crlf;
      if (loneCrLine) irregularAt(loneCrLine);
    } else if (crlf !== crlfEnds) irregularAt(line);
  };
  /** A CR outside quotes followed by `next` (undefined: not known yet). */
  const crAt = (next: number | undefined) => {
    if (next === undefined) crPending = true;
    else if (next !== NL) {
      if (crlfEnds !== undefined) irregularAt(line);
      else if (!loneCrLine) loneCrLine = line;
    }
  };

  const textOf = (from: number, to: number): { text: string; cut: boolean } => {
    const end = Math.min(to, from + maxTextBytes);
    let text = bytesOf(held, from, end).toString('utf8');
    if (end === to) text = text.replace(/\r$/, '');
    const cut = end < to || text.length > maxText;
    return { text: text.length > maxText ? text.slice(0, maxText) : text, cut };
  };
  const startRecord = (piece: Piece, i: number) => {
    inRecord = true;
    recordLine = line;
    recordStart = piece.base + i;
    recordKey = recordStart;
    // DuckDB's line_byte_position is the record's offset or one past it (LF vs CRLF files): either names this record.
    if (rejected.has(recordKey + 1)) recordKey++;
    recordRejected = rejected.has(recordKey);
    firstLineEnd = -1;
    longText = null;
    held.length = 0;
    held.push(piece);
    holding = true;
  };
  const resetRecord = () => {
    bare = false;
    inRecord = false;
    holding = false;
    held.length = 0;
    state = S.FieldStart;
  };
  /** The open record is long: its start is kept, the rest of its line is skipped. */
  const markLong = () => {
    if (longText !== null) return;
    const { text } = textOf(recordStart, recordStart + maxTextBytes + 1);
    longText = text;
    holding = false;
    held.length = 0;
    state = S.SkipLine;
  };
  /** Ends the open record at `end` (its line end, or the end of the file). */
  const endRecord = (end: number) => {
    // DuckDB counts a CR before the line feed in the line's length.
    const bytes = end - recordStart;
    if (longText === null && bytes > maxLine) markLong();
    if (longText !== null) {
      placed.push({ offset: recordKey, start: recordStart, line: recordLine, goodBefore: good, text: longText, rejected: recordRejected, longBytes: bytes, cut: true });
    } else if (recordRejected) {
      placed.push({ offset: recordKey, start: recordStart, line: recordLine, goodBefore: good, text: textOf(recordStart, end).text, rejected: true });
    } else if (skipHeader) skipHeader = false;
    else {
      good++;
      if (bare) bareQuotes.push({ record: good + placed.length, line: recordLine });
    }
    resetRecord();
  };
  /** A broken quote: its first line is the problem; returns the bytes from its second line to `to`, to be read again. */
  const breakRecord = (to: number, runaway = false): Piece => {
    const { text, cut } = textOf(recordStart, firstLineEnd - 1);
    const crlf = firstLineEnd - 2 >= recordStart && bytesOf(held, firstLineEnd - 2, firstLineEnd - 1)[0] === CR;
    if (skipHeader) skipHeader = false;
    else placed.push({ offset: recordKey, start: recordStart, line: recordLine, goodBefore: good, text, rejected: recordRejected, resume: firstLineEnd, ...(crlf ? { crlf } : {}), ...(runaway ? { runaway } : {}), ...(cut ? { cut } : {}) });
    const again = { buf: bytesOf(held, firstLineEnd, to), base: firstLineEnd, prev: NL };
    line = recordLine + 1;
    resetRecord();
    return again;
  };

  /** Scans one piece; returns bytes to scan again first (after a broken quote), else null. */
  const scan = (piece: Piece): Piece | null => {
    const { buf: chunk, base } = piece;
    if (inRecord && holding) held.push(piece);
    // The next quote at or after a position (found with indexOf, kept while it is ahead).
    let nextQuote = -2;
    const quoteFrom = (i: number) => {
      if (nextQuote !== -1 && nextQuote < i) nextQuote = chunk.indexOf(QUOTE, i);
      return nextQuote === -1 ? chunk.length : nextQuote;
    };
    // Likewise the next CR, when line ends are checked (a chunk without one costs one indexOf).
    let nextCr = checkEnds ? -2 : -1;
    const crFrom = (i: number) => {
      if (!checkEnds) return chunk.length;
      if (nextCr !== -1 && nextCr < i) nextCr = chunk.indexOf(CR, i);
      return nextCr === -1 ? chunk.length : nextCr;
    };
    const prevOf = (i: number) => (i > 0 ? chunk[i - 1] : piece.prev);
    const nextOf = (i: number) => (i + 1 < chunk.length ? chunk[i + 1] : undefined);
    for (let i = 0; i < chunk.length; i++) {
      if (inRecord && state !== S.QuoteInQuoted) {
        // Bytes that change nothing are jumped over with indexOf: to the next quote (in a
        // quoted field, counting its line ends), the next line end (after an error), or
        // whichever of the two comes first (elsewhere; a delimiter only matters before a quote).
        let j: number;
        if (state === S.Quoted) j = quoteFrom(i);
        else {
          const nl = chunk.indexOf(NL, i);
          j = state === S.SkipLine ? (nl === -1 ? chunk.length : nl) : Math.min(nl === -1 ? chunk.length : nl, quoteFrom(i));
          j = Math.min(j, crFrom(i));
        }
        if (j > i) {
          if (state === S.Quoted) {
            // Still inside quotes past maxLine from the record's start: a runaway quote.
            const limit = recordStart + maxLine + 1 - base;
            const upTo = Math.min(j, limit);
            for (let n = chunk.indexOf(NL, i); n !== -1 && n < upTo; n = chunk.indexOf(NL, n + 1)) {
              line++;
              if (firstLineEnd < 0) firstLineEnd = base + n + 1;
            }
            if (j >= limit && limit <= chunk.length) {
              if (firstLineEnd >= 0) return breakRecord(base + chunk.length, true);
              // One line that long, inside quotes: a long line, to its end.
              markLong();
              i = Math.max(i, limit) - 1;
              continue;
            }
          } else if (state !== S.SkipLine) state = chunk[j - 1] === delim ? S.FieldStart : S.Unquoted;
          i = j;
          if (i >= chunk.length) break;
        }
      }
      const b = chunk[i]!;
      if (!inRecord) {
        if (b === NL) {
          if (checkEnds) lineEndAt(prevOf(i) === CR);
          line++;
          continue;
        }
        if (b === CR) {
          if (checkEnds) crAt(nextOf(i));
          continue;
        }
        startRecord(piece, i);
      }
      if (b === NL) {
        if (checkEnds && state !== S.Quoted) lineEndAt(prevOf(i) === CR);
        line++;
        if (state !== S.Quoted) endRecord(base + i);
        else if (firstLineEnd < 0) firstLineEnd = base + i + 1;
        continue;
      }
      if (b === CR && checkEnds && state !== S.Quoted) crAt(nextOf(i));
      switch (state) {
        case S.FieldStart:
          state = b === QUOTE ? S.Quoted : b === delim ? S.FieldStart : S.Unquoted;
          break;
        case S.Unquoted:
          if (b === delim) state = S.FieldStart;
          else if (b === QUOTE) bare = true;
          break;
        case S.Quoted:
          if (b === QUOTE) state = S.QuoteInQuoted;
          break;
        case S.QuoteInQuoted:
          if (b === QUOTE) state = S.Quoted;
          else if (b === delim) state = S.FieldStart;
          else if (b !== CR) {
            // Text after a closing quote: when the quoted field ran over a line end, only its first line is lost.
            if (firstLineEnd >= 0) return breakRecord(base + chunk.length);
            state = S.SkipLine;
          }
          break;
        default:
          break;
      }
    }
    // Past the longest line outside quotes: long whatever comes, so its bytes are not kept.
    if (inRecord && longText === null && state !== S.Quoted && base + chunk.length - recordStart > maxLine) markLong();
    return null;
  };

  const src = createReadStream(path, { highWaterMark: 1 << 20 });
  const stream = opts.gzip ? src.pipe(createGunzip()) : src;
  let base = 0; // offset of the next chunk in the file
  let prev: number | undefined;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (opts.signal?.aborted) throw new Error('cancelled');
      if (crPending && checkEnds) {
        crPending = false;
        crAt(chunk[0]);
      }
      for (let again = scan({ buf: chunk, base, prev }); again; again = scan(again));
      if (irregular) return { placed, good, bareQuotes, bytes: base + chunk.length, irregularLine: irregular };
      base += chunk.length;
      prev = chunk[chunk.length - 1];
    }
    while (inRecord) {
      // The end of the file inside a quoted field that ran over a line end: its first line is the problem.
      if ((state as S) === S.Quoted && firstLineEnd >= 0 && longText === null) {
        for (let again: Piece | null = breakRecord(base); again; again = scan(again));
      } else endRecord(base);
    }
  } finally {
    src.destroy();
  }
  return { placed, good, bareQuotes, bytes: base };
}
