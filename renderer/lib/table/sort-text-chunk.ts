/**
 * Ordering a run of the text sort by one loaded chunk (sort-text.ts): the keys of pos[s, e)
 * are in hi/lo, and every run they leave equal is handed back one chunk (two words) deeper.
 *
 * A chunk is split one byte (a narrow character, half a wide one) at a time, most significant
 * first, and only on bytes that actually differ within the run: log lines and paths share most
 * of their characters, so a run typically needs two or three scatter passes where an LSD radix
 * over the whole 64-bit key needs eight.
 */
import { pooled, Slot } from './radix.ts';
import { compareRest, endsString, type TextCtx } from './sort-text-keys.ts';

/** Runs up to this size are insertion-sorted (cheaper than a scatter pass and its histogram). */
const SMALL_RUN = 40;

/** Runs at least this large split on two bytes at once (one pass instead of two). */
const TWO_BYTES = 4096;

// One histogram reused by every split, all zero between splits (the sort is synchronous).
const counts = new Uint32Array(65536);

/** Order of rows p and q whose chunk keys are equal: the rest of the strings from word w, then input order. */
function tieBreak(c: TextCtx, p: number, q: number, lo: number, w: number): number {
  if (endsString(c, lo)) return p - q;
  const cmp = compareRest(c, p, q, w);
  return (c.desc ? -cmp : cmp) || p - q;
}

/** Insertion sort of pos[s, e) on its loaded keys, then the rest from word `next` (no allocation: there are many runs). */
function sortSmall(c: TextCtx, pos: Uint32Array, s: number, e: number, next: number): void {
  const hi = c.hi, lo = c.lo;
  for (let i = s + 1; i < e; i++) {
    const p = pos[i], h = hi[i], l = lo[i];
    let j = i - 1;
    for (; j >= s; j--) {
      const qh = hi[j], ql = lo[j];
      if (qh < h || (qh === h && (ql < l || (ql === l && tieBreak(c, pos[j], p, l, next) < 0)))) break;
      pos[j + 1] = pos[j];
      hi[j + 1] = qh;
      lo[j + 1] = ql;
    }
    pos[j + 1] = p;
    hi[j + 1] = h;
    lo[j + 1] = l;
  }
}

/** A run whose chunk keys are all equal goes one chunk deeper (word w + 2), unless its strings ended. */
function deeper(c: TextCtx, s: number, e: number, w: number, stack: number[]): void {
  if (!endsString(c, c.lo[s])) stack.push(s, e, w + 2);
}

/**
 * Stable counting sort of pos[s, e) (keys along) on the digit `(word >>> shift) & mask`; the
 * bounds of buckets holding more than one row go to `runs`. Only the range of digits present
 * is walked and cleared, so a 16-bit digit costs little more than an 8-bit one on a short run.
 */
function splitOnDigit(c: TextCtx, pos: Uint32Array, s: number, e: number, word: Uint32Array, shift: number, mask: number, runs: number[]): void {
  const n = pos.length, hi = c.hi, lo = c.lo;
  const tp = pooled(Slot.RadixPos, n), th = pooled(Slot.RadixHi, n), tl = pooled(Slot.RadixLo, n);
  let min = mask, max = 0;
  for (let i = s; i < e; i++) {
    const d = (word[i] >>> shift) & mask;
    counts[d]++;
    if (d < min) min = d;
    if (d > max) max = d;
  }
  for (let d = min, at = s; d <= max; d++) {
    const k = counts[d];
    if (k > 1) runs.push(at, at + k);
    counts[d] = at;
    at += k;
  }
  for (let i = s; i < e; i++) {
    const o = counts[(word[i] >>> shift) & mask]++;
    tp[o] = pos[i];
    th[o] = hi[i];
    tl[o] = lo[i];
  }
  counts.fill(0, min, max + 1); // all zero again for the next split
  pos.set(tp.subarray(s, e), s);
  hi.set(th.subarray(s, e), s);
  lo.set(tl.subarray(s, e), s);
}

/** Splits on the first byte that differs, taking the next byte of the word along when the run is not small. */
function splitFirstDiff(c: TextCtx, pos: Uint32Array, s: number, e: number, word: Uint32Array, diff: number, runs: number[]): void {
  const shift = 24 - (Math.clz32(diff) & ~7);
  if (e - s >= TWO_BYTES && shift >= 8) splitOnDigit(c, pos, s, e, word, shift - 8, 0xffff, runs);
  else splitOnDigit(c, pos, s, e, word, shift, 0xff, runs);
}

/** Splits on the first byte that differs, then again within each bucket, until runs are small or equal. */
function splitBytes(c: TextCtx, pos: Uint32Array, s0: number, e0: number, w: number, next: number, stack: number[]): void {
  const hi = c.hi, lo = c.lo, runs = [s0, e0];
  while (runs.length > 0) {
    const e = runs.pop()!, s = runs.pop()!;
    if (e - s <= SMALL_RUN) {
      sortSmall(c, pos, s, e, next);
      continue;
    }
    // Which bits differ anywhere in the run: bytes already split on are equal, so the first set bit names the byte to split.
    const h0 = hi[s], l0 = lo[s];
    let dh = 0, dl = 0;
    for (let i = s + 1; i < e; i++) {
      dh |= hi[i] ^ h0;
      dl |= lo[i] ^ l0;
    }
    if (dh === 0 && dl === 0) deeper(c, s, e, w, stack);
    else if (dh !== 0) splitFirstDiff(c, pos, s, e, hi, dh, runs);
    else splitFirstDiff(c, pos, s, e, lo, dl, runs);
  }
}

/**
 * Orders pos[s, e) by the chunk keys loaded in hi/lo (words w and w + 1 of the strings); runs
 * still equal are pushed on `stack` as (start, end, next word).
 */
export function sortChunk(c: TextCtx, pos: Uint32Array, s: number, e: number, w: number, stack: number[]): void {
  const next = w + 2;
  if (e - s <= SMALL_RUN) sortSmall(c, pos, s, e, next);
  else splitBytes(c, pos, s, e, w, next, stack);
}
