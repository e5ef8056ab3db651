/**
 * Column sort over a TableSource: each cell is read once (no cell() calls inside a comparator),
 * split into numbers, text and empties, and each group radix-sorted. Order: numbers (and
 * booleans as 0/1; timestamps are epoch-ms numbers) numerically, then text (sort-text.ts), then
 * empty cells last in both directions. Stable: equal keys keep arrival order.
 */
import { pooled, pooled64, radixSort64, releasePoolSoon, Slot } from './radix.ts';
import { sortTextPositions } from './sort-text.ts';
import { jsonText } from './cell-text.ts';
import type { TableSource } from './source.ts';

// Which Uint32 half of a float64 holds the sign and exponent on this machine.
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

/**
 * Permutation of 0..values.length-1 ordering the numbers (no NaN) ascending or descending, stable
 * (pooled: valid until the next numeric sort).
 * Floats map to unsigned 64-bit keys whose order is numeric order (flip the sign bit of
 * positives, every bit of negatives); descending inverts the keys, so ties stay in order.
 */
export function sortNumberPositions(values: Float64Array, desc: boolean): Uint32Array {
  const n = values.length;
  const words = new Uint32Array(values.buffer, values.byteOffset, n * 2);
  const pos = pooled(Slot.NumOrder, n), hi = pooled(Slot.KeyHi, n), lo = pooled(Slot.KeyLo, n);
  const inv = desc ? 0xffffffff : 0;
  for (let i = 0; i < n; i++) {
    pos[i] = i;
    let h = words[2 * i + HI], l = words[2 * i + LO];
    if (values[i] === 0) h = l = 0; // -0 and 0 are equal
    if (h & 0x80000000) {
      h = ~h;
      l = ~l;
    } else h |= 0x80000000;
    hi[i] = (h ^ inv) >>> 0;
    lo[i] = (l ^ inv) >>> 0;
  }
  radixSort64(pos, hi, lo, 0, n);
  return pos;
}

/**
 * Returns `rows` (source row indices) reordered by column `col`, a new array.
 * @example sortRows(source, Uint32Array.of(0, 1, 2), 0, true)
 */
export function sortRows(source: TableSource, rows: Uint32Array, col: number, desc: boolean): Uint32Array {
  const n = rows.length;
  const numRows = pooled(Slot.NumRows, n), nums = pooled64(n);
  const textRows = pooled(Slot.TextRows, n), texts: string[] = new Array<string>(n);
  const empties = pooled(Slot.Empties, n);
  let nn = 0, nt = 0, ne = 0;
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    const v = source.cell(r, col);
    if (typeof v === 'number') {
      if (Number.isNaN(v)) empties[ne++] = r;
      else {
        numRows[nn] = r;
        nums[nn++] = v;
      }
    } else if (typeof v === 'string') {
      if (v === '') empties[ne++] = r;
      else {
        textRows[nt] = r;
        texts[nt++] = v;
      }
    } else if (typeof v === 'boolean') {
      numRows[nn] = r;
      nums[nn++] = v ? 1 : 0;
    } else if (v === null || v === undefined) empties[ne++] = r;
    else {
      textRows[nt] = r;
      texts[nt++] = jsonText(v);
    }
  }
  const out = new Uint32Array(n);
  let o = 0;
  const numOrder = sortNumberPositions(nums.subarray(0, nn), desc);
  for (let i = 0; i < nn; i++) out[o++] = numRows[numOrder[i]];
  texts.length = nt;
  const textOrder = sortTextPositions(texts, desc);
  for (let i = 0; i < nt; i++) out[o++] = textRows[textOrder[i]];
  out.set(empties.subarray(0, ne), o);
  releasePoolSoon();
  return out;
}
