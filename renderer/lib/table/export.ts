/**
 * Export of the table's current view (filters, sort, column order, hidden columns; no row cap)
 * as RFC 4180 CSV or a JSON array of objects, produced in chunks of about 1 MB so a million
 * rows become Blob parts rather than one giant string.
 *
 * Formula neutralization (on by default): a text cell starting with `=`, `+`, `-`, `@`, tab or
 * CR (and a header name likewise) is prefixed with `'` so a spreadsheet shows it as text instead of evaluating it (OWASP
 * "CSV injection"). It applies to both formats, because JSON exports are also opened by
 * spreadsheet importers; only text cells are touched (a number -5 stays -5, nested values
 * inside objects are left alone). Turn it off for a byte-faithful machine-readable export.
 */
import { neutralizeFormula } from '../../../main/text/safe-text.ts';
import { cellText, jsonText } from './cell-text.ts';
import type { Cell, ColumnType } from './source.ts';
import type { TableView } from './view.ts';

export type ExportFormat = 'csv' | 'json';

export interface ExportOptions {
  /** Prefix formula-looking text cells with `'` (default true). */
  neutralize?: boolean;
  /** Approximate characters per chunk (default 1,000,000). */
  chunkChars?: number;
}

/** MIME type of each export format. */
export const EXPORT_MIME: Record<ExportFormat, string> = {
  csv: 'text/csv;charset=utf-8',
  json: 'application/json;charset=utf-8',
};

export { neutralizeFormula };

/** One RFC 4180 field: quoted (inner quotes doubled) when it holds a comma, quote, CR or LF. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * A file name for the export: `<base>-view.<format>`, `base` made safe for any file system. The
 * `-view` keeps the suggestion from being the name of a file that was opened (`evidence.csv`
 * exported filtered must not suggest `evidence.csv` and overwrite it), as the log workbench's
 * export does; a data extension in `base` (`.csv`, `.json.gz`...) is dropped first.
 * @example exportFileName('evidence.csv', 'csv') // 'evidence-view.csv'
 */
export function exportFileName(base: string | undefined, format: ExportFormat): string {
  let safe = (base ?? '').replace(/[\\/:*?"<>|\u0000-\u001f]+/g, '_').trim();
  safe = safe.replace(/\.gz$/i, '').replace(/\.(csv|tsv|txt|json|jsonl|ndjson|parquet)$/i, '').slice(0, 120) || 'results';
  return `${safe.endsWith('-view') ? safe : `${safe}-view`}.${format}`;
}

/** Names made unique (`a`, `a_2`) so JSON objects never repeat a key. */
function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    return k === 1 ? n : `${n}_${k}`;
  });
}

function csvCell(v: Cell, type: ColumnType, neutralize: boolean): string {
  const text = cellText(v, type);
  return csvField(neutralize && typeof v === 'string' ? neutralizeFormula(text) : text);
}

function jsonCell(v: Cell, type: ColumnType, neutralize: boolean): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return JSON.stringify(neutralize ? neutralizeFormula(v) : v);
  if (typeof v === 'number') return type === 'timestamp' ? JSON.stringify(cellText(v, type)) : Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'object') return jsonText(v) || 'null';
  return JSON.stringify(v);
}

/**
 * The export of `view` as text chunks (join them, or pass them to `new Blob(parts)`). Rows and
 * columns are captured when iteration starts, so rows arriving meanwhile do not tear the file.
 */
export function* exportChunks(view: TableView, format: ExportFormat, options: ExportOptions = {}): Generator<string> {
  const neutralize = options.neutralize ?? true;
  const limit = options.chunkChars ?? 1_000_000;
  const src = view.source;
  const rows = view.displayRows().slice();
  const cols = view.layout.visible();
  const types = cols.map((c) => src.columns[c].type);
  const names = cols.map((c) => src.columns[c].name);
  let lines: string[] = [];
  let size = 0;
  const keys = uniqueNames(names).map((n) => `${JSON.stringify(n)}:`);
  if (format === 'csv') lines.push(names.map((n) => csvField(neutralize ? neutralizeFormula(n) : n)).join(',') + '\r\n');
  else lines.push(rows.length === 0 ? '[' : '[\n');
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    let line = format === 'csv' ? '' : '{';
    for (let k = 0; k < cols.length; k++) {
      const v = src.cell(r, cols[k]);
      if (format === 'csv') line += (k ? ',' : '') + csvCell(v, types[k], neutralize);
      else line += (k ? ',' : '') + keys[k] + jsonCell(v, types[k], neutralize);
    }
    line += format === 'csv' ? '\r\n' : i + 1 < rows.length ? '},\n' : '}\n';
    lines.push(line);
    size += line.length;
    if (size >= limit) {
      yield lines.join('');
      lines = [];
      size = 0;
    }
  }
  if (format === 'json') lines.push(']\n');
  yield lines.join('');
}

/** All chunks of an export, ready for `new Blob(parts, { type: EXPORT_MIME[format] })`. */
export function exportParts(view: TableView, format: ExportFormat, options: ExportOptions = {}): string[] {
  return [...exportChunks(view, format, options)];
}
