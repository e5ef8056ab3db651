/**
 * Match finders for split_records: the separators of records and of columns.
 *
 * Every pattern is compiled by the project's RE2 compiler (cachedRegex), which validates it
 * and gives it Go's meaning. A handful of separators that real artifacts use by the million
 * (`\n`, `\s+`, `\t`, `,`...) are then searched by a hand-written scanner instead of running
 * the regex: the table below lists each one with the exact set of code points it matches,
 * which is Go's definition (`\s` is `[\t\n\f\r ]`, not JavaScript's wider class). Those
 * patterns never match the empty string and their matches are maximal runs (`+`) or single
 * characters, so the scan is equivalent to leftmost-first matching (the tests compare both
 * on random text). Without a count, a record is split by V8's native String.prototype.split
 * with the same separator (a one-character string, or a RegExp built from the table's code
 * units). No RegExp is built from a user's pattern.
 */
import type { Scope } from '../../vql/index.ts';
import type { Regex } from '../../vql/regex/engine.ts';
import { cachedRegex } from '../../vql/protocols/regex.ts';

/** A match as [start, end) offsets in the string. */
export type Span = readonly [number, number];

/** Searches one string: the leftmost match starting at or after `from`, or null. */
export type Search = (from: number) => Span | null;

export interface Finder {
  readonly pattern: string;
  /** 'scan' for a table pattern, else the RE2 engine that runs it. */
  readonly engine: 'scan' | 'native' | 're2';
  search(s: string): Search;
  /** Go's Split(s, n), when the finder has a faster way than searching match by match. */
  split?(s: string, n: number): string[];
  /** Go's Split(s.slice(start, end), n): split_records splits records in place in its window. */
  splitRange?(s: string, start: number, end: number, n: number): string[];
  /** For a scanned pattern that is one character and no run (`\n`, `,`...): that character. */
  readonly char?: string;
}

const GO_SPACE = new Set([9, 10, 12, 13, 32]);

/** Separators searched by scanning: pattern → the code units it matches, and whether runs. */
const SCANNED: Readonly<Record<string, { readonly chars: ReadonlySet<number>; readonly run: boolean }>> = {
  '\\n': { chars: new Set([10]), run: false },
  '\\t': { chars: new Set([9]), run: false },
  '\\t+': { chars: new Set([9]), run: true },
  '\\s': { chars: GO_SPACE, run: false },
  '\\s+': { chars: GO_SPACE, run: true },
  ' ': { chars: new Set([32]), run: false },
  ' +': { chars: new Set([32]), run: true },
  '[ \\t]+': { chars: new Set([32, 9]), run: true },
  ',': { chars: new Set([44]), run: false },
  ';': { chars: new Set([59]), run: false },
  ':': { chars: new Set([58]), run: false },
  '\\|': { chars: new Set([124]), run: false },
  '\\x00': { chars: new Set([0]), run: false },
};

