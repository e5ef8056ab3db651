/**
 * Glob patterns as Velociraptor reads them: `{a,b}` alternatives (expanded first), then per
 * path component `*`, `?`, `[abc]` / `[!abc]` classes, and `**` (any number of directory
 * levels, 30 by default; `**5` limits it to 5). Matching is case-insensitive.
 */

/** One component of a pattern: `test` says whether a directory entry's name matches it. */
export type Segment =
  | { readonly kind: 'match'; readonly test: (name: string) => boolean; readonly text: string }
  | { readonly kind: 'recurse'; readonly depth: number };

export const DEFAULT_RECURSION_DEPTH = 30;

/** Expands `{a,b}` alternatives (nested too): `/x/{a,b{c,d}}` gives 3 patterns. */
export function expandBraces(pattern: string): string[] {
  let depth = 0;
  let start = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' && depth > 0) {
      depth--;
      if (depth === 0) {
        const body = pattern.slice(start + 1, i);
        const alternatives = splitTopLevel(body);
        if (alternatives.length < 2 && !body.includes(',')) continue;
        const head = pattern.slice(0, start);
        const tail = pattern.slice(i + 1);
        return alternatives.flatMap((alt) => expandBraces(head + alt + tail));
      }
    }
  }
  return [pattern];
}

function splitTopLevel(body: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of body) {
    if (c === '{') depth++;
    if (c === '}') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

const SPECIAL = /[*?[]/;

/** One token of a component: a run of `*`, one character of any kind (`?`), a class, or a literal. */
type Token = { kind: 'star' } | { kind: 'any' } | { kind: 'class'; re: RegExp } | { kind: 'char'; lower: string };

/**
 * `[abc]`, `[a-z]`, `[!abc]` as a one-character regex (no quantifier: no backtracking), or null
 * when the class is not one (`[z-a]`): then its `[` is a literal character, as an unclosed one is.
 */
function classRegex(body: string): RegExp | null {
  const cls = body.startsWith('!') ? '^' + body.slice(1) : body;
  try {
    return new RegExp('^[' + cls.replace(/\\/g, '\\\\') + ']$', 'isu');
  } catch {
    return null;
  }
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '*') {
      if (out.at(-1)?.kind !== 'star') out.push({ kind: 'star' });
    } else if (c === '?') out.push({ kind: 'any' });
    else if (c === '[' && text.indexOf(']', i + 2) >= 0) {
      const end = text.indexOf(']', i + 2);
      const re = classRegex(text.slice(i + 1, end));
      if (!re) {
        out.push({ kind: 'char', lower: c });
        continue;
      }
      out.push({ kind: 'class', re });
      i = end;
    } else out.push({ kind: 'char', lower: c.toLowerCase() });
  }
  return out;
}

/**
 * A matcher for one component (`*.txt`, `[a-c]?`, `*a*b*`), case-insensitive, over whole names.
 * Not a backtracking regex: `*a*a*a*a*b` against a long name took seconds to hours as `.*a.*a…`.
 * This is the classic wildcard walk that remembers only the last `*` (a later star makes every
 * earlier choice final), so a match costs at most (name length × pattern length) steps.
 */
export function componentMatcher(text: string): (name: string) => boolean {
  const tokens = tokenize(text);
  return (name: string) => {
    const chars = [...name.toLowerCase()];
    let t = 0;
    let p = 0;
    let starP = -1;
    let starT = 0;
    while (t < chars.length) {
      const tok = tokens[p];
      if (tok?.kind === 'star') {
        starP = p++;
        starT = t;
      } else if (tok && (tok.kind === 'any' || (tok.kind === 'char' ? tok.lower === chars[t] : tok.re.test(chars[t]!)))) {
        p++;
        t++;
      } else if (starP >= 0) {
        p = starP + 1;
        t = ++starT;
      } else return false;
    }
    while (tokens[p]?.kind === 'star') p++;
    return p === tokens.length;
  };
}

/** Compiles the components of one (brace-expanded) pattern. */
export function compileSegments(components: readonly string[]): Segment[] {
  return components.flatMap((c): Segment | Segment[] => {
    const rec = /^\*\*(\d*)$/.exec(c);
    if (rec) return { kind: 'recurse', depth: rec[1] ? Number(rec[1]) : DEFAULT_RECURSION_DEPTH };
    // `**.pst` (Windows.Forensics.Pst's C:/Users/*/**.pst): any depth, then a name matching
    // `*.pst`, as the artifacts mean it (see docs/host-functions.md on glob).
    const tail = /^\*\*(\d*)(.+)$/.exec(c);
    if (tail) {
      const name = '*' + tail[2]!;
      return [{ kind: 'recurse', depth: tail[1] ? Number(tail[1]) : DEFAULT_RECURSION_DEPTH }, { kind: 'match', test: componentMatcher(name), text: name }];
    }
    if (!SPECIAL.test(c)) {
      const lower = c.toLowerCase();
      return { kind: 'match', test: (name: string) => name.toLowerCase() === lower, text: c };
    }
    return { kind: 'match', test: componentMatcher(c), text: c };
  });
}

