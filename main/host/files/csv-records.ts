/**
 * CSV records from text that arrives in chunks, for VQL's `parse_csv()` (parsers.ts), parsed by
 * papaparse, with what papaparse does not give: the file line of each record, `\r\n` and `\n`
 * line ends mixed freely, and recovery from malformed quotes. A quote that is never closed (or
 * closed in the wrong place) would otherwise swallow the following lines into one field: such a
 * record is re-read as its first line alone with its quotes taken as plain text, reported, and
 * parsing resumes on the next line.
 *
 * Line ends: LF, or CRLF (the CR is dropped only when it ends an unquoted last field, right
 * before the LF or the end of the text). Any other CR is data: inside quotes it is kept as
 * written, even just before the closing quote, and outside quotes it stays in its field; it
 * never ends a record.
 *
 * Work stays linear in the text: a chunk without a line feed cannot complete a record, so it
 * is only added to what is carried; and a large unfinished record (a long quoted field) is
 * parsed again only once the text carried has doubled, not at every chunk.
 */
import Papa from 'papaparse';

/** The records read from one chunk of text. */
export interface RecordChunk {
  records: string[][];
  /** 1-based file line where each record starts; null when they are consecutive from `firstLine`. */
  lines: number[] | null;
  firstLine: number;
  /** Records read as plain text because their quoting was malformed: record index and message. */
  quoteProblems: Array<{ index: number; message: string }>;
}

interface PapaResult {
  data: string[][];
  errors: Array<{ code: string; row: number }>;
  meta: { cursor: number };
}

/** Options of a RecordReader. */
export interface RecordReaderOptions {
  /** The file line where the text starts (2 after a `sep=` line). */
  firstLine?: number;
  /** A record still open after this many characters is taken as a runaway quote (default 16 Mi). */
  maxRecordChars?: number;
  /** Records whose first field starts with this are comments and skipped (`parse_csv(comment=)`). */
  comment?: string;
}

/** Reads records chunk by chunk; set `expectedFields` once the header is known. */
export class RecordReader {
  /** Field count of a well-formed record (the header's); 0 = not known yet. */
  expectedFields = 0;
  private carry = '';
  /** Length of the carried text at the last parse that left a record unfinished. */
  private carriedAtParse = 0;
  private line = 1;
  private readonly parser: Papa.Parser;

  private readonly maxRecordChars: number;
  private readonly comment: string;

  constructor(readonly delimiter: string, opts: RecordReaderOptions = {}) {
    this.parser = new Papa.Parser({ delimiter, newline: '\n' });
    this.line = opts.firstLine ?? 1;
    this.maxRecordChars = opts.maxRecordChars ?? 16 << 20;
    this.comment = opts.comment ?? '';
  }

  /** Parses `text` after what earlier calls left over; `final` on the file's last chunk. */
  push(text: string, final: boolean): RecordChunk {
    const out: RecordChunk = { records: [], lines: null, firstLine: this.line, quoteProblems: [] };
    let input = this.carry + text;
    if (!final && input.length <= this.maxRecordChars && this.waits(text, input)) {
      this.carry = input;
      return out;
    }
    this.carry = '';
    this.carriedAtParse = 0;
    for (;;) {
      const r = this.parser.parse(input, 0, !final) as PapaResult;
      const data = r.data;
      const end = final ? input.length : r.meta.cursor;
      let bad = this.firstBad(data, r.errors);
      const good = bad < 0 ? data.length : bad;
      const embedded = this.embeddedNewlines(input, end, data, good, bad >= 0, final);
      let line = this.line;
      const ends = new LineEnds(input);
      for (let i = 0; i < good; i++) {
        const rec = data[i]!;
        const extra = embedded ? embedded[i]! : 0;
        dropLineEndCR(rec, input, ends, line - this.line + extra);
        this.add(out, rec, line);
        line += 1 + extra;
      }
      let offset: number;
      if (bad >= 0) offset = offsetOfLine(input, line - this.line);
      else if (!final && input.length - end > this.maxRecordChars) {
        bad = good;
        offset = end;
      } else {
        this.line = line;
        this.carry = input.slice(end);
        this.carriedAtParse = this.carry.length;
        return out;
      }
      // Re-read the bad record's first line as plain text, then go on after it.
      const nl = input.indexOf('\n', offset);
      if (nl < 0 && !final && input.length - offset <= this.maxRecordChars) {
        this.line = line;
        this.carry = input.slice(offset);
        this.carriedAtParse = this.carry.length;
        return out;
      }
      let lineText = input.slice(offset, nl < 0 ? input.length : nl);
      if (lineText.endsWith('\r')) lineText = lineText.slice(0, -1);
      if (this.add(out, lineText.split(this.delimiter), line, true)) {
        out.quoteProblems.push({ index: out.records.length - 1, message: 'malformed quotes: the line was read with its quotes as plain text' });
      }
      this.line = line + 1;
      input = nl < 0 ? '' : input.slice(nl + 1);
      if (input === '') return out;
    }
  }

