/**
 * Sorting a million strings without localeCompare or a comparator per pair (V8's sort with a
 * comparator takes over a second for a million distinct strings): an MSD radix sort over
 * 8-character chunks (4 when some character is above U+00FE), each chunk a 64-bit key.
 *
 * The prefix every string shares is skipped; the next 24 characters (12 wide) of every string
 * are packed into words in input order (sort-text-keys.ts), and the sort reads only those
 * words: a chunk's keys are loaded for a run, the run is split on the bytes that differ
 * (sort-text-chunk.ts), small runs are insertion-sorted, and runs whose chunk is equal go one
 * chunk deeper. Runs that need characters past the window get the next window packed, for
 * their rows only. Columns with few distinct values are sorted by rank instead.
 *
 * Order: by UTF-16 code unit with ASCII letters folded to lower case ("apple" < "Banana" <
 * "cherry", and "_" < "a"); ties keep their input order. Stable both ways.
 */
import { pooled, radixSort64, Slot } from './radix.ts';
import { sortChunk } from './sort-text-chunk.ts';
import { compareFrom, hasMaxChar, loadChunk, packWindow, sharedPrefix, WINDOW_WORDS, type TextCtx } from './sort-text-keys.ts';

/** The whole sort by comparison: only for keys holding U+FFFF, which wide keys cannot tell from U+FFFE (see hasMaxChar). */
function sortByComparison(keys: readonly string[], desc: boolean, pos: Uint32Array): void {
  const order = Array.from({ length: keys.length }, (_, i) => i).sort((p, q) => {
    const cmp = compareFrom(keys[p], keys[q], 0);
    return (desc ? -cmp : cmp) || p - q;
  });
  pos.set(order);
}

/** Marks the rows of the runs (start, end, word) on `runs`, for packing their next window. */
function markRows(pos: Uint32Array, runs: readonly number[], n: number): Uint8Array {
  const marks = new Uint8Array(n);
  for (let k = 0; k < runs.length; k += 3) for (let i = runs[k]; i < runs[k + 1]; i++) marks[pos[i]] = 1;
  return marks;
}

/**
 * The radix sort proper, a window of characters at a time: runs that need characters past the
 * window wait until it is done, then their rows get the next window packed. False when a
 * narrow sort met a character needing 16 bits (the caller starts over wide).
 */
function sortWindows(c: TextCtx, pos: Uint32Array): boolean {
  const n = pos.length;
  for (let i = 0; i < n; i++) pos[i] = i;
  if (!packWindow(c, null, 0)) return false;
  let stack = [0, n, 0];
  for (let window = 0; ; window++) {
    const later: number[] = [];
    const end = (window + 1) * WINDOW_WORDS;
    while (stack.length > 0) {
      const w = stack.pop()!, e = stack.pop()!, s = stack.pop()!;
      if (w >= end) later.push(s, e, w);
      else {
        loadChunk(c, pos, s, e, w - window * WINDOW_WORDS);
        sortChunk(c, pos, s, e, w, stack);
      }
    }
    if (later.length === 0) return true;
    if (!packWindow(c, markRows(pos, later, n), window + 1)) return false;
    stack = later;
  }
}

/** Most distinct values for which sorting by rank (dictionary of distinct strings) is used. */
const MAX_DISTINCT = 65536;

/**
 * Few distinct values (process names, users, event types): sort the distinct strings once and
 * radix-sort positions by their rank. Returns null as soon as there are too many distinct values.
 */
function sortByRank(keys: readonly string[], desc: boolean): Uint32Array | null {
  const n = keys.length;
  if (n < 4096) return null;
  // A sample decides cheaply whether the values repeat enough to be worth a dictionary.
  if (new Set(keys.slice(0, 4096)).size > 1024) return null;
  const ids = new Map<string, number>();
  const rank = pooled(Slot.Rank, n);
  const limit = Math.min(MAX_DISTINCT, n >>> 3);
  for (let i = 0; i < n; i++) {
    let id = ids.get(keys[i]);
    if (id === undefined) {
      if (ids.size >= limit) return null;
      ids.set(keys[i], (id = ids.size));
    }
    rank[i] = id;
  }
  const distinct = [...ids.keys()];
  const order = sortTextPositions(distinct, desc);
  const rankOf = new Uint32Array(distinct.length);
  // Strings equal but for ASCII case share a rank, so their rows keep arrival order.
  for (let i = 0, r = 0; i < order.length; i++) {
    if (i > 0 && compareFrom(distinct[order[i - 1]], distinct[order[i]], 0) !== 0) r++;
    rankOf[order[i]] = r;
  }
  const pos = pooled(Slot.TextOrder, n), hi = pooled(Slot.KeyHi, n).fill(0);
  for (let i = 0; i < n; i++) {
    pos[i] = i;
    rank[i] = rankOf[rank[i]];
  }
  radixSort64(pos, hi, rank, 0, n);
  return pos;
}

/**
 * Returns the permutation of 0..keys.length-1 that orders `keys` (stable; see the module doc).
 * The array is pooled: valid until the next text sort.
 * @example sortTextPositions(['b', 'A', 'a'], false) // Uint32Array [1, 2, 0]
 */
export function sortTextPositions(keys: readonly string[], desc: boolean): Uint32Array {
  const byRank = sortByRank(keys, desc);
  if (byRank) return byRank;
  const n = keys.length;
  const pos = pooled(Slot.TextOrder, n);
  const c: TextCtx = { keys, desc, wide: false, skip: sharedPrefix(keys), pre: new Uint32Array(0), window: 0, hi: pooled(Slot.KeyHi, n), lo: pooled(Slot.KeyLo, n) };
  if (sortWindows(c, pos)) return pos;
  c.wide = true;
  if (hasMaxChar(keys)) sortByComparison(keys, desc, pos);
  else sortWindows(c, pos);
  return pos;
}