function scanFinder(pattern: string, chars: ReadonlySet<number>, run: boolean): Finder {
  // One character: indexOf is the fastest search there is; else a table of code units.
  const single = chars.size === 1 ? String.fromCharCode([...chars][0]!) : null;
  const table = new Uint8Array(128);
  for (const c of chars) table[c] = 1;
  const search = (s: string) => {
    const n = s.length;
    return (from: number): Span | null => {
      let i: number;
      if (single !== null) {
        i = s.indexOf(single, from);
        if (i < 0) return null;
      } else {
        i = from;
        for (; i < n; i++) {
          const c = s.charCodeAt(i);
          if (c < 128 && table[c] === 1) break;
        }
        if (i >= n) return null;
      }
      let j = i + 1;
      if (run) {
        for (; j < n; j++) {
          const c = s.charCodeAt(j);
          if (c >= 128 || table[c] !== 1) break;
        }
      }
      return [i, j];
    };
  };
  const code = single !== null ? single.charCodeAt(0) : -1;
  // Most characters are above the table's highest code: one comparison rejects them.
  const max = Math.max(...chars);
  // Go's Split(s, -1) is JavaScript's split by the same separator when it never matches the
  // empty string (pieces between leftmost matches, an empty first or last piece kept, [''] for
  // ''), and V8's split runs in native code. The RegExp is built from the table's code units
  // (\u escapes), never from the user's text.
  const cls = [...chars].map((c) => `\\u${c.toString(16).padStart(4, '0')}`).join('');
  const jsSep: string | RegExp = single !== null && !run ? single : new RegExp(`[${cls}]${run ? '+' : ''}`);
  // With a count: splitN's loop without a match object per separator (the matches are never
  // empty), a bounded charCodeAt loop (indexOf would run past `end` when the record lacks the
  // separator).
  const splitRange = (s: string, start: number, end: number, n: number): string[] => {
    if (n < 0) return (start === 0 && end === s.length ? s : s.slice(start, end)).split(jsSep);
    const out: string[] = [];
    if (n === 0) return out;
    if (start === end) {
      out.push('');
      return out;
    }
    let beg = start;
    let last = start;
    for (let i = start; i < end; ) {
      let ms = i;
      if (code >= 0) {
        while (ms < end && s.charCodeAt(ms) !== code) ms++;
      } else {
        for (; ms < end; ms++) {
          const c = s.charCodeAt(ms);
          if (c <= max && table[c] === 1) break;
        }
      }
      if (ms >= end) break;
      let me = ms + 1;
      if (run) {
        for (; me < end; me++) {
          const c = s.charCodeAt(me);
          if (c > max || table[c] !== 1) break;
        }
      }
      if (n > 0 && out.length === n - 1) break;
      last = ms;
      out.push(s.slice(beg, ms));
      beg = me;
      i = me;
    }
    if (last !== end) out.push(s.slice(beg, end));
    return out;
  };
  const split = (s: string, n: number): string[] => splitRange(s, 0, s.length, n);
  return { pattern, engine: 'scan', search, split, splitRange, ...(single !== null && !run ? { char: single } : {}) };
}

function regexFinder(re: Regex): Finder {
  return {
    pattern: re.pattern,
    engine: re.engine,
    search(s) {
      const next = re.searcher(s);
      return (from) => {
        const m = next(from);
        return m ? [m.index, m.index + m[0]!.length] : null;
      };
    },
  };
}

/**
 * The finder for `pattern` (case-sensitive, as Go compiles it), or null after the compiler
 * logged why the pattern is invalid (naming `callee`).
 */
export function finderFor(pattern: string, scope: Scope, callee: string): Finder | null {
  const re = cachedRegex(pattern, scope, { caseSensitive: true, callee });
  if (!re) return null;
  const scanned = SCANNED[pattern];
  return scanned ? scanFinder(pattern, scanned.chars, scanned.run) : regexFinder(re);
}

/** The table's patterns (for the tests that check them against the RE2 engine). */
export const SCANNED_PATTERNS: readonly string[] = Object.keys(SCANNED);

/** For tests: the scanning finder of a table pattern. */
export function scanFinderFor(pattern: string): Finder {
  const s = SCANNED[pattern];
  if (!s) throw new Error(`not a scanned pattern: ${pattern}`);
  return scanFinder(pattern, s.chars, s.run);
}

/** For tests and the benchmark: the RE2 engine's finder, bypassing the scan table. */
export function regexFinderFor(re: Regex): Finder {
  return regexFinder(re);
}

/**
 * Go's `Regexp.Split(s, n)`: n < 0 all pieces, n > 0 at most n pieces (the last one keeps the
 * rest), n == 0 none. An empty match right after the previous match is skipped (FindAll).
 */
export function splitN(finder: Finder, s: string, n: number): string[] {
  if (finder.split) return finder.split(s, n);
  return splitBySearch(finder, s, n);
}

/** splitN by searching match by match (also the reference the tests compare `split` with). */
export function splitBySearch(finder: Finder, s: string, n: number): string[] {
  if (n === 0) return [];
  if (finder.pattern !== '' && s === '') return [''];
  const search = finder.search(s);
  const out: string[] = [];
  let beg = 0;
  let end = 0;
  let prevEnd = -1;
  for (let pos = 0; pos <= s.length; ) {
    const m = search(pos);
    if (!m) break;
    const [ms, me] = m;
    let accept = true;
    if (me === ms) {
      if (ms === prevEnd) accept = false;
      pos = ms + (ms < s.length && (s.codePointAt(ms) ?? 0) > 0xffff ? 2 : 1);
    } else pos = me;
    prevEnd = me;
    if (!accept) continue;
    if (n > 0 && out.length === n - 1) break;
    end = ms;
    if (me !== 0) out.push(s.slice(beg, end));
    beg = me;
  }
  if (end !== s.length) out.push(s.slice(beg));
  return out;
}
