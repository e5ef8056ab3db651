/**
 * Output writers for `vql query`: json (indented arrays per batch, `][` between batches as
 * Velociraptor prints them), jsonl, csv and text (an aligned table, finite queries only).
 * The text table is for people: its cells never carry raw control or bidi characters.
 */
import { VDict, toJSON, csvCell, csvQuote, stringerText, type Value } from '../vql/index.ts';
import { neutralizeFormula, terminalSafe } from '../text/safe-text.ts';

export type OutputFormat = 'json' | 'jsonl' | 'csv' | 'text';
export const FORMATS: readonly OutputFormat[] = ['json', 'jsonl', 'csv', 'text'];

/** Receives batches of rows for one statement; `end()` when the statement is done. */
export interface Writer {
  batch(rows: VDict[]): void;
  end(): void;
}

export type Sink = (text: string) => void;

export interface WriterOptions {
  /** CSV: text cells (and header names) a spreadsheet would run as formulas get a leading `'`. */
  neutralizeFormulas?: boolean;
}

export function makeWriter(format: OutputFormat, out: Sink, caption: string, opts: WriterOptions = {}): Writer {
  switch (format) {
    case 'json':
      return {
        batch(rows) {
          if (rows.length) out(toJSON(rows, { indent: 1 }));
        },
        end() {},
      };
    case 'jsonl':
      return {
        batch(rows) {
          let s = '';
          for (const r of rows) s += toJSON(r) + '\n';
          out(s);
        },
        end() {},
      };
    case 'csv':
      return csvWriter(out, opts.neutralizeFormulas === true);
    case 'text':
      return textWriter(out, caption);
  }
}

function csvWriter(out: Sink, neutralize: boolean): Writer {
  let columns: string[] | null = null;
  const cell = (v: Value) => (neutralize && typeof v === 'string' ? neutralizeFormula(csvCell(v)) : csvCell(v));
  return {
    batch(rows) {
      let s = '';
      for (const r of rows) {
        if (!columns) {
          columns = r.keys();
          s += columns.map((c) => csvQuote(neutralize ? neutralizeFormula(c) : c)).join(',') + '\n';
        }
        s += columns.map((c) => csvQuote(cell(r.has(c) ? (r.get(c) as Value) : null))).join(',') + '\n';
      }
      if (s) out(s);
    },
    end() {},
  };
}

/** Text of one table cell: strings bare, everything else as compact JSON. */
function cellText(v: Value): string {
  if (typeof v === 'string') return v;
  const text = stringerText(v);
  if (text !== undefined) return text;
  if (v === null || v === undefined) return '';
  return toJSON(v);
}

function textWriter(out: Sink, caption: string): Writer {
  const rows: VDict[] = [];
  return {
    batch(b) {
      rows.push(...b);
    },
    end() {
      out(renderTable(rows, caption));
    },
  };
}

/** Renders rows as an aligned ASCII table (columns from the first row), with a caption. */
export function renderTable(rows: VDict[], caption: string): string {
  if (rows.length === 0) return '';
  const columns = rows[0]!.keys();
  const maxWidth = Math.max(10, Math.floor(120 / Math.max(1, columns.length)));
  const clip = (s: string) => {
    const flat = terminalSafe(s.replace(/\s*\n\s*/g, ' '));
    return flat.length > maxWidth ? flat.slice(0, maxWidth - 3) + '...' : flat;
  };
  const cells = rows.map((r) => columns.map((c) => clip(cellText(r.has(c) ? (r.get(c) as Value) : null))));
  const widths = columns.map((c, i) => Math.max(clip(c).length, ...cells.map((row) => row[i]!.length)));
  const line = '+' + widths.map((w) => '-'.repeat(w + 2)).join('+') + '+';
  const fmt = (vals: string[]) => '|' + vals.map((v, i) => ' ' + v.padEnd(widths[i]!) + ' ').join('|') + '|';
  const body = [line, fmt(columns.map(clip)), line, ...cells.map(fmt), line];
  return body.join('\n') + '\n' + terminalSafe(caption) + '\n\n';
}
