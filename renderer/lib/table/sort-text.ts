/**
 * Sorting a million strings without localeCompare or a comparator per pair: an MSD radix sort
 * over 8-character chunks (4 when a chunk holds a character above U+00FE), each chunk packed
 * into a 64-bit key and ordered by the stable LSD radix in radix.ts. Runs of equal chunks are
 * refined one chunk deeper (skipping a prefix the whole run shares); small runs use insertion
 * sort. The first 32 characters of every string (16 in wide mode) are packed up front in input
 * order, because walking strings in sorted (random) order is what costs most. Columns with few
 * distinct values are sorted by rank instead. Order: by UTF-16 code unit with ASCII letters
 * folded to lower case ("apple" < "Banana" < "cherry"); ties keep their input order.
 */
import { pooled, radixSort64, Slot } from './radix.ts';

const SMALL_RUN = 48;
/** 32-bit words packed up front per string. */
const PRE_WORDS = 8;

function code(s: string, i: number): number {
  if (i >= s.length) return 0; // end of string sorts before any character
  const c = s.charCodeAt(i);
  return (c >= 65 && c <= 90 ? c + 32 : c) + 1;
}

/** Compares a and b from character d on, with the same folding as the keys. */
function compareFrom(a: string, b: string, d: number): number {
  for (;; d++) {
    const x = code(a, d), y = code(b, d);
    if (x !== y || x === 0) return x - y;
  }
}

/** Packs 4 characters from d on (2 in wide mode); -1 if one is too wide for 8 bits. */
function word(s: string, d: number, wide: boolean): number {
  if (wide) return ((Math.min(code(s, d), 65535) << 16) | Math.min(code(s, d + 1), 65535)) >>> 0;
  const a = code(s, d), b = code(s, d + 1), c = code(s, d + 2), e = code(s, d + 3);
  if ((a | b | c | e) > 255) return -1;
  return ((a << 24) | (b << 16) | (c << 8) | e) >>> 0;
}

interface Ctx {
  keys: readonly string[];
  desc: boolean;
  wide: boolean;
  pre: Uint32Array;
  /** The mode `pre` was packed in: it is only usable while `wide` matches. */
  preWide: boolean;
  hi: Uint32Array;
  lo: Uint32Array;
}

/** Packs the first chunks of every key in input order; null if a character needs wide mode. */
function prepack(keys: readonly string[], wide: boolean): Uint32Array | null {
  const pre = pooled(Slot.Prefix, keys.length * PRE_WORDS).fill(0);
  const perWord = wide ? 2 : 4, bits = wide ? 16 : 8, max = wide ? 65535 : 255;
  const shift = wide ? 1 : 2, last = perWord - 1;
  const chars = PRE_WORDS * perWord;
  for (let i = 0; i < keys.length; i++) {
    const s = keys[i], n = Math.min(s.length, chars), base = i * PRE_WORDS;
    let w = 0, j = 0;
    for (; j < n; j++) {
      let c = s.charCodeAt(j);
      c = (c >= 65 && c <= 90 ? c + 32 : c) + 1;
      if (c > max) {
        if (!wide) return null;
        c = max;
      }
      w = (w << bits) | c;
      if ((j & last) === last) {
        pre[base + (j >> shift)] = w;
        w = 0;
      }
    }
    // A partial last word is left-aligned; the zeros after it are the end marker.
    const rest = j & last;
    if (rest !== 0) pre[base + (j >> shift)] = w << (bits * (perWord - rest));
  }
  return pre;
}

