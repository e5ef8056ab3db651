/**
 * Sniffing the start of a CSV file: its delimiter (comma, tab, semicolon or pipe), Excel's
 * `sep=X` first line, its line ending, and its text encoding from the byte-order mark.
 */
import Papa from 'papaparse';

/** The delimiters auto-detection chooses among, in order of preference on a tie. */
export const DELIMITERS = [',', '\t', ';', '|'] as const;

/**
 * The delimiter of a CSV sample: the candidate whose records (up to 50) most often have the
 * header's field count, preferring more fields, then the order of `DELIMITERS`. `,` when no
 * candidate splits the header.
 */
export function detectDelimiter(sample: string): string {
  let best = ',';
  let bestScore = -1;
  let bestFields = 1;
  for (const d of DELIMITERS) {
    const parsed = new Papa.Parser({ delimiter: d, newline: '\n', preview: 51 }).parse(sample, 0, true) as { data: string[][] };
    const records = parsed.data.filter((r) => !(r.length === 1 && (r[0] === '' || r[0] === '\r')));
    const fields = records[0]?.length ?? 0;
    if (fields < 2) continue;
    let same = 0;
    for (const r of records) if (r.length === fields) same++;
    const score = same / records.length;
    if (score > bestScore + 1e-9 || (Math.abs(score - bestScore) < 1e-9 && fields > bestFields)) {
      best = d;
      bestScore = score;
      bestFields = fields;
    }
  }
  return best;
}

/** Excel's `sep=;` first line: the delimiter it names and the length of the line, or null. */
export function sepLine(text: string): { delimiter: string; length: number } | null {
  const m = /^sep=(.)\r?\n/i.exec(text);
  return m ? { delimiter: m[1]!, length: m[0].length } : null;
}

/** True when the text ends lines with a bare `\r` (classic Mac): no `\n` at all but a `\r`. */
export function usesBareCR(text: string): boolean {
  return text.indexOf('\n') < 0 && text.indexOf('\r') >= 0;
}

/** The TextDecoder label for a file's first bytes: UTF-16 when it starts with that BOM, else UTF-8. */
export function encodingOf(head: Uint8Array): 'utf-8' | 'utf-16le' | 'utf-16be' {
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return 'utf-8';
}