  /**
   * True when parsing now cannot give anything new: `text` has no line feed (no record can end
   * in it), or the unfinished record carried is large and the text has not doubled since it was
   * last parsed (re-parsing it at every chunk made a long quoted field quadratic).
   */
  private waits(text: string, input: string): boolean {
    if (text.indexOf('\n') < 0) return true;
    return this.carriedAtParse >= 1 << 20 && input.length < 2 * this.carriedAtParse;
  }

  /** The first record papaparse flagged for quotes, or that has the wrong field count and spans lines. */
  private firstBad(data: string[][], errors: PapaResult['errors']): number {
    let bad = -1;
    for (const e of errors) if (e.row < data.length && (bad < 0 || e.row < bad)) bad = e.row;
    const want = this.expectedFields;
    if (want === 0) return bad;
    const limit = bad < 0 ? data.length : bad;
    for (let i = 0; i < limit; i++) {
      const rec = data[i]!;
      if (rec.length !== want && !(rec.length === 1 && rec[0] === '') && rec.some((f) => f.includes('\n'))) return i;
    }
    return bad;
  }

  /**
   * Newlines inside each of the first `good` records (quoted fields spanning lines), or null
   * when there are none: then record i starts on line `this.line + i`.
   */
  private embeddedNewlines(input: string, end: number, data: string[][], good: number, partial: boolean, final: boolean): number[] | null {
    if (!partial) {
      // On the last chunk papaparse's last record has no newline after it (when the text ends
      // with one, that record is an empty one after it).
      const terminators = final ? Math.max(0, good - 1) : good;
      if (countNewlines(input, 0, end) === terminators) return null;
    } else if (input.indexOf('"') < 0) return null;
    const counts = new Array<number>(good);
    for (let i = 0; i < good; i++) {
      let n = 0;
      for (const f of data[i]!) if (f.length > 0 && f.includes('\n')) n += countNewlines(f, 0, f.length);
      counts[i] = n;
    }
    return counts;
  }

  /** Adds a record (false when it is a blank line or a comment, which are skipped). */
  private add(out: RecordChunk, rec: string[], line: number, forced = false): boolean {
    if (!forced && rec.length === 1 && rec[0] === '') return false; // a blank line
    if (this.comment && rec[0]!.startsWith(this.comment)) return false;
    const expected = out.firstLine + out.records.length;
    if (out.lines === null && line !== expected) {
      out.lines = [];
      for (let i = 0; i < out.records.length; i++) out.lines.push(out.firstLine + i);
    }
    out.records.push(rec);
    out.lines?.push(line);
    return true;
  }
}

/** Finds the offset of the n-th line feed of a text, for n rising (one pass over the text in all). */
class LineEnds {
  private n = -1;
  private at = -1;
  constructor(private readonly text: string) {}

  /** Offset of line feed number `n` (0-based), or the text's length when there are fewer. */
  offset(n: number): number {
    while (this.n < n && (this.n < 0 || this.at >= 0)) {
      this.at = this.text.indexOf('\n', this.at + 1);
      this.n++;
      if (this.at < 0) break;
    }
    return this.n === n && this.at >= 0 ? this.at : this.text.length;
  }
}

/**
 * Drops the CR of a CRLF line end from a record's last field. papaparse (newline '\n') leaves
 * it at the end of an unquoted field; a quoted field's CR is data. The field was unquoted when
 * the text just before the record's line feed (number `lf` of the input) is the value itself.
 */
function dropLineEndCR(rec: string[], input: string, ends: LineEnds, lf: number): void {
  const k = rec.length - 1;
  const last = rec[k]!;
  if (last.charCodeAt(last.length - 1) !== 0x0d) return;
  const end = ends.offset(lf);
  if (input.startsWith(last, end - last.length)) rec[k] = last.slice(0, -1);
}

function countNewlines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = s.indexOf('\n', from); i >= 0 && i < to; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** The offset just after the `n`-th newline of `s` (0 when n is 0). */
function offsetOfLine(s: string, n: number): number {
  let at = 0;
  for (let k = 0; k < n; k++) at = s.indexOf('\n', at) + 1;
  return at;
}
