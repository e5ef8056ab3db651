/**
 * The messages between the CSV import worker and the page, and the shapes they carry: column
 * metadata, typed column batches (transferable typed arrays, or strings) and import problems.
 */
import type { ColumnType } from '../table/source.ts';
import type { BoolStyle } from './cells.ts';
import type { IsoFormat } from './iso.ts';

/** How one column's cells are stored. */
export interface ColumnMeta {
  name: string;
  type: ColumnType;
  /** Timestamp columns of epoch numbers store the file's number; cells are `value * scale` ms. */
  scale: number;
  /** How to rebuild the text of a stored value: an ISO format or a boolean style ('' otherwise). */
  format: IsoFormat | BoolStyle | '';
}

/**
 * One column's cells for a batch of rows:
 * - `null`: all empty (a column whose type is not known yet);
 * - `f64`: numbers, timestamps and booleans (NaN = empty), with the texts that the value cannot
 *   rebuild exactly (`007`, `-`, `NaN`, a time with an offset...) at batch-relative rows;
 * - `dict`: text as codes into the column's dictionary (-1 = empty) plus the entries this batch added;
 * - `str`: text as strings (a column with too many distinct values for a dictionary).
 */
export type ColumnBatch =
  | { rep: 'null' }
  | { rep: 'f64'; values: Float64Array; excRows: number[] | null; excTexts: string[] | null }
  | { rep: 'dict'; codes: Int32Array; added: string[] }
  | { rep: 'str'; values: Array<string | null> };

/** Problems kept for the panel (worker and page); past this they are only counted. */
export const MAX_PROBLEMS = 10_000;

/** A row that was not well-formed; it is kept in the table all the same. */
export interface ImportProblem {
  /** The file's name (relative path in a folder import). */
  file: string;
  /** 1-based data row within the file (the header is not a data row). */
  row: number;
  /** 1-based line of the file where the row starts. */
  line: number;
  /** 0-based row of the imported table. */
  tableRow: number;
  kind: 'short' | 'long' | 'quote';
  message: string;
}

/** Worker -> page. */
export type WorkerMessage =
  | { type: 'file'; index: number; name: string; firstRow: number; delimiter: string }
  | {
      type: 'batch';
      /** Every column (set when any column was added or changed type), else null. */
      columns: ColumnMeta[] | null;
      /** Columns whose earlier rows must be turned into text (a typed column met other text). */
      degraded: number[];
      rows: number;
      cells: ColumnBatch[];
      problems: ImportProblem[];
      bytesDone: number;
      bytesTotal: number;
    }
  | { type: 'done'; rows: number; problems: number; ms: number }
  | { type: 'error'; message: string };

/** Page -> worker: the files to read, in order (one table). */
export interface StartMessage {
  type: 'start';
  files: Array<{ file: Blob; name: string }>;
}
