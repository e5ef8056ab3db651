/**
 * The keys of the text sort (sort-text.ts): characters folded and packed into 32-bit words so
 * that comparing words compares text. A character becomes its UTF-16 code unit plus one (ASCII
 * A-Z folded to a-z first) and 0 marks the end of the string, so a prefix sorts first. Narrow
 * words hold 4 characters of 8 bits (all codes <= U+00FE), wide words 2 of 16 bits.
 *
 * Strings are packed a window of WINDOW_WORDS words at a time, row by row in input order:
 * strings sit in memory in the order they were made, and reading them in sorted (random)
 * order instead costs several times more in cache misses. The sort then only reads words.
 */
import { pooled, Slot } from './radix.ts';

/**
 * Words packed per row and window: 24 characters narrow, 12 wide (even: a chunk is two words).
 * Log lines are mostly told apart within 24 characters; a wider window reads characters most
 * rows never need, a narrower one makes more rows need a second pass over their strings.
 */
export const WINDOW_WORDS = 6;

/** What one text sort works on: the strings, their packed window and the chunk keys being sorted. */
export interface TextCtx {
  keys: readonly string[];
  desc: boolean;
  /** 16 bits per character (some string has a character above U+00FE). */
  wide: boolean;
  /** Characters every key starts with (exactly): packing starts after them. */
  skip: number;
  /** WINDOW_WORDS words per row: the current window of the rows still being sorted. */
  pre: Uint32Array;
  /** Which window `pre` holds (window k starts at word k * WINDOW_WORDS of the strings after `skip`). */
  window: number;
  hi: Uint32Array;
  lo: Uint32Array;
}

/** Folded code of a character (see the module doc). */
function fold(c: number): number {
  return (c - 65) >>> 0 < 26 ? c + 33 : c + 1;
}

/** Compares a and b from character d on, with the same folding as the keys. */
export function compareFrom(a: string, b: string, d: number): number {
  const n = Math.min(a.length, b.length);
  for (; d < n; d++) {
    let x = a.charCodeAt(d), y = b.charCodeAt(d);
    if (x === y) continue;
    if (x >= 65 && x <= 90) x += 32;
    if (y >= 65 && y <= 90) y += 32;
    if (x !== y) return x - y;
  }
  return (a.length > d ? 1 : 0) - (b.length > d ? 1 : 0);
}

/** Packs a window of s from character `from` into its row at `base`, 4 per word; false if one needs 16 bits. */
function packNarrow(pre: Uint32Array, base: number, s: string, from: number): boolean {
  const len = s.length;
  const full = Math.max(0, Math.min((len - from) >> 2, WINDOW_WORDS));
  let or = 0, j = from;
  for (let w = 0; w < full; w++, j += 4) {
    const a = fold(s.charCodeAt(j)), b = fold(s.charCodeAt(j + 1)), c = fold(s.charCodeAt(j + 2)), d = fold(s.charCodeAt(j + 3));
    or |= a | b | c | d;
    pre[base + w] = ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
  }
  if (full < WINDOW_WORDS) {
    // The partial last word is left-aligned; the zeros after it are the end marker.
    let x = 0;
    for (let k = 0; k < 4; k++) {
      const c = j + k < len ? fold(s.charCodeAt(j + k)) : 0;
      or |= c;
      x = (x << 8) | c;
    }
    pre[base + full] = x >>> 0;
    for (let w = full + 1; w < WINDOW_WORDS; w++) pre[base + w] = 0;
  }
  return or <= 255;
}

/** Packs a window of s from character `from`, 2 per word (U+FFFF clamps onto U+FFFE: see hasMaxChar). */
function packWide(pre: Uint32Array, base: number, s: string, from: number): void {
  const len = s.length;
  for (let w = 0, j = from; w < WINDOW_WORDS; w++, j += 2) {
    const a = j < len ? Math.min(fold(s.charCodeAt(j)), 65535) : 0;
    const b = j + 1 < len ? Math.min(fold(s.charCodeAt(j + 1)), 65535) : 0;
    pre[base + w] = ((a << 16) | b) >>> 0;
  }
}

