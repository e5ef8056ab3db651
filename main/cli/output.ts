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

/**
 * Column widths that fit `total` characters of table (borders and padding included): each
 * column as wide as its widest cell, and when that is too wide, the widest columns narrowed
 * first (never below 8 characters, or the column's own width if smaller).
 */
export function fitWidths(natural: readonly number[], total: number): number[] {
  const widths = [...natural];
  const budget = total - (3 * widths.length + 1);
  const MIN = 8;
  let over = widths.reduce((a, b) => a + b, 0) - budget;
  while (over > 0) {
    const widest = Math.max(...widths);
    if (widest <= MIN) break;
    const next = Math.max(MIN, ...widths.filter((w) => w < widest));
    const tied = widths.filter((w) => w === widest).length;
    const cut = Math.min(widest - next, Math.ceil(over / tied));
    for (let i = 0; i < widths.length && over > 0; i++) {
      if (widths[i] === widest) {
        widths[i] -= cut;
        over -= cut;
      }
    }
  }
  return widths;
}

/** The width a text table may take: the terminal's, else 120 characters. */
export function tableWidth(): number {
  return process.stdout.isTTY && process.stdout.columns ? process.stdout.columns : 120;
}

/**
 * Renders rows as an aligned ASCII table (columns from the first row) that fits `width`
 * characters (the terminal's by default), with a caption. Cells longer than their column end in `...`.
 */
export function renderTable(rows: VDict[], caption: string, width = tableWidth()): string {
  if (rows.length === 0) return '';
  const columns = rows[0]!.keys();
  const flat = (s: string) => terminalSafe(s.replace(/\s*\n\s*/g, ' '));
  const text = rows.map((r) => columns.map((c) => flat(cellText(r.has(c) ? (r.get(c) as Value) : null))));
  const heads = columns.map(flat);
  const widths = fitWidths(columns.map((_, i) => Math.max(heads[i]!.length, ...text.map((row) => row[i]!.length))), width);
  const clip = (s: string, w: number) => (s.length > w ? s.slice(0, Math.max(0, w - 3)) + '...' : s);
  const line = '+' + widths.map((w) => '-'.repeat(w + 2)).join('+') + '+';
  const fmt = (vals: string[]) => '|' + vals.map((v, i) => ' ' + clip(v, widths[i]!).padEnd(widths[i]!) + ' ').join('|') + '|';
  const body = [line, fmt(heads), line, ...text.map(fmt), line];
  return body.join('\n') + '\n' + terminalSafe(caption) + '\n\n';
}
