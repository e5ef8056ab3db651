/**
 * What a file is, from its first bytes rather than its name: Parquet (`PAR1`), gzip (then what
 * the decompressed start is), a JSON array (`[`), JSON lines (`{`), else delimited text, whose
 * delimiter (comma, tab, semicolon or bar) is the one that splits the first lines into the same
 * number of fields most often. DuckDB's own sniffer is not used for the dialect: a file with a
 * few broken rows near its start can make it give up or choose "no quotes", which would turn
 * every quoted field into text with quotes in it. Quotes are always RFC 4180 (`"`, doubled).
 *
 * Bad input is told apart here, before DuckDB sees it: a NUL byte in the first line (a zeroed
 * or sparse file, an executable, a database) is binary; a Parquet or gzip file is binary too
 * and is recognized by its magic first. UTF-16 text (a byte order mark: Excel's "Unicode text")
 * is named, and load.ts reads it from a UTF-8 copy (copies.ts), which is sniffed in turn.
 * Delimited text whose first line has no end within MAX_LINE_BYTES is not line-oriented (one
 * 300 MB line): load.ts keeps its start as a problem row rather than hand it to DuckDB.
 *
 * What DuckDB would read wrongly at the start of delimited text is found here too, and load.ts
 * then reads a copy of the file from where its records begin (`start`), under a header line
 * of its own when `rewriteHeader`:
 * - Excel's `sep=;` first line names the delimiter and is not the header.
 * - A file with line feeds is not a classic-Mac (CR) file because its first line holds a CR:
 *   a CR not before a line feed is data. DuckDB's reader takes any such CR for a line end, so
 *   a header holding one is written again (its names quoted).
 * - A first record that is not RFC 4180 (a quote inside an unquoted field, text after a
 *   closing quote, a quote never closed) is `badHeader`: monitoring logs list it and read the
 *   next record as the header (sniffAfterHeader); other files keep it as their header.
 * - Records after the header that end with both CR LF and LF, or a CR outside quotes that is
 *   data (line-ends.ts): `lineEndsFrom`, read from a copy whose records all end with LF.
 *   (Further down than the bytes looked at here, load.ts finds them when DuckDB fails or its
 *   problem records are placed.)
 * - A file of blank lines alone has no record: `blank`.
 */
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { createReadStream } from 'node:fs';
import { lineEndsOf } from './line-ends.ts';

export type SourceFormat = 'csv' | 'json' | 'jsonl' | 'parquet';

export interface Sniffed {
  format: SourceFormat;
  gzip: boolean;
  /** Delimited text: the delimiter. */
  delimiter: string;
  /** The header's field names (delimited text), as the first record splits them. */
  header: string[];
  /** Not text: the offset of a NUL byte in the first line (of the decompressed data, for gzip). */
  binaryAt?: number;
  /** Not text though it has no NUL: the share (0..1) of control characters and invalid UTF-8 in its first bytes, and how many bytes were looked at. */
  notText?: { share: number; bytes: number };
  /** UTF-16 text (its byte order mark): read from a UTF-8 copy, which is sniffed again (nothing else is looked at). */
  utf16?: 'LE' | 'BE';
  /** Delimited text whose first line runs past MAX_LINE_BYTES: not a line-oriented file. */
  longFirstLine?: boolean;
  /** Delimited text whose header does not begin the file: lines (and bytes, of the decompressed text) before it (Excel's `sep=` line, a malformed header skipped). */
  start?: { bytes: number; lines: number };
  /** Excel's `sep=` line named the delimiter. */
  sepLine?: boolean;
  /** The header line must be written again (a CR in it that DuckDB takes for a line end): the byte just after its line end, where the data begins. */
  rewriteHeader?: number;
  /** The line end DuckDB is told (its own detection takes a CR in the header for one): set with rewriteHeader, the header's own. */
  newLine?: '\n' | '\r\n';
  /** The header record is not RFC 4180: why, its text, and where it ends (byte after its line end; lines it spans). */
  badHeader?: { reason: string; text: string; end: number; lines: number };
  /** Line ends DuckDB reads wrongly (line-ends.ts): read from a copy with regular ones, from this byte (where the header begins). */
  lineEndsFrom?: number;
  /** Nothing but line ends (no record, no header): an empty table. */
  blank?: boolean;
}

/**
 * Longest line (bytes before its line feed, a CR counted) read as a record (DuckDB's `max_line_size` is one
 * more: it refuses a line of that many bytes). A longer line is a problem row (its first 64 KiB
 * kept as text). DuckDB reads a file with its usual 2 MiB limit first and again with this one
 * only when it has a longer line (load.ts: LongLines).
 */