/**
 * Packs window `window` of the rows whose `marks` byte is set (every row when null), in input
 * order; false (narrow only) when a character needs 16 bits, and the sort must start over wide.
 */
export function packWindow(c: TextCtx, marks: Uint8Array | null, window: number): boolean {
  const n = c.keys.length, keys = c.keys;
  const pre = (c.pre = pooled(Slot.Prefix, n * WINDOW_WORDS));
  c.window = window;
  const from = c.skip + window * WINDOW_WORDS * (c.wide ? 2 : 4);
  for (let r = 0; r < n; r++) {
    if (marks && marks[r] === 0) continue;
    if (c.wide) packWide(pre, r * WINDOW_WORDS, keys[r], from);
    else if (!packNarrow(pre, r * WINDOW_WORDS, keys[r], from)) return false;
  }
  return true;
}

/**
 * Loads the chunk of words w and w + 1 (w even: the chunk's place in the window) of pos[s, e)
 * into hi/lo, inverted when descending so that ascending key order is the wanted order.
 */
export function loadChunk(c: TextCtx, pos: Uint32Array, s: number, e: number, w: number): void {
  const inv = c.desc ? 0xffffffff : 0;
  const hi = c.hi, lo = c.lo, pre = c.pre;
  for (let i = s; i < e; i++) {
    const b = pos[i] * WINDOW_WORDS + w;
    hi[i] = (pre[b] ^ inv) >>> 0;
    lo[i] = (pre[b + 1] ^ inv) >>> 0;
  }
}

/** Whether a loaded chunk ends its string (its last character is the end marker). */
export function endsString(c: TextCtx, lo: number): boolean {
  return ((c.desc ? ~lo : lo) & (c.wide ? 0xffff : 0xff)) === 0;
}

/**
 * Compares rows p and q, whose keys agree up to word w (absolute), on the rest of the packed
 * window, then on the strings past it; 0 when equal. Ascending: the caller applies `desc`.
 */
export function compareRest(c: TextCtx, p: number, q: number, w: number): number {
  const pre = c.pre, last = c.wide ? 0xffff : 0xff;
  for (let k = w - c.window * WINDOW_WORDS; k < WINDOW_WORDS; k++) {
    const a = pre[p * WINDOW_WORDS + k], b = pre[q * WINDOW_WORDS + k];
    if (a !== b) return a < b ? -1 : 1;
    if ((a & last) === 0) return 0; // both strings ended in this word
  }
  return compareFrom(c.keys[p], c.keys[q], c.skip + (c.window + 1) * WINDOW_WORDS * (c.wide ? 2 : 4));
}

/**
 * Length of the prefix all keys share exactly: paths, URLs and timestamps often share dozens of
 * characters, which then are neither packed nor split on. `lastIndexOf(p, 0)` compares at
 * position 0 only, natively (several times faster than startsWith here); with no shared prefix
 * the loop stops at the first row that differs.
 */
export function sharedPrefix(keys: readonly string[]): number {
  let p = keys.length > 0 ? keys[0] : '';
  for (let i = 1; i < keys.length && p.length > 0; i++) {
    const k = keys[i];
    if (k.lastIndexOf(p, 0) === 0) continue;
    let j = 0;
    while (j < p.length && j < k.length && k.charCodeAt(j) === p.charCodeAt(j)) j++;
    p = p.slice(0, j);
  }
  return p.length;
}

/**
 * Whether some key holds U+FFFF. Wide keys have 16 bits for 65,537 codes, so U+FFFE and U+FFFF
 * share one: such a column is sorted by comparison instead (asked only in wide mode, which is rare).
 */
export function hasMaxChar(keys: readonly string[]): boolean {
  for (let i = 0; i < keys.length; i++) if (keys[i].indexOf('\uffff') >= 0) return true;
  return false;
}
