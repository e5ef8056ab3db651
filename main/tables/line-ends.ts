/**
 * Line ends DuckDB's reader cannot take: in a file with line feeds, its records end with LF or
 * CR LF (the kind it detects from its sample) and any CR outside quotes that is not part of that
 * kind of line end fails the whole load ("The CSV Parser state machine reached an invalid
 * state"), or is read as a line end (a row cut in two), or makes a closing quote look followed
 * by text (a problem row for a good record). The rule here is the sniffer's (dialect.ts): a CR
 * LF or an LF outside quotes ends a record, a CR inside quotes is data, and so is a CR outside
 * quotes that is not before a line feed.
 *
 * `LineEnds` reads a file's bytes by those rules (RFC 4180 quotes as DuckDB reads them:
 * placement.ts) and says where its line ends are irregular: record ends of both kinds, or a CR
 * outside quotes that is data. With an output it also writes the copy DuckDB reads instead
 * (writeLineFeeds, into the table's own folder): every record ending with LF, and a field
 * holding a CR outside quotes written quoted (its quotes doubled), so that DuckDB reads the
 * CR as the data it is. Nothing else changes: CRs and line ends inside quotes stay, the
 * lines after a malformed field are copied as they are, no line feed is added or removed, so a
 * line of the copy is the same line of the file and problems keep the file's line numbers.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

const NL = 10;
const CR = 13;
const QUOTE = 34;
const QUOTE_BUF = Buffer.from('"');
/** An unquoted field is held back up to this many bytes (MAX_LINE_BYTES of dialect.ts, which imports this file): a longer one is a problem row anyway. */
const MAX_HELD = 16 * 2 ** 20;

const enum S {
  FieldStart,
  /** An unquoted field, held back until it ends or holds a CR (it is then written quoted). */
  Unquoted,
  /** An unquoted field holding a CR, written quoted: its quotes doubled, a closing quote at its end. */
  Quoting,
  /** An unquoted field longer than MAX_HELD (a problem row anyway): written as it is. */
  Plain,
  Quoted,
  QuoteInQuoted,
  /** After text that follows a closing quote: the record is malformed to its line's end, copied as it is. */
  SkipLine,
}

/** Each quote of `buf` doubled. */
function doubled(buf: Buffer): Buffer {
  if (buf.indexOf(QUOTE) === -1) return buf;
  const parts: Buffer[] = [];
  let from = 0;
  for (let q = buf.indexOf(QUOTE); q !== -1; q = buf.indexOf(QUOTE, q + 1)) {
    parts.push(buf.subarray(from, q + 1), QUOTE_BUF);
    from = q + 1;
  }
  parts.push(buf.subarray(from));
  return Buffer.concat(parts);
}

export class LineEnds {
  /** 1-based line of the first record end of the other kind (CR LF among LF, or LF among CR LF), or 0. */
  mixedAt = 0;
  /** 1-based line of the first CR outside quotes that is data (not before a line feed), or 0. */
  loneCrAt = 0;
  /** The same, of the last one. */
  private lastLoneCrAt = 0;
  private line = 1;
  private crlf: boolean | undefined;
  private state = S.FieldStart;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private carry: Buffer | null = null;
  private readonly delim: number;

  /** `out`: where the copy's bytes go (null: only look). */
  constructor(delimiter: string, private readonly out: Buffer[] | null) {
    this.delim = delimiter.charCodeAt(0);
  }

  /** True when the line ends are irregular (after the first `skipLines` lines, for a CR that is data). */
  irregular(skipLines = 0): boolean {
    return this.mixedAt > 0 || this.lastLoneCrAt > skipLines;
  }

  /** Reads (and copies) the next bytes of the file. */
  write(chunk: Buffer): void {
    this.scan(chunk, false);
  }

  /** The end of the file. */
  end(): void {
    this.scan(Buffer.alloc(0), true);
    if (this.state === S.Unquoted) this.flushHeld();
    else if (this.state === S.Quoting) this.emit(QUOTE_BUF);
  }

  private emit(buf: Buffer): void {
    if (this.out && buf.length) this.out.push(buf);
  }

  private flushHeld(): void {
    for (const h of this.held) this.emit(h);
    this.held = [];
    this.heldBytes = 0;
  }