export const MAX_LINE_BYTES = 16 * 2 ** 20;

/** Bytes looked at to decide (the decompressed start of a gzip file). */
const HEAD = 64 * 1024;
const DELIMITERS = [',', '\t', ';', '|'];

/** The first `n` bytes of a file, decompressed when it is gzip; a truncated gzip gives what decompressed. */
export async function headOf(path: string, gzip: boolean, n = HEAD): Promise<Buffer> {
  if (!gzip) {
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(n);
      const { bytesRead } = await fh.read(buf, 0, n, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let have = 0;
    const src = createReadStream(path);
    const z = createGunzip();
    const done = () => {
      src.destroy();
      z.destroy();
      resolve(Buffer.concat(chunks).subarray(0, n));
    };
    z.on('data', (c: Buffer) => {
      chunks.push(c);
      have += c.length;
      if (have >= n) done();
    });
    z.on('end', done);
    z.on('error', (e) => (have > 0 ? done() : reject(new Error(`${path} is not a readable gzip file (damaged from its start: ${e.message}); nothing in it could be read`))));
    src.on('error', reject);
    src.pipe(z);
  });
}

/**
 * Splits the first records of `text` (RFC 4180 quotes) by `delim`; at most `most` records.
 * `lfFile`: the text has line feeds, so a CR is a line end only before one (else it is data).
 */
export function splitRecords(text: string, delim: string, most = 30, lfFile = false): string[][] {
  const records: string[][] = [];
  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  let i = 0;
  const plain = plainRun(delim);
  for (; i < text.length && records.length < most; i++) {
    const ch = text[i]!;
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else {
        // Up to the next quote at once (a field of megabytes is not built a character at a time).
        const q = text.indexOf('"', i);
        const end = q === -1 ? text.length : q;
        field += text.slice(i, end);
        i = end - 1;
      }
    } else if (ch === '"' && field === '') inQuotes = true;
    else if (ch === delim) {
      fields.push(field);
      field = '';
    } else if (ch === '\n' || (ch === '\r' && (!lfFile || text[i + 1] === '\n'))) {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      fields.push(field);
      if (fields.length > 1 || fields[0] !== '') records.push(fields);
      fields = [];
      field = '';
    } else {
      const end = plainEnd(plain, text, i + 1);
      field += text.slice(i, end);
      i = end - 1;
    }
  }
  // A last record without a newline counts only when the text ended (not when the sample was cut).
  if (i >= text.length && (field !== '' || fields.length) && records.length < most) records.push([...fields, field]);
  return records;
}

/** Finds the characters that end a run of plain text outside quotes: a quote, a line end, the delimiter. */
function plainRun(delim: string): RegExp {
  return new RegExp(`["\\r\\n${delim.replace(/[\\\]^-]/g, '\\$&')}]`, 'g');
}

/** The end of the run of plain text at `from` (plainRun's next match, or the end of `text`). */
function plainEnd(run: RegExp, text: string, from: number): number {
  run.lastIndex = from;
  return run.exec(text)?.index ?? text.length;
}

/** The first record of a text, read by the rules of DuckDB's reader (placement.ts), and where it ends. */
export interface FirstRecord {
  fields: string[];
  /** Characters of `text` up to the end of its line end (or of the text). */
  end: number;
  /** Lines it spans. */
  lines: number;
  /** A CR in it that is not a line end (DuckDB takes any CR for one). */
  cr: boolean;
  /**
   * Not RFC 4180: why. It then ends at the end of the line where it went wrong, or of its first
   * line when a quoted field ran over a line end before (as placement.ts cuts a broken quote).
   */
  bad?: string;
}

