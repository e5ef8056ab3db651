/**
 * What a file is, from its first bytes rather than its name: Parquet (`PAR1`), gzip (then what
 * the decompressed start is), a JSON array (`[`), JSON lines (`{`), else delimited text, whose
 * delimiter (comma, tab, semicolon or bar) is the one that splits the first lines into the same
 * number of fields most often. DuckDB's own sniffer is not used for the dialect: a file with a
 * few broken rows near its start can make it give up or choose "no quotes", which would turn
 * every quoted field into text with quotes in it. Quotes are always RFC 4180 (`"`, doubled).
 *
 * Bad input is told apart here, before DuckDB sees it: a NUL byte in the first line (a zeroed
 * or sparse file, an executable, a database) is binary, and UTF-16 text (a byte order mark) is
 * named as such; a Parquet or gzip file is binary too and is recognized by its magic first.
 * Delimited text whose first line has no end within MAX_LINE_BYTES is not line-oriented (one
 * 300 MB line): load.ts keeps its start as a problem row rather than hand it to DuckDB.
 */
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { createReadStream } from 'node:fs';

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
  /** UTF-16 text (its byte order mark), which the readers do not take. */
  utf16?: 'LE' | 'BE';
  /** Delimited text whose first line runs past MAX_LINE_BYTES: not a line-oriented file. */
  longFirstLine?: boolean;
}

/**
 * Longest line (bytes before its line feed, a CR counted) read as a record (DuckDB's `max_line_size` is one
 * more: it refuses a line of that many bytes). A longer line is a problem row (its first 64 KiB
 * kept as text).
 */
export const MAX_LINE_BYTES = 2 * 2 ** 20;

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

/** Splits the first records of `text` (RFC 4180 quotes) by `delim`; at most `most` records. */
export function splitRecords(text: string, delim: string, most = 30): string[][] {
  const records: string[][] = [];
  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  let i = 0;
  for (; i < text.length && records.length < most; i++) {
    const ch = text[i]!;
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else field += ch;
    } else if (ch === '"' && field === '') inQuotes = true;
    else if (ch === delim) {
      fields.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      fields.push(field);
      if (fields.length > 1 || fields[0] !== '') records.push(fields);
      fields = [];
      field = '';
    } else field += ch;
  }
  // A last record without a newline counts only when the text ended (not when the sample was cut).
  if (i >= text.length && (field !== '' || fields.length) && records.length < most) records.push([...fields, field]);
  return records;
}

/** The delimiter that splits the records into the same number (> 1) of fields most often; comma when none does. */
export function detectDelimiter(text: string): string {
  let best = ',';
  let bestScore = 0;
  for (const d of DELIMITERS) {
    const counts = splitRecords(text, d).map((r) => r.length);
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
  // A UTF-8 byte order mark is not part of the first name.
  let text = head.toString('utf8').replace(/^\uFEFF/, '');
  const first = /\S/.exec(text)?.[0];
  if (first === '[') return { format: 'json', gzip, delimiter: ',', header: [] };
  if (first === '{') return { format: 'jsonl', gzip, delimiter: ',', header: [] };
  if (head.length === HEAD && head.indexOf(10) === -1 && head.indexOf(13) === -1) {
    // No line end yet: a wide header, or not a line-oriented file at all.
    head = await headOf(path, gzip, MAX_LINE_BYTES + 2);
    const lf = head.indexOf(10);
    if ((lf === -1 ? head.length : lf) > MAX_LINE_BYTES) return csv({ longFirstLine: true });
    const nul2 = nulInFirstLine(head);
    if (nul2 !== -1) return csv({ binaryAt: nul2 });
    text = head.subarray(0, lf === -1 ? head.length : lf + 1).toString('utf8').replace(/^\uFEFF/, '');
  }
  const delimiter = detectDelimiter(text);
  return { format: 'csv', gzip, delimiter, header: splitRecords(text, delimiter, 1)[0] ?? [] };
}