  private scan(input: Buffer, final: boolean): void {
    let chunk = input;
    if (this.carry) {
      chunk = Buffer.concat([this.carry, input]);
      this.carry = null;
    }
    let n = chunk.length;
    // A CR at the end: whether a line feed follows is known with the next bytes.
    if (!final && n && chunk[n - 1] === CR) {
      this.carry = Buffer.from(chunk.subarray(n - 1));
      n--;
    }
    const delim = this.delim;
    const out = this.out;
    let state = this.state;
    let line = this.line;
    /** Bytes of `chunk` from `span` on are not written yet. */
    let span = 0;
    /** In an unquoted field: where it begins in `chunk` (0 when it began before: its bytes are `held`). */
    let fieldStart = 0;
    const emit = (from: number, to: number) => {
      if (out && to > from) out.push(chunk.subarray(from, to));
    };
    /** A record end at `i` (a line feed, after a CR when `crlf`): of the file's kind? */
    const lineEnd = (crlf: boolean) => {
      if (this.crlf === undefined) this.crlf = crlf;
      else if (crlf !== this.crlf && !this.mixedAt) this.mixedAt = line;
      line++;
      state = S.FieldStart;
    };
    for (let i = 0; i < n; i++) {
      if (state === S.Quoted) {
        // To the next quote, counting the line feeds on the way.
        let q = chunk.indexOf(QUOTE, i);
        if (q === -1 || q > n) q = n;
        for (let k = chunk.indexOf(NL, i); k !== -1 && k < q; k = chunk.indexOf(NL, k + 1)) line++;
        if (q === n) break;
        i = q;
        state = S.QuoteInQuoted;
        continue;
      }
      const b = chunk[i]!;
      if (b === NL) {
        if (state === S.Unquoted && this.held.length) this.flushHeld();
        else if (state === S.Quoting) {
          emit(span, i);
          out?.push(QUOTE_BUF);
          span = i;
        }
        lineEnd(false);
      } else if (b === CR) {
        if (i + 1 < n && chunk[i + 1] === NL) {
          // A CR LF record end, written as LF: the CR is left out.
          if (state === S.Unquoted && this.held.length) this.flushHeld();
          emit(span, i);
          if (state === S.Quoting) out?.push(QUOTE_BUF);
          span = i + 1;
          i++;
          lineEnd(true);
          continue;
        }
        if (!this.loneCrAt) this.loneCrAt = line;
        this.lastLoneCrAt = line;
        if (state === S.FieldStart || state === S.Unquoted) {
          // The field holds a CR that is data: written quoted from its start (held back until now).
          const from = state === S.FieldStart ? i : fieldStart;
          emit(span, from);
          if (out) {
            out.push(QUOTE_BUF);
            for (const h of this.held) out.push(doubled(h));
            out.push(doubled(chunk.subarray(from, i)));
          }
          this.held = [];
          this.heldBytes = 0;
          span = i;
          state = S.Quoting;
        } else if (state === S.QuoteInQuoted) state = S.SkipLine;
      } else if (state === S.FieldStart) {
        if (b === QUOTE) state = S.Quoted;
        else if (b !== delim) {
          fieldStart = i;
          state = S.Unquoted;
        }
      } else if (state === S.Unquoted || state === S.Plain) {
        if (b === delim) {
          if (this.held.length) this.flushHeld();
          state = S.FieldStart;
        }
      } else if (state === S.Quoting) {
        if (b === QUOTE) {
          emit(span, i + 1);
          out?.push(QUOTE_BUF);
          span = i + 1;
        } else if (b === delim) {
          emit(span, i);
          out?.push(QUOTE_BUF);
          span = i;
          state = S.FieldStart;
        }
      } else if (state === S.QuoteInQuoted) {
        if (b === QUOTE) state = S.Quoted;
        else state = b === delim ? S.FieldStart : S.SkipLine;
      }
    }
    if (state === S.Unquoted) {
      // The field goes on in the next bytes: held back, unless it is too long to be a record anyway.
      emit(span, fieldStart);
      const rest = Buffer.from(chunk.subarray(fieldStart, n));
      this.held.push(rest);
      this.heldBytes += rest.length;
      if (this.heldBytes > MAX_HELD) {
        this.flushHeld();
        state = S.Plain;
      }
    } else emit(span, n);
    this.state = state;
    this.line = line;
  }
}

/** Where the line ends of `text` (delimited by `delimiter`) are irregular: see LineEnds. */
export function lineEndsOf(text: Buffer, delimiter: string): LineEnds {
  const l = new LineEnds(delimiter, null);
  l.write(text);
  return l;
}

/**
 * Writes the file (decompressed when `gzip`) from byte `from` (of the decompressed text) to
 * `out` with every record ending with LF and fields holding a CR outside quotes quoted (LineEnds).
 * A UTF-8 byte order mark at `from` 0 is copied as it is.
 */
export async function writeLineFeeds(path: string, gzip: boolean, from: number, delimiter: string, out: string, signal?: AbortSignal): Promise<void> {
  async function* copy(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    const parts: Buffer[] = [];
    const ends = new LineEnds(delimiter, parts);
    let pos = gzip ? 0 : from;
    let first = true;
    for await (const whole of chunks) {
      if (signal?.aborted) throw new Error('cancelled');
      let chunk = whole;
      const end = pos + chunk.length;
      if (pos < from) chunk = end > from ? chunk.subarray(from - pos) : chunk.subarray(chunk.length);
      pos = end;
      if (first && chunk.length) {
        first = false;
        if (from === 0 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
          yield chunk.subarray(0, 3);
          chunk = chunk.subarray(3);
        }
      }
      ends.write(chunk);
      if (parts.length) yield Buffer.concat(parts.splice(0));
    }
    ends.end();
    if (parts.length) yield Buffer.concat(parts.splice(0));
  }
  const dest = createWriteStream(out, { flags: 'wx' });
  if (gzip) await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), createGunzip(), copy, dest);
  else await pipeline(createReadStream(path, { start: from, highWaterMark: 1 << 20 }), copy, dest);
}