/** The first record of `text` (leading blank lines are part of it, as they are no record). */
export function firstRecord(text: string, delim: string, lfFile: boolean): FirstRecord {
  const fields: string[] = [];
  let field = '';
  let state: 'start' | 'plain' | 'quoted' | 'closed' = 'start';
  let lines = 1;
  let firstEnd = -1;
  let cr = false;
  const lineEnd = (i: number) => text[i] === '\n' || (text[i] === '\r' && (!lfFile || text[i + 1] === '\n'));
  const after = (i: number) => (text[i] === '\r' && text[i + 1] === '\n' ? i + 2 : i + 1);
  const plain = plainRun(delim);
  const wrong = (i: number, why: string): FirstRecord => {
    let j = i;
    while (j < text.length && !lineEnd(j)) j++;
    if (firstEnd >= 0) return { fields: [...fields, field], end: firstEnd, lines: 1, cr, bad: why };
    return { fields: [...fields, field], end: j < text.length ? after(j) : j, lines, cr, bad: why };
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (state === 'quoted') {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else state = 'closed';
      } else {
        // Up to the next quote at once, counting its line feeds.
        const q = text.indexOf('"', i);
        const end = q === -1 ? text.length : q;
        for (let n = text.indexOf('\n', i); n !== -1 && n < end; n = text.indexOf('\n', n + 1)) {
          if (firstEnd < 0) firstEnd = n + 1;
          lines++;
        }
        field += text.slice(i, end);
        i = end - 1;
      }
      continue;
    }
    if (lineEnd(i)) {
      if (state === 'start' && !fields.length) {
        // A blank line before the header: not a record.
        lines++;
        i = after(i) - 1;
        continue;
      }
      return { fields: [...fields, field], end: after(i), lines, cr };
    }
    if (ch === delim) {
      fields.push(field);
      field = '';
      state = 'start';
    } else if (state === 'closed') return wrong(i, 'text after a closing quote');
    else if (ch === '"') {
      if (state !== 'start') return wrong(i, 'a quote inside an unquoted field');
      state = 'quoted';
    } else if (ch === '\r') {
      cr = true;
      field += ch;
      state = 'plain';
    } else {
      const end = plainEnd(plain, text, i + 1);
      field += text.slice(i, end);
      state = 'plain';
      i = end - 1;
    }
  }
  if (state === 'quoted') return wrong(firstEnd >= 0 ? firstEnd - 1 : text.length, 'a quote that is never closed');
  return { fields: [...fields, field], end: text.length, lines, cr };
}

/** The delimiter that splits the records into the same number (> 1) of fields most often; comma when none does. */
export function detectDelimiter(text: string, lfFile = text.includes('\n')): string {
  let best = ',';
  let bestScore = 0;
  for (const d of DELIMITERS) {
    const counts = splitRecords(text, d, 30, lfFile).map((r) => r.length);
    if (!counts.length || counts[0]! < 2) continue;
    // Records agreeing with the header's field count, weighted by that count.
    const agree = counts.filter((c) => c === counts[0]).length;
    const score = agree * Math.log2(counts[0]!) + (agree === counts.length ? 1 : 0);
    if (score > bestScore) {
      best = d;
      bestScore = score;
    }
  }
  return best;
}

/** Offset of a NUL byte in the first line of `head` (up to its first line feed), or -1. */
export function nulInFirstLine(head: Buffer): number {
  const lf = head.indexOf(10);
  const nul = head.indexOf(0);
  return nul !== -1 && (lf === -1 || nul < lf) ? nul : -1;
}

/** More than this share of control characters and invalid UTF-8 at its start, and a file is not text. */
const NOT_TEXT_SHARE = 0.3;

/**
 * The share of the characters of `head` that no text holds: C0 controls other than tab, line
 * feed, form feed and carriage return, and bytes that are not UTF-8 (read as U+FFFD). NUL is
 * left to the NUL rules (in the first line the file is binary; a zeroed tail is a problem row).
 * A sequence cut by the end of `head` is not counted. 0 for fewer than 64 bytes.
 */
export function nonTextShare(head: Buffer): number {
  if (head.length < 64) return 0;
  const text = head.toString('utf8');
  const n = text.length - (text.endsWith('\ufffd') ? 1 : 0);
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0xfffd || (c > 0 && c < 32 && c !== 9 && c !== 10 && c !== 12 && c !== 13) || c === 127) bad++;
  }
  return n ? bad / n : 0;
}

/** Whether the file (decompressed) holds nothing but CRs and LFs (read until another byte). */
async function onlyLineEnds(path: string, gzip: boolean): Promise<boolean> {
  const src = createReadStream(path, { highWaterMark: 1 << 20 });
  const stream = gzip ? src.pipe(createGunzip()) : src;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      for (const b of chunk) if (b !== 10 && b !== 13) return false;
    }
    return true;
  } catch {
    // A damaged gzip file: not blank, the load says what it is.
    return false;
  } finally {
    src.destroy();
  }
}

