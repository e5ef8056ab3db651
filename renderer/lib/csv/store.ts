/**
 * The imported table: a columnar TableSource. Numbers, timestamps and booleans live in
 * Float64Array chunks (NaN = empty), text as dictionary codes (Int32Array) while a column has
 * few distinct values, else as string arrays; chunks hold 65,536 rows so a cell is two array
 * reads. Cells a typed column cannot rebuild from its value keep their text aside (sorted rows),
 * so a column that turns out mixed becomes text without losing anything.
 */
import type { Cell, ColumnInfo, TableSource } from '../table/source.ts';
import { Column, MASK, SHIFT, copyInto, degrade, fillChunks, setStr } from './store-column.ts';
import type { ColumnBatch, ColumnMeta } from './types.ts';

/** A file's first row in the table (several files make one table). */
export interface FileRange {
  name: string;
  firstRow: number;
}

/** The columnar store of one import; the import controller appends batches to it. */
export class CsvStore implements TableSource {
  columns: ColumnInfo[] = [];
  rowCount = 0;
  readonly files: FileRange[] = [];
  private cols: Column[] = [];
  private readonly listeners = new Set<() => void>();

  /** `fileColumn`: add a `_file` column first (a multi-file import). */
  constructor(private readonly fileColumn = false) {
    if (fileColumn) this.columns = [{ name: '_file', type: 'text' }];
  }

  /** Notes where a file's rows start. */
  addFile(name: string, firstRow: number): void {
    this.files.push({ name, firstRow });
  }

  /** Applies the worker's column metadata (new columns, changed types). */
  setColumns(metas: ColumnMeta[]): void {
    for (let c = 0; c < metas.length; c++) {
      if (c < this.cols.length) this.cols[c]!.meta = metas[c]!;
      else this.cols.push(new Column(metas[c]!));
    }
    const infos = this.cols.map((c) => ({ name: c.meta.name, type: c.meta.type }));
    this.columns = this.fileColumn ? [{ name: '_file', type: 'text' }, ...infos] : infos;
  }

  /**
   * Applies one batch from the worker: typed columns that met other text become text first
   * (their texts rebuilt with the old metadata), then the new metadata, then the rows.
   */
  apply(batch: { columns: ColumnMeta[] | null; degraded: number[]; rows: number; cells: ColumnBatch[] }): void {
    for (const col of batch.degraded) {
      const c = this.cols[col];
      if (c) degrade(c);
    }
    if (batch.columns) this.setColumns(batch.columns);
    this.append(batch.rows, batch.cells);
  }

  /** Appends `n` rows whose cells come column by column (columns without a batch stay empty). */
  append(n: number, cells: ColumnBatch[]): void {
    const start = this.rowCount;
    for (let c = 0; c < cells.length; c++) this.appendColumn(this.cols[c]!, start, n, cells[c]!);
    this.rowCount = start + n;
  }

  private appendColumn(c: Column, start: number, n: number, b: ColumnBatch): void {
    if (b.rep === 'null') {
      if (c.rep !== 'null') this.pad(c, start + n);
      return;
    }
    if (b.rep === 'dict') c.dict.push(...b.added);
    const want = b.rep === 'f64' ? 'f64' : b.rep === 'dict' && (c.rep === 'dict' || c.rep === 'null') ? 'dict' : 'str';
    if (c.rep === 'f64' && want !== 'f64') degrade(c);
    if (c.rep !== want) this.convert(c, want);
    this.pad(c, start);
    if (b.rep === 'f64') {
      copyInto(c.f64, start, b.values, (len) => new Float64Array(len).fill(NaN));
      if (b.excRows) for (let i = 0; i < b.excRows.length; i++) {
        c.excRows.push(start + b.excRows[i]!);
        c.excTexts.push(b.excTexts![i]!);
      }
    } else if (want === 'dict') {
      copyInto(c.codes, start, (b as { codes: Int32Array }).codes, (len) => new Int32Array(len).fill(-1));
    } else {
      const values = b.rep === 'str' ? b.values : Array.from((b as { codes: Int32Array }).codes, (k) => (k < 0 ? null : c.dict[k]!));
      for (let i = 0; i < n; i++) setStr(c.str, start + i, values[i]!);
    }
    c.length = start + n;
  }

  /** Changes a column's storage: from nothing (all empty) to any, or from codes to strings. */
  private convert(c: Column, want: 'f64' | 'dict' | 'str'): void {
    if (c.rep === 'dict' && want === 'str') {
      for (let row = 0; row < c.length; row++) {
        const k = c.codes[row >>> SHIFT]![row & MASK]!;
        setStr(c.str, row, k < 0 ? null : c.dict[k]!);
      }
      c.codes = [];
      c.rep = want;
      return;
    }
    // From nothing (f64 -> str goes through degrade()): the rows so far are empty.
    c.rep = want;
    const len = c.length;
    c.length = 0;
    this.pad(c, len);
  }

  /** Fills empty cells up to `row`. */
  private pad(c: Column, row: number): void {
    if (c.rep === 'null' || c.length >= row) {
      c.length = Math.max(c.length, row);
      return;
    }
    if (c.rep === 'str') for (let r = c.length; r < row; r++) setStr(c.str, r, null);
    else if (c.rep === 'f64') fillChunks(c.f64, row, (len) => new Float64Array(len).fill(NaN));
    else fillChunks(c.codes, row, (len) => new Int32Array(len).fill(-1));
    c.length = row;
  }

  cell(row: number, col: number): Cell {
    if (this.fileColumn) {
      if (col === 0) return this.fileOf(row);
      col--;
    }
    const c = this.cols[col];
    if (!c || row >= c.length || row < 0) return null;
    switch (c.rep) {
      case 'f64': {
        const v = c.f64[row >>> SHIFT]![row & MASK]!;
        if (v === v) return c.meta.type === 'bool' ? v !== 0 : v * c.meta.scale;
        return c.excRows.length ? this.exception(c, row) : null;
      }
      case 'dict': {
        const k = c.codes[row >>> SHIFT]![row & MASK]!;
        return k < 0 ? null : c.meta.type === 'json' ? jsonCell(c.dict[k]!) : c.dict[k]!;
      }
      case 'str': {
        const s = c.str[row >>> SHIFT]![row & MASK]!;
        return s !== null && c.meta.type === 'json' ? jsonCell(s) : s;
      }
      default:
        return null;
    }
  }

  /** The file a row came from. */
  fileOf(row: number): string | null {
    const f = this.files;
    let lo = 0;
    let hi = f.length - 1;
    if (hi < 0) return null;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (f[mid]!.firstRow <= row) lo = mid;
      else hi = mid - 1;
    }
    return f[lo]!.name;
  }

  private exception(c: Column, row: number): string | null {
    const rows = c.excRows;
    let lo = 0;
    let hi = rows.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (rows[mid]! === row) return c.excTexts[mid]!;
      if (rows[mid]! < row) lo = mid + 1;
      else hi = mid - 1;
    }
    return null;
  }

  /** Storage of one column, for the summary: 'number'... and whether text is dictionary-coded. */
  storage(col: number): { rep: string; distinct: number } {
    const c = this.cols[this.fileColumn ? col - 1 : col];
    return c ? { rep: c.rep, distinct: c.dict.length } : { rep: 'file', distinct: this.files.length };
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Tells the table that rows or columns changed. */
  notify(): void {
    for (const fn of this.listeners) fn();
  }
}

function jsonCell(s: string): Cell {
  try {
    return JSON.parse(s) as Cell;
  } catch {
    return s;
  }
}
