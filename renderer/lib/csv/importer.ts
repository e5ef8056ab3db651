/**
 * The import pipeline without I/O: text chunks of one or more files in, batches of typed
 * columns and problems out (what the worker posts). Files are concatenated into one table whose
 * columns are the union of their headers, by name. Ragged rows are kept: missing cells are
 * empty, extra fields go to an `_extra` column; each is reported with its row and line.
 *
 * A file's line ending is decided on its start, held back until it holds a line feed (or
 * HEAD_DECIDE_CHARS, or the whole file): a file with no LF there but a CR is a classic Mac file
 * whose CRs end lines. Otherwise a lone CR is never a line break: inside quotes it is data, and
 * outside quotes it stays in its field (a long first line must not turn an LF file into a CR one).
 */
import { detectDelimiter, sepLine, usesBareCR } from './detect.ts';
import { ColumnEncoder } from './encoder.ts';
import { RecordReader, type RecordChunk } from './records.ts';
import { MAX_PROBLEMS, type ColumnBatch, type ImportProblem, type WorkerMessage } from './types.ts';

type Batch = Extract<WorkerMessage, { type: 'batch' }>;

/** The most text held back to decide a file's line ending when no LF has come yet. */
export const HEAD_DECIDE_CHARS = 1 << 20;

/** Turns the text of files into column batches; one instance per import. */
export class CsvImporter {
  readonly encoders: ColumnEncoder[] = [];
  private readonly byName = new Map<string, number>();
  private extraCol = -1;
  private reader: RecordReader | null = null;
  private fieldCols: number[] | null = null; // file field -> table column
  private fileName = '';
  private bareCR = false;
  private fileRows = 0;
  private started = false;
  /** The start of the file, held until its line ending can be decided. */
  private head = '';
  private forced: string | undefined;
  private sentColumns = 0;
  rows = 0;
  problemCount = 0;
  /** The delimiter of the current file (after its first chunk). */
  delimiter = ',';

  /** Starts the next file (its rows follow the previous file's); `delimiter` skips detection. */
  beginFile(name: string, delimiter?: string): void {
    this.fileName = name;
    this.reader = null;
    this.fieldCols = null;
    this.fileRows = 0;
    this.started = false;
    this.head = '';
    this.forced = delimiter;
  }

  /** True once the current file's delimiter and line ending are known (its first rows can follow). */
  get detected(): boolean {
    return this.started;
  }

  /** Parses the next chunk of the current file (`final` on its last); null when it completed no row. */
  push(text: string, final: boolean): Omit<Batch, 'bytesDone' | 'bytesTotal'> | null {
    if (!this.started) {
      text = this.head + text;
      if (!final && text.indexOf('\n') < 0 && text.length < HEAD_DECIDE_CHARS) {
        this.head = text;
        return null;
      }
      this.head = '';
      this.started = true;
      const sep = sepLine(text);
      if (sep) text = text.slice(sep.length);
      this.bareCR = usesBareCR(text);
      this.delimiter = this.forced ?? sep?.delimiter ?? detectDelimiter(this.bareCR ? text.replaceAll('\r', '\n') : text);
      this.reader = new RecordReader(this.delimiter, { firstLine: sep ? 2 : 1 });
    }
    if (this.bareCR) text = text.replaceAll('\r', '\n');
    const chunk = this.reader!.push(text, final);
    return this.rowsOf(chunk);
  }

  private rowsOf(chunk: RecordChunk): Omit<Batch, 'bytesDone' | 'bytesTotal'> | null {
    const { records } = chunk;
    let first = 0;
    let changed = false;
    if (!this.fieldCols && records.length > 0) {
      changed = this.header(records[0]!);
      first = 1;
    }
    const n = records.length - first;
    if (n <= 0 && !changed) return null;
    const problems = this.problems(chunk, first);
    const fieldCols = this.fieldCols!;
    const degraded: number[] = [];
    const cells: ColumnBatch[] = [];
    // Transposed in one pass over the records (each record is touched once, columns are written in order).
    const columns = this.encoders.map(() => new Array<string | undefined>(n));
    const width = fieldCols.length;
    for (let r = 0; r < n; r++) {
      const rec = records[r + first]!;
      const m = rec.length < width ? rec.length : width;
      for (let f = 0; f < m; f++) columns[fieldCols[f]!]![r] = rec[f];
      if (rec.length > width) columns[this.extraCol]![r] = extraText(rec, width, this.delimiter);
    }
    for (let c = 0; c < this.encoders.length; c++) {
      const enc = this.encoders[c]!.encode(columns[c]!, n);
      cells.push(enc.cells);
      if (enc.changed) changed = true;
      if (enc.degraded) degraded.push(c);
    }
    if (this.encoders.length !== this.sentColumns) changed = true;
    this.sentColumns = this.encoders.length;
    this.rows += n;
    this.fileRows += n;
    return { type: 'batch', columns: changed ? this.encoders.map((e) => e.meta) : null, degraded, rows: n, cells, problems };
  }

  /** Maps this file's header onto the table's columns; true when columns were added. */
  private header(names: string[]): boolean {
    const before = this.encoders.length;
    const seen = new Set<string>();
    this.fieldCols = names.map((raw, i) => {
      let name = raw.trim() === '' ? `Column${i + 1}` : raw;
      for (let k = 2; seen.has(name); k++) name = `${raw}_${k}`;
      seen.add(name);
      return this.columnFor(name);
    });
    this.reader!.expectedFields = names.length;
    return this.encoders.length > before;
  }

  private columnFor(name: string): number {
    let c = this.byName.get(name);
    if (c === undefined) {
      c = this.encoders.length;
      this.byName.set(name, c);
      this.encoders.push(new ColumnEncoder(name));
    }
    return c;
  }

  private problems(chunk: RecordChunk, first: number): ImportProblem[] {
    const out: ImportProblem[] = [];
    const want = this.fieldCols!.length;
    const quote = new Map(chunk.quoteProblems.map((q) => [q.index, q.message]));
    for (let i = first; i < chunk.records.length; i++) {
      const got = chunk.records[i]!.length;
      const q = quote.get(i);
      if (got === want && !q) continue;
      if (got > want && this.extraCol < 0) {
        const name = this.byName.has('_extra') ? '_extra_fields' : '_extra';
        this.extraCol = this.encoders.length;
        this.byName.set(name, this.extraCol);
        this.encoders.push(new ColumnEncoder(name, 'text'));
      }
      this.problemCount++;
      if (this.problemCount > MAX_PROBLEMS) continue;
      const parts: string[] = [];
      if (q) parts.push(q);
      if (got < want) parts.push(`${got} of ${want} fields: the missing cells are empty`);
      if (got > want) parts.push(`${got} fields, the header has ${want}: the extra ${got - want} kept in ${this.encoders[this.extraCol]!.name}`);
      out.push({
        file: this.fileName,
        row: this.fileRows + i - first + 1,
        line: chunk.lines ? chunk.lines[i]! : chunk.firstLine + i,
        tableRow: this.rows + i - first,
        kind: q ? 'quote' : got < want ? 'short' : 'long',
        message: parts.join('; '),
      });
    }
    return out;
  }
}

/** The fields past the header's count, joined back with the delimiter (quoted when needed). */
function extraText(rec: string[], want: number, delimiter: string): string | undefined {
  if (rec.length <= want) return undefined;
  return rec.slice(want).map((f) => (/["\r\n]/.test(f) || f.includes(delimiter) ? `"${f.replace(/"/g, '""')}"` : f)).join(delimiter);
}