/**
 * A set of positions in several patterns: `pattern index`, `segment index`, and how many
 * levels the `**` at that segment has consumed. States advance one directory entry at a time.
 */
export interface GlobState {
  readonly p: number;
  readonly i: number;
  readonly used: number;
}

/** Up to this many states, duplicates are found by comparing them one by one. */
const SMALL = 16;

export class GlobMachine {
  constructor(readonly patterns: readonly Segment[][]) {}

  start(): GlobState[] {
    return this.closure(this.patterns.map((_, p) => ({ p, i: 0, used: 0 })));
  }

  /** Adds the states reachable by letting a `**` match zero more levels. */
  closure(states: readonly GlobState[]): GlobState[] {
    const out: GlobState[] = [];
    const seen = states.length > SMALL ? new Set<string>() : null;
    for (const s of states) this.addClosed(out, s, seen);
    return out;
  }

  /**
   * Adds `s` and what its `**` reaches with zero more levels to `out`, once each. Few states
   * (the usual case) are compared one by one; many (hundreds of globs) go through `seen`.
   */
  private addClosed(out: GlobState[], state: GlobState, seen: Set<string> | null): void {
    let s = state;
    for (;;) {
      if (seen) {
        const key = `${s.p}:${s.i}:${s.used}`;
        if (seen.has(key)) return;
        seen.add(key);
      } else {
        for (let k = 0; k < out.length; k++) {
          const o = out[k]!;
          // Already there, and so is its closure.
          if (o.p === s.p && o.i === s.i && o.used === s.used) return;
        }
      }
      out.push(s);
      if (this.patterns[s.p]![s.i]?.kind !== 'recurse') return;
      s = { p: s.p, i: s.i + 1, used: 0 };
    }
  }

  /**
   * Whether a step from `states` does not depend on the entry's name (only `**` and finished
   * patterns): then one step serves every entry of a directory.
   */
  nameFree(states: readonly GlobState[]): boolean {
    for (const s of states) if (this.patterns[s.p]![s.i]?.kind === 'match') return false;
    return true;
  }

  /**
   * The states after an entry named `name`, whether the entry matches a whole pattern, and
   * which patterns it matches (`accepted`, pattern indices; empty when `accept` is false).
   */
  step(states: readonly GlobState[], name: string): { next: GlobState[]; accept: boolean; accepted: number[] } {
    // The states the entry leads to directly; a match is decided on these (reachesEnd looks
    // past `**` itself, and requires a trailing one to have matched a level).
    const direct: GlobState[] = [];
    for (const s of states) {
      const seg = this.patterns[s.p]![s.i];
      if (!seg) continue;
      if (seg.kind === 'recurse') {
        if (s.used < seg.depth) direct.push({ p: s.p, i: s.i, used: s.used + 1 });
      } else if (seg.test(name)) direct.push({ p: s.p, i: s.i + 1, used: 0 });
    }
    const accepted: number[] = [];
    for (const s of direct) if (!accepted.includes(s.p) && this.reachesEnd(s)) accepted.push(s.p);
    return { next: direct.length ? this.closure(direct) : direct, accept: accepted.length > 0, accepted };
  }

  /**
   * Whether a state has matched its whole pattern. A trailing `**` must have matched at least
   * one level: `/a/**` gives what is below /a, not /a itself.
   */
  private reachesEnd(s: GlobState): boolean {
    const segs = this.patterns[s.p]!;
    if (s.i === segs.length) return true;
    if (segs[s.i]!.kind !== 'recurse') return false;
    if (s.i === segs.length - 1) return s.used >= 1;
    return this.reachesEnd({ p: s.p, i: s.i + 1, used: 0 });
  }

  /**
   * How many levels below an entry with these states a walk enters whatever their names are
   * (under a `**`: its depth left; 0 when none). A lister may list them ahead (local-prefetch.ts).
   */
  levels(states: readonly GlobState[]): number {
    let most = 0;
    for (const s of states) {
      const seg = this.patterns[s.p]![s.i];
      if (seg?.kind === 'recurse' && seg.depth - s.used > most) most = seg.depth - s.used;
    }
    return most;
  }

  /** Whether any state can still match something below the entry. */
  live(states: readonly GlobState[]): boolean {
    return states.some((s) => s.i < this.patterns[s.p]!.length);
  }
}
