/**
 * One stored column of the imported table and its chunked arrays: 65,536 rows per chunk, so a
 * cell is two array reads and growing never copies what is stored. Also the way back from a
 * typed column to text when it meets a cell of another kind (`degrade`).
 */
import { boolText, type BoolStyle } from './cells.ts';
import { isoText, type IsoFormat } from './iso.ts';
import type { ColumnMeta } from './types.ts';

/** Rows per chunk: 1 << SHIFT. */
export const SHIFT = 16;
export const SIZE = 1 << SHIFT;
export const MASK = SIZE - 1;

/** One stored column: its representation, chunks, dictionary and the texts kept aside. */
export class Column {
  rep: 'null' | 'f64' | 'dict' | 'str' = 'null';
  /** Rows stored; rows past it are empty. */
  length = 0;
  f64: Float64Array[] = [];
  codes: Int32Array[] = [];
  str: Array<Array<string | null>> = [];
  /** The import's dictionary of this column (also decodes dict batches into a `str` column). */
  dict: string[] = [];
  excRows: number[] = [];
  excTexts: string[] = [];

  constructor(public meta: ColumnMeta) {}
}

/** Turns the rows stored so far of a typed column into text (the column met a non-matching cell). */
export function degrade(c: Column): void {
  if (c.rep !== 'f64') return;
  const out: Array<Array<string | null>> = [];
  let e = 0;
  for (let row = 0; row < c.length; row++) {
    if ((row & MASK) === 0) out.push(new Array<string | null>(Math.min(SIZE, c.length - row)));
    let text: string | null;
    if (e < c.excRows.length && c.excRows[e] === row) text = c.excTexts[e++]!;
    else text = valueText(c.f64[row >>> SHIFT]![row & MASK]!, c.meta);
    out[row >>> SHIFT]![row & MASK] = text;
  }
  c.f64 = [];
  c.excRows = [];
  c.excTexts = [];
  c.str = out;
  c.rep = 'str';
}

/** The text of a typed value (the inverse of the worker's encoding, for `degrade`). */
function valueText(v: number, meta: ColumnMeta): string | null {
  if (v !== v) return null;
  if (meta.type === 'bool') return boolText(v !== 0, meta.format as BoolStyle);
  if (meta.type === 'timestamp' && meta.format) return isoText(v, meta.format as IsoFormat);
  return String(v);
}

/** Copies `values` into the chunks from row `start`, adding chunks made by `make`. */
export function copyInto<T extends Float64Array | Int32Array>(chunks: T[], start: number, values: T, make: (len: number) => T): void {
  let i = 0;
  while (i < values.length) {
    const row = start + i;
    const k = row >>> SHIFT;
    while (chunks.length <= k) chunks.push(make(SIZE));
    const at = row & MASK;
    const take = Math.min(SIZE - at, values.length - i);
    chunks[k]!.set(values.subarray(i, i + take), at);
    i += take;
  }
}

/** Makes sure chunks exist up to row `to` (new chunks are made empty; an existing chunk's unused tail is empty already). */
export function fillChunks<T extends Float64Array | Int32Array>(chunks: T[], to: number, make: (len: number) => T): void {
  while (chunks.length <= (to - 1) >>> SHIFT) chunks.push(make(SIZE));
}

/** Sets a text cell; rows are set in order, so chunk arrays stay packed. */
export function setStr(chunks: Array<Array<string | null>>, row: number, v: string | null): void {
  const k = row >>> SHIFT;
  while (chunks.length <= k) chunks.push([]);
  chunks[k]![row & MASK] = v;
}