/** Excel's first line `sep=X`: X is the delimiter (the header comes after it). */
const SEP_LINE = /^sep=([^"\r\n])(\r\n|\n|\r)/i;

/** Looks at the start of `path` and says what it is. */
export async function sniffFile(path: string): Promise<Sniffed> {
  const raw = await headOf(path, false, 4);
  const gzip = raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b;
  if (raw.length === 4 && raw.toString('latin1') === 'PAR1') return { format: 'parquet', gzip: false, delimiter: ',', header: [] };
  let head = await headOf(path, gzip);
  const csv = (extra: Partial<Sniffed>): Sniffed => ({ format: 'csv', gzip, delimiter: ',', header: [], ...extra });
  if (head[0] === 0xff && head[1] === 0xfe) return csv({ utf16: 'LE' });
  if (head[0] === 0xfe && head[1] === 0xff) return csv({ utf16: 'BE' });
  const nul = nulInFirstLine(head);
  if (nul !== -1) return csv({ binaryAt: nul });
  const share = nonTextShare(head);
  if (share > NOT_TEXT_SHARE) return csv({ notText: { share, bytes: head.length } });
  // A UTF-8 byte order mark is not part of the first name.
  const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  let text = head.toString('utf8', bom);
  const first = /\S/.exec(text)?.[0];
  if (/^[\r\n]+$/.test(text) && (head.length < HEAD || (await onlyLineEnds(path, gzip)))) return csv({ blank: true });
  if (first === '[') return { format: 'json', gzip, delimiter: ',', header: [] };
  if (first === '{') return { format: 'jsonl', gzip, delimiter: ',', header: [] };
  if (head.length === HEAD && head.indexOf(10) === -1 && head.indexOf(13) === -1) {
    // No line end yet: a wide header, or not a line-oriented file at all.
    head = await headOf(path, gzip, MAX_LINE_BYTES + 2);
    const lf = head.indexOf(10);
    if ((lf === -1 ? head.length : lf) > MAX_LINE_BYTES) return csv({ longFirstLine: true });
    const nul2 = nulInFirstLine(head);
    if (nul2 !== -1) return csv({ binaryAt: nul2 });
    text = head.subarray(0, lf === -1 ? head.length : lf + 1).toString('utf8', bom);
  }
  const sep = SEP_LINE.exec(text);
  const skipped = sep ? { bytes: bom + Buffer.byteLength(sep[0]), lines: 1 } : { bytes: bom, lines: 0 };
  const s = delimited(sep ? text.slice(sep[0].length) : text, gzip, skipped, sep?.[1]);
  if (sep) s.sepLine = true;
  return s;
}

/**
 * Delimited text from its header on (`text`, which begins `at` bytes and lines into the
 * decompressed file): its delimiter (`delimiter` when Excel's sep= line named it), header, and
 * what DuckDB would read wrongly in the header.
 */
function delimited(text: string, gzip: boolean, at: { bytes: number; lines: number }, delimiter?: string): Sniffed {
  // A file with line feeds ends its lines with them (a CR before one is part of the line end).
  const lfFile = text.includes('\n');
  const delim = delimiter ?? detectDelimiter(text, lfFile);
  const rec = firstRecord(text, delim, lfFile);
  const s: Sniffed = { format: 'csv', gzip, delimiter: delim, header: splitRecords(text, delim, 1, lfFile)[0] ?? [] };
  if (at.lines) s.start = at;
  // (Without a CR, line ends are all LF: nothing to look at.)
  if (lfFile && text.includes('\r') && !text.includes('\0') && lineEndsOf(Buffer.from(text), delim).irregular(rec.lines)) {
    // (A CR that is data in the header alone is rewriteHeader's: a plain copy is enough. Text with a NUL byte is
    // not an analyst's CSV whose line ends got mixed, but binary data: a PNG's signature holds CR LF, then LF.)
    s.lineEndsFrom = at.bytes;
  }
  if (rec.bad) s.badHeader = { reason: rec.bad, text: text.slice(0, rec.end).replace(/\r?\n$/, ''), end: at.bytes + Buffer.byteLength(text.slice(0, rec.end)), lines: rec.lines };
  else if (lfFile && rec.cr && s.lineEndsFrom === undefined) {
    s.rewriteHeader = at.bytes + Buffer.byteLength(text.slice(0, rec.end));
    s.newLine = text.slice(rec.end - 2, rec.end) === '\r\n' ? '\r\n' : '\n';
  }
  return s;
}

/**
 * The file of `s` (whose header is `badHeader`) read from the record after its header, which
 * is its header then (and may be malformed in turn).
 */
export async function sniffAfterHeader(path: string, s: Sniffed): Promise<Sniffed> {
  const bad = s.badHeader!;
  const head = await headOf(path, s.gzip, bad.end + HEAD);
  const at = { bytes: bad.end, lines: (s.start?.lines ?? 0) + bad.lines };
  const next = delimited(head.subarray(bad.end).toString('utf8'), s.gzip, at, s.sepLine ? s.delimiter : undefined);
  if (s.sepLine) next.sepLine = true;
  return next;
}
