/**
 * Stable LSD radix sort of positions by a 64-bit unsigned key split in two Uint32 words. The
 * numeric and text sorts reduce their keys to this so a million rows sort in linear time with
 * no comparator calls; ties keep their input order, which is what makes the table's sort stable.
 */

const pool: Uint32Array[] = [];
const pool64: Float64Array[] = [];

/** Pool slots: each names one working array of the sorts, which run one at a time. */
export const Slot = {
  RadixPos: 0, RadixHi: 1, RadixLo: 2, KeyHi: 3, KeyLo: 4, Prefix: 5, NumRows: 6, TextRows: 7, Empties: 8, NumOrder: 9, TextOrder: 10, Rank: 11,
} as const;

/**
 * A reusable working array of length n (contents left from earlier use). Sorting a million
 * rows needs tens of MB of scratch; allocating it per sort makes V8 run full collections over
 * a heap of millions of cell strings, which cost more than the sort. The arrays are sized by
 * the largest sort so far and kept until releasePoolSoon() frees them.
 */
export function pooled(slot: number, n: number): Uint32Array {
  let a = pool[slot];
  if (!a || a.length < n) a = pool[slot] = new Uint32Array(Math.ceil(n * 1.25) + 16);
  return a.subarray(0, n);
}

let releaseTimer: ReturnType<typeof setTimeout> | undefined;

/**
 * Frees the pooled arrays once no sort has run for 30 s: a million-row sort keeps ~80 MB of
 * them, which a table that is only being read should not hold.
 */
export function releasePoolSoon(): void {
  clearTimeout(releaseTimer);
  releaseTimer = setTimeout(() => {
    pool.length = 0;
    pool64.length = 0;
  }, 30_000);
  // In Node (tests, benchmarks) the timer must not keep the process alive.
  (releaseTimer as { unref?: () => void }).unref?.();
}

/** The Float64Array counterpart of pooled() (one slot: the numeric sort keys). */
export function pooled64(n: number): Float64Array {
  let a = pool64[0];
  if (!a || a.length < n) a = pool64[0] = new Float64Array(Math.ceil(n * 1.25) + 16);
  return a.subarray(0, n);
}

// One histogram reused by every call (the sort is synchronous, so there is no sharing hazard).
const counts = new Uint32Array(65536);

/**
 * Sorts `pos[start, end)` ascending by (hi, lo), moving the keys along with the positions.
 * Large ranges use 16-bit digits (4 passes), small ones 8-bit digits so the histogram stays
 * cheap; a pass whose digit is the same for every key is skipped.
 */
export function radixSort64(pos: Uint32Array, hi: Uint32Array, lo: Uint32Array, start: number, end: number): void {
  const bits = end - start > 131072 ? 16 : 8;
  const buckets = 1 << bits, mask = buckets - 1, perWord = 32 / bits;
  const n = pos.length;
  let p = pos, h = hi, l = lo, p2 = pooled(Slot.RadixPos, n), h2 = pooled(Slot.RadixHi, n), l2 = pooled(Slot.RadixLo, n);
  for (let pass = 0; pass < 2 * perWord; pass++) {
    const key = pass < perWord ? l : h;
    const shift = (pass % perWord) * bits;
    counts.fill(0, 0, buckets);
    const first = (key[start] >>> shift) & mask;
    let same = true;
    for (let i = start; i < end; i++) {
      const d = (key[i] >>> shift) & mask;
      counts[d]++;
      if (d !== first) same = false;
    }
    if (same) continue;
    let sum = start;
    for (let d = 0; d < buckets; d++) {
      const c = counts[d];
      counts[d] = sum;
      sum += c;
    }
    for (let i = start; i < end; i++) {
      const o = counts[(key[i] >>> shift) & mask]++;
      p2[o] = p[i];
      h2[o] = h[i];
      l2[o] = l[i];
    }
    [p, p2] = [p2, p];
    [h, h2] = [h2, h];
    [l, l2] = [l2, l];
  }
  if (p !== pos) {
    pos.set(p.subarray(start, end), start);
    hi.set(h.subarray(start, end), start);
    lo.set(l.subarray(start, end), start);
  }
}
