/**
 * Column type inference from a sample of cells (the first batch a column has values in):
 * boolean, number, timestamp (ISO 8601, or epoch seconds / milliseconds in a column whose name
 * says time), JSON (Velociraptor's nested values), else text. Every non-empty cell of the sample
 * must agree; `-` counts as empty (Velociraptor's 2018 "missing" mark).
 */
import { boolStyle, isNaNWord, parseBool, parseNumber, type BoolStyle } from './cells.ts';
import { isoShape, parseIso, shapeFormat, type IsoFormat } from './iso.ts';
import { EPOCH_MILLIS, EPOCH_SECONDS, TIME_NAME } from '../table/time.ts';

/** How a column is encoded; `epoch` is a timestamp stored as the file's number. */
export type Kind = 'pending' | 'number' | 'epoch' | 'iso' | 'bool' | 'json' | 'text';

export interface Inferred {
  kind: Kind;
  /** epoch: milliseconds per unit (1000 for seconds, 1 for milliseconds). */
  scale: number;
  format: IsoFormat | BoolStyle | '';
}

/** True for the cells inference ignores: empty and `-`. */
export function isEmptyCell(t: string | null | undefined): boolean {
  return t === null || t === undefined || t === '' || t === '-';
}

/** The kind of a column from its name and sample cells (already `unprotect`ed; null = empty). */
export function inferKind(name: string, cells: ArrayLike<string | null | undefined>): Inferred {
  const values: string[] = [];
  for (let i = 0; i < cells.length; i++) {
    const t = cells[i];
    if (!isEmptyCell(t)) values.push(t!);
  }
  if (values.length === 0) return { kind: cells.length && hasDash(cells) ? 'text' : 'pending', scale: 1, format: '' };
  if (values.every((t) => parseBool(t) >= 0)) return { kind: 'bool', scale: 1, format: boolStyle(values[0]!) };
  const numbers = numbersOf(values);
  if (numbers) return numberKind(name, numbers);
  const iso = isoFormatOf(values);
  if (iso) return { kind: 'iso', scale: 1, format: iso };
  if (values.every(isJsonText)) return { kind: 'json', scale: 1, format: '' };
  return { kind: 'text', scale: 1, format: '' };
}

function hasDash(cells: ArrayLike<string | null | undefined>): boolean {
  for (let i = 0; i < cells.length; i++) if (cells[i] === '-') return true;
  return false;
}

/** The numbers of the sample, or null when one is not a number (or an integer too big to be exact). */
function numbersOf(values: string[]): number[] | null {
  const out: number[] = [];
  for (const t of values) {
    const v = parseNumber(t);
    if (Number.isNaN(v)) {
      if (isNaNWord(t)) continue;
      return null;
    }
    if (Number.isInteger(v) && !Number.isSafeInteger(v) && !/[.eE]/.test(t)) return null; // a 64-bit id: keep its digits
    out.push(v);
  }
  return out;
}

function numberKind(name: string, numbers: number[]): Inferred {
  if (TIME_NAME.test(name) && numbers.length > 0) {
    if (numbers.every((v) => v >= EPOCH_SECONDS[0] && v < EPOCH_SECONDS[1])) return { kind: 'epoch', scale: 1000, format: '' };
    if (numbers.every((v) => v >= EPOCH_MILLIS[0] && v < EPOCH_MILLIS[1])) return { kind: 'epoch', scale: 1, format: '' };
  }
  return { kind: 'number', scale: 1, format: '' };
}

/** The column's ISO format when every value is an ISO timestamp: the first one's shape, `ms` only if all have 3 fraction digits. */
function isoFormatOf(values: string[]): IsoFormat | null {
  let first: IsoFormat | null = null;
  let allMs = true;
  for (const t of values) {
    if (Number.isNaN(parseIso(t))) return null;
    first ??= shapeFormat();
    if (isoShape.date || isoShape.fracDigits !== 3) allMs = false;
  }
  if (!first || first === 'date') return first;
  return (allMs ? first.replace('trim', 'ms') : first.replace('ms', 'trim')) as IsoFormat;
}

/** Velociraptor writes nested values (dicts, arrays) as JSON text. */
export function isJsonText(t: string): boolean {
  const c = t.charCodeAt(0);
  if (c !== 0x7b && c !== 0x5b) return false;
  try {
    JSON.parse(t);
    return true;
  } catch {
    return false;
  }
}
