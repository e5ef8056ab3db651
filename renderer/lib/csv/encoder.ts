/**
 * Encodes one column's cells batch by batch into the typed form the page stores (see
 * `ColumnBatch`). The first batch with values decides the type (`inferKind`); later batches
 * confirm it, and a cell that does not fit turns the column into text from then on, the page
 * rebuilding the earlier rows' texts (values plus the texts kept for what values cannot rebuild).
 */
import { boolText, isCanonicalNumber, isNaNWord, parseBool, parseNumber, unprotect, type BoolStyle } from './cells.ts';
import { inferKind, isEmptyCell, type Kind } from './infer.ts';
import { isCanonicalIso, parseIso, type IsoFormat } from './iso.ts';
import type { ColumnBatch, ColumnMeta } from './types.ts';
import type { ColumnType } from '../table/source.ts';

/** A text column keeps a dictionary until it has this many distinct values. */
export const DICT_MAX = 1 << 16;

const TYPE_OF: Record<Kind, ColumnType> = {
  pending: 'text', number: 'number', epoch: 'timestamp', iso: 'timestamp', bool: 'bool', json: 'json', text: 'text',
};

/** What encoding a batch did besides the cells. */
export interface Encoded {
  cells: ColumnBatch;
  /** The column's type or storage changed (its metadata must be sent again). */
  changed: boolean;
  /** The column was typed and is text from now on: the earlier rows must become text. */
  degraded: boolean;
}

/** The encoder of one column. */
export class ColumnEncoder {
  kind: Kind;
  scale = 1;
  format: IsoFormat | BoolStyle | '' = '';
  private dict: Map<string, number> | null = new Map();
  private rows = 0;

  constructor(readonly name: string, kind: Kind = 'pending') {
    this.kind = kind;
  }

  get meta(): ColumnMeta {
    return { name: this.name, type: TYPE_OF[this.kind], scale: this.scale, format: this.format };
  }

  /** Encodes `n` raw cells (undefined or '' = empty); Velociraptor's conventions are read here (`unprotect`). */
  encode(cells: Array<string | null | undefined>, n: number): Encoded {
    let changed = false;
    if (this.kind === 'pending') {
      const inferred = inferKind(this.name, Array.from({ length: n }, (_, i) => cellText(cells[i])));
      if (inferred.kind === 'pending') return this.done({ rep: 'null' }, n, false, false);
      ({ kind: this.kind, scale: this.scale, format: this.format } = inferred);
      changed = true;
    }
    if (this.kind !== 'text' && this.kind !== 'json') {
      const typed = this.encodeTyped(cells, n);
      if (typed) return this.done(typed, n, changed, false);
      this.kind = 'text';
      this.scale = 1;
      this.format = '';
      return this.done(this.encodeText(cells, n), n, true, !changed);
    }
    if (this.kind === 'json' && !allJsonish(cells, n)) {
      this.kind = 'text';
      changed = true;
    }
    const wasDict = this.dict !== null;
    const cellsOut = this.encodeText(cells, n);
    return this.done(cellsOut, n, changed || (wasDict && this.dict === null), false);
  }

  private done(cells: ColumnBatch, n: number, changed: boolean, degraded: boolean): Encoded {
    this.rows += n;
    return { cells, changed, degraded };
  }

  /** Numbers, timestamps or booleans; null when a cell is not one (the column becomes text). */
  private encodeTyped(cells: Array<string | null | undefined>, n: number): ColumnBatch | null {
    const values = new Float64Array(n);
    let excRows: number[] | null = null;
    let excTexts: string[] | null = null;
    const kind = this.kind;
    for (let i = 0; i < n; i++) {
      let t = cells[i];
      if (t === null || t === undefined || t === '') {
        values[i] = NaN;
        continue;
      }
      const c0 = t.charCodeAt(0);
      if (c0 === 0x20 || c0 === 0x22) t = unprotect(t);
      let v: number;
      let canonical: boolean;
      if (kind === 'iso') {
        v = parseIso(t);
        canonical = v === v && isCanonicalIso(this.format as IsoFormat);
      } else if (kind === 'bool') {
        v = parseBool(t);
        if (v < 0) v = NaN;
        canonical = v === v && boolText(v === 1, this.format as BoolStyle) === t;
      } else {
        v = parseNumber(t);
        canonical = v === v && isCanonicalNumber(t, v);
      }
      if (v !== v && t !== '-' && !(kind !== 'iso' && kind !== 'bool' && isNaNWord(t))) return null;
      values[i] = v;
      if (!canonical) {
        (excRows ??= []).push(i);
        (excTexts ??= []).push(t);
      }
    }
    return { rep: 'f64', values, excRows, excTexts };
  }

  private encodeText(cells: Array<string | null | undefined>, n: number): ColumnBatch {
    if (this.dict && this.rows >= 4096 && this.dict.size > this.rows / 2) this.dict = null;
    const dict = this.dict;
    if (!dict) {
      const values = new Array<string | null>(n);
      for (let i = 0; i < n; i++) values[i] = cellText(cells[i]);
      return { rep: 'str', values };
    }
    const codes = new Int32Array(n);
    const added: string[] = [];
    for (let i = 0; i < n; i++) {
      const t = cellText(cells[i]);
      if (t === null) {
        codes[i] = -1;
        continue;
      }
      let code = dict.get(t);
      if (code === undefined) {
        if (dict.size >= DICT_MAX) {
          // Too many distinct values: this batch and the next ones are plain strings.
          this.dict = null;
          return this.encodeText(cells, n);
        }
        code = dict.size;
        dict.set(t, code);
        added.push(t);
      }
      codes[i] = code;
    }
    return { rep: 'dict', codes, added };
  }
}

/** A raw cell as text (null when empty), Velociraptor's protective space or JSON quotes removed. */
function cellText(t: string | null | undefined): string | null {
  if (!t) return null;
  const c0 = t.charCodeAt(0);
  if (c0 !== 0x20 && c0 !== 0x22) return t;
  return unprotect(t) || null;
}

function allJsonish(cells: Array<string | null | undefined>, n: number): boolean {
  for (let i = 0; i < n; i++) {
    const t = cellText(cells[i]);
    if (isEmptyCell(t)) continue;
    const c = t!.charCodeAt(0);
    if (c !== 0x7b && c !== 0x5b) return false;
  }
  return true;
}