/** Loads the chunk at depth d for pos[s, e) into hi/lo; false if a character is too wide. */
function load(c: Ctx, pos: Uint32Array, s: number, e: number, d: number): boolean {
  const per = c.wide ? 2 : 4, w = d / per;
  const inv = c.desc ? 0xffffffff : 0;
  if (c.wide === c.preWide && d % (2 * per) === 0 && w + 1 < PRE_WORDS) {
    for (let i = s; i < e; i++) {
      const b = pos[i] * PRE_WORDS + w;
      c.hi[i] = (c.pre[b] ^ inv) >>> 0;
      c.lo[i] = (c.pre[b + 1] ^ inv) >>> 0;
    }
    return true;
  }
  for (let i = s; i < e; i++) {
    const k = c.keys[pos[i]];
    const h = word(k, d, c.wide), l = word(k, d + per, c.wide);
    if (h < 0 || l < 0) return false;
    c.hi[i] = (h ^ inv) >>> 0;
    c.lo[i] = (l ^ inv) >>> 0;
  }
  return true;
}

/** Length of the prefix (from d) that all keys of pos[s, e) share. */
function commonPrefix(c: Ctx, pos: Uint32Array, s: number, e: number, d: number): number {
  const first = c.keys[pos[s]];
  let n = Math.max(0, first.length - d);
  for (let i = s + 1; i < e && n > 0; i++) {
    const k = c.keys[pos[i]];
    let j = 0;
    while (j < n && (k.charCodeAt(d + j) === first.charCodeAt(d + j) || code(k, d + j) === code(first, d + j))) j++;
    n = j;
  }
  return n;
}

/** Insertion sort of a short run, in place (no allocation: there are many such runs). */
function sortSmall(c: Ctx, pos: Uint32Array, s: number, e: number, d: number): void {
  const sign = c.desc ? -1 : 1;
  for (let i = s + 1; i < e; i++) {
    const p = pos[i], key = c.keys[p];
    let j = i - 1;
    for (; j >= s; j--) {
      const q = pos[j];
      const cmp = sign * compareFrom(c.keys[q], key, d) || q - p;
      if (cmp <= 0) break;
      pos[j + 1] = q;
    }
    pos[j + 1] = p;
  }
}

/** A chunk whose last character is the end marker: the strings ended, so the run is all equal. */
function ended(c: Ctx, i: number): boolean {
  const last = (c.desc ? ~c.lo[i] : c.lo[i]) & (c.wide ? 0xffff : 0xff);
  return last === 0;
}

/** Sorts pos[s, e) whose keys agree on the first d characters; pushes deeper runs on the stack. */
function step(c: Ctx, pos: Uint32Array, s: number, e: number, d: number, stack: number[]): void {
  if (e - s <= SMALL_RUN) return sortSmall(c, pos, s, e, d);
  if (!c.wide && !load(c, pos, s, e, d)) c.wide = true;
  if (c.wide) load(c, pos, s, e, d);
  const chunk = c.wide ? 4 : 8;
  let same = true;
  for (let i = s + 1; i < e && same; i++) same = c.hi[i] === c.hi[s] && c.lo[i] === c.lo[s];
  if (same) {
    if (!ended(c, s)) stack.push(s, e, d + chunk + commonPrefix(c, pos, s, e, d + chunk));
    return;
  }
  radixSort64(pos, c.hi, c.lo, s, e);
  let r = s;
  for (let i = s + 1; i <= e; i++) {
    if (i < e && c.hi[i] === c.hi[r] && c.lo[i] === c.lo[r]) continue;
    if (i - r > 1 && !ended(c, r)) stack.push(r, i, d + chunk);
    r = i;
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
  for (let i = 0; i < n; i++) pos[i] = i;
  let wide = false;
  let pre = prepack(keys, false);
  if (!pre) {
    wide = true;
    pre = prepack(keys, true)!;
  }
  const c: Ctx = { keys, desc, wide, pre, preWide: wide, hi: pooled(Slot.KeyHi, n), lo: pooled(Slot.KeyLo, n) };
  const stack = [0, n, 0];
  while (stack.length > 0) {
    const d = stack.pop()!, e = stack.pop()!, s = stack.pop()!;
    step(c, pos, s, e, d, stack);
  }
  return pos;
}
