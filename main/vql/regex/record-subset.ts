/**
 * Fast searches for the record parsers (parse_records_with_regex): two classes of RE2 patterns
 * that V8's RegExp runs in linear time over a large text, searched match after match, with
 * exactly the matches and groups of Go's regexp. Any other pattern keeps re2js (engine.ts).
 *
 * Why: parse_records_with_regex applies a pattern to a whole file, and re2js's NFA finds about
 * 3 MB/s of matches with groups; V8 finds them at hundreds of MB/s. Its patterns in
 * Velociraptor's artifacts are sequences of character runs: `(?m)^(?P<Device>[^ ]+)
 * (?P<Mount>[^ ]+) ...` (Linux.Mounts), `(?P<Strings>[ -~]+)` (strings carving),
 * `(?P<ClientId>C\.[0-9a-z-]+)`, `(?P<URL>https?:\/\/[\w\.-]+[\/\w \.-]*)`.
 *
 * The grammar (a sub-grammar of RE2, parsed with native-subset.ts's atoms, which translate to
 * JavaScript with Go's meaning: `u` flag, Go's `.`, `\d`, `\w`, `\s`, classes, case folding):
 *   pattern = ('(?' [ims]+ ')')* anchor? item*
 *   anchor  = '^' | '\A'                    (`^` under (?m) is a line start)
 *   item    = atom quant? | '(' ('?:' | '?P<name>' | '?<name>')? (atom quant?)* ')'
 *   quant   = '*' | '+' | '?'               (greedy; no groups in groups, no '|', no '$')
 * where an atom matches exactly one code point. A quantified atom X is a *run*.
 *
 * Class T, "the runs end the pattern": every atom after the first `*`/`+` run is itself `*` or
 * `?` (can match nothing), and an optional `X?` before it is followed by a plain atom that
 * shares no character with X. Linear: at a start position the atoms before the first run are
 * deterministic (an `X?` that took its character cannot be undone usefully: the next atom
 * cannot match a character of X), so an attempt fails within m steps or reaches the first run,
 * after which nothing can fail: the greedy runs take what they can and the match succeeds
 * without backtracking. A search is O(n·m) up to its match, and successive searches start
 * where the last match ended.
 *
 * Class L, "one deterministic sequence per line": under (?m)^ (or a plain ^), every run X is
 * followed by a plain ASCII literal that X does not match (in every case variant), or ends the
 * pattern. Then a run is always taken whole (giving back a character cannot help: the literal
 * would have to match a character of X), so an attempt is one path, whose cost is its length.
 * But a run whose class holds `\n` (`[^ ]`) can go on into the next lines (Go's `[^ ]` matches
 * a newline), so attempts at successive line starts could overlap: quadratic. So the runs are
 * confined to their line (`[^ \n]`), which makes each attempt O(line + m). A line where a
 * confined run stopped at a `\n` that the real run would have taken (a second, sticky RegExp
 * tells, once per line; it counts a run that took nothing too, which only errs on the safe
 * side) is the only kind where the confined result may differ from Go's: the lines between the
 * search's start and the confined match are checked, and at the first such line the search
 * goes on with re2js from its start. Every line start before it gave the same (failed) result
 * in both, so the leftmost-first match is re2js's match from there. The confined RegExp keeps
 * its last result while the search position has not passed it and each line is checked once,
 * so a scan of a text is linear: records that really span lines cost re2js's time, no more.
 *
 * Groups are numbered only in the JavaScript source (named ones too): callers read groups by
 * number and take the names from the re2js Regex, and V8 builds no `groups` object per match.
 *
 * `^` under (?m) is Go's: a line start after `\n` only (JavaScript's /m also breaks at \r,
 * U+2028, U+2029), written `(?:^|(?<=\n))` (not `(?<![^\n])`: in V8 that one holds in the middle
 * of a surrogate pair). The differential tests (test/vql/regex-records.test.ts)
 * compare both classes with re2js on generated patterns and texts.
 */
import type { Regex, RegexMatch } from './engine.ts';
import { NAME, Outside, Translator, outside } from './native-subset.ts';

/** One element of a parsed pattern: an atom (maybe quantified), or a group's parentheses. */
type Item =
  | { readonly kind: 'atom'; readonly src: string; readonly q: '' | '*' | '+' | '?' }
  | { readonly kind: 'open'; readonly src: string }
  | { readonly kind: 'close' };

interface Sequence {
  readonly anchor: 'none' | 'text' | 'line';
  readonly items: readonly Item[];
  readonly flags: string;
}

const LINE_START = '(?:^|(?<=\\n))';

/** As engine.ts's native limit: V8 refuses very large regexes, and only when it first runs them. */
const MAX_LENGTH = 4096;

/** Parses the grammar above with native-subset's atoms; throws Outside for anything else. */
class SequenceParser extends Translator {
  parse(): Sequence {
    let multiline = false;
    for (;;) {
      const m = /^\(\?([ims]+)\)/.exec(this.p.slice(this.pos, this.pos + 8));
      if (!m) break;
      for (const f of m[1]!) {
        if (f === 'i') this.caseInsensitive = true;
        else if (f === 's') this.dotAll = true;
        else multiline = true;
      }
      this.pos += m[0].length;
    }
    let anchor: Sequence['anchor'] = 'none';
    if (this.peek() === 0x5e /* ^ */) {
      this.pos++;
      anchor = multiline ? 'line' : 'text';
    } else if (this.p.startsWith('\\A', this.pos)) {
      this.pos += 2;
      anchor = 'text';
    }
    this.sawAtom = true;
    const items: Item[] = [];
    while (this.pos < this.p.length) {
      const c = this.peek();
      if (c === 0x28 /* ( */) {
        if (this.inGroup) outside();
        items.push({ kind: 'open', src: this.groupOpen() });
        this.inGroup = true;
        continue;
      }
      if (c === 0x29 /* ) */) {
        if (!this.inGroup) outside();
        this.pos++;
        this.inGroup = false;
        items.push({ kind: 'close' });
        if (isQuantifier(this.peek())) outside();
        continue;
      }
      // Alternation, anchors and escapes that are not one code point leave the grammar.
      if (c === 0x7c || c === 0x5e || c === 0x24 /* | ^ $ */) outside();
      if (c === 0x5c /* \ */ && /^\\[AzQbB]/.test(this.p.slice(this.pos, this.pos + 2))) outside();
      const start = this.out.length;
      if (!this.atom()) outside();
      const src = this.out.slice(start);
      this.out = this.out.slice(0, start);
      let q: '' | '*' | '+' | '?' = '';
      const n = this.peek();
      if (n === 0x2a || n === 0x2b || n === 0x3f) {
        q = String.fromCharCode(n) as '*' | '+' | '?';
        this.pos++;
        if (isQuantifier(this.peek())) outside(); // lazy, or a repeat of a repeat: re2js
      } else if (n === 0x7b /* { */) outside();
      items.push({ kind: 'atom', src, q });
    }
    if (this.inGroup) outside();
    return { anchor, items, flags: this.caseInsensitive ? 'iu' : 'u' };
  }

  private groupOpen(): string {
    this.pos++;
    if (this.peek() !== 0x3f /* ? */) {
      this.groupNames.push('');
      return '(';
    }
    if (this.p.startsWith('?:', this.pos)) {
      this.pos += 2;
      return '(?:';
    }
    const named = /^\?P?<([^>]*)>/.exec(this.p.slice(this.pos, this.pos + 80));
    if (!named || !NAME.test(named[1]!) || this.names.has(named[1]!)) outside();
    this.names.add(named[1]!);
    this.groupNames.push(named[1]!);
    this.pos += named[0].length;
    // Numbered only: the caller reads groups by number (Go's SubexpNames are `general`'s), and
    // V8 builds no `groups` object per match.
    return '(';
  }
}

function isQuantifier(c: number | undefined): boolean {
  return c === 0x2a || c === 0x2b || c === 0x3f || c === 0x7b;
}

/** A one-code-point atom as a RegExp that tests one character, with the pattern's flags. */
function atomTest(src: string, flags: string): RegExp {
  return new RegExp(`^(?:${src})$`, flags);
}

/**
 * The code point of an atom that is an ASCII literal, with its case variants when the pattern
 * is case-insensitive (Go's and JavaScript's folding agree: k also folds to the Kelvin sign
 * and s to the long s), or null.
 */
function asciiLiteral(src: string, flags: string): number[] | null {
  let cp: number;
  if (/^[0-9A-Za-z]$/.test(src)) cp = src.charCodeAt(0);
  else {
    const m = /^\\u\{([0-9a-f]+)\}$/.exec(src);
    if (!m) return null;
    cp = parseInt(m[1]!, 16);
  }
  if (cp >= 0x80) return null;
  if (!flags.includes('i') || !/[A-Za-z]/.test(String.fromCharCode(cp))) return [cp];
  const lower = String.fromCharCode(cp).toLowerCase();
  const out = [lower.charCodeAt(0), lower.toUpperCase().charCodeAt(0)];
  if (lower === 'k') out.push(0x212a);
  if (lower === 's') out.push(0x17f);
  return out;
}

/** Whether the atom `x` (a run) can match none of the characters of the literal atom `y`. */
function disjoint(x: string, y: string, flags: string): boolean {
  const chars = asciiLiteral(y, flags);
  if (!chars) return false;
  const t = atomTest(x, flags);
  return chars.every((c) => !t.test(String.fromCodePoint(c)));
}

/** The atom `x` without `\n` (a run confined to its line). */
function withoutNewline(x: string): string {
  if (x === '[^]') return '[^\\n]';
  if (x.startsWith('[^')) return `[^\\n${x.slice(2)}`;
  return `(?:(?!\\n)${x})`;
}

function anchorSource(anchor: Sequence['anchor']): string {
  return anchor === 'line' ? LINE_START : anchor === 'text' ? '^' : '';
}

/** The pattern as JavaScript source; `confine` gives each run's atom its confined form. */
function source(seq: Sequence, confine: (src: string, i: number) => string = (s) => s): string {
  let out = anchorSource(seq.anchor);
  seq.items.forEach((it, i) => {
    if (it.kind === 'open') out += it.src;
    else if (it.kind === 'close') out += ')';
    else out += it.q ? `(?:${confine(it.src, i)})${it.q}` : it.src;
  });
  return out;
}

/** Class T: after the first unbounded run, nothing can fail; optionals before it are deterministic. */
function runsEndPattern(seq: Sequence): boolean {
  const atoms = seq.items.filter((it) => it.kind === 'atom');
  const first = atoms.findIndex((a) => a.q === '*' || a.q === '+');
  return atoms.every((a, i) => {
    if (first >= 0 && i > first) return a.q === '*' || a.q === '?';
    if (a.q !== '?') return true;
    const next = atoms[i + 1];
    return next !== undefined && next.q === '' && disjoint(a.src, next.src, seq.flags);
  });
}

/** Class L's condition: each run is followed by a plain literal it cannot match, or ends the pattern. */
function deterministicRuns(seq: Sequence): boolean {
  const atoms = seq.items.filter((it) => it.kind === 'atom');
  return atoms.every((a, i) => {
    if (a.q === '') return true;
    const next = atoms[i + 1];
    if (next === undefined) return true;
    return next.q === '' && disjoint(a.src, next.src, seq.flags);
  });
}

export type Searcher = (s: string) => (from: number) => RegexMatch | null;

/** A RegExp search that keeps its last result while `from` has not passed it. */
function cachedSearch(re: RegExp, s: string): (from: number) => RegExpExecArray | null {
  let at = -1;
  let last: RegExpExecArray | null = null;
  return (from) => {
    if (at >= 0 && at <= from && (last === null || last.index >= from)) return last;
    last = execFrom(re, s, from);
    at = from;
    return last;
  };
}

/**
 * The first match at or after `from`. V8's /u search from the middle of a surrogate pair starts
 * at the pair's first half (a match before `from`): there, the search starts after the pair.
 */
function execFrom(re: RegExp, s: string, from: number): RegExpExecArray | null {
  re.lastIndex = from;
  const m = re.exec(s);
  if (m === null || m.index >= from) return m;
  re.lastIndex = from + 1;
  return re.exec(s);
}

/**
 * A linear native searcher for `pattern` (RE2 syntax) when it is in class T or L, else null.
 * `general` is the same pattern compiled by engine.ts (re2js): class L hands it the lines
 * where the confined search cannot tell. Matches are those of `general.searcher`.
 */
export function recordSearcher(pattern: string, caseInsensitive: boolean, general: Regex): { searcher: Searcher; kind: 'runs-end' | 'line' } | null {
  if (pattern.length > MAX_LENGTH) return null;
  let seq: Sequence;
  try {
    seq = new SequenceParser(pattern, caseInsensitive).parse();
  } catch (e) {
    if (e instanceof Outside) return null;
    throw e;
  }
  if (runsEndPattern(seq)) {
    const re = new RegExp(source(seq), seq.flags + 'g');
    return {
      kind: 'runs-end',
      searcher: (s) => (from) => (from > s.length ? null : execFrom(re, s, from)),
    };
  }
  if (seq.anchor === 'none' || !deterministicRuns(seq)) return null;
  // Which runs can take a newline: those are confined, and watched.
  const crossing = new Set<number>();
  seq.items.forEach((it, i) => {
    if (it.kind === 'atom' && it.q && atomTest(it.src, seq.flags).test('\n')) crossing.add(i);
  });
  if (seq.anchor === 'text' || crossing.size === 0) {
    // One attempt at the start, or runs that stay in their line: no confinement needed.
    const re = new RegExp(source(seq), seq.flags + 'g');
    return { kind: 'line', searcher: (s) => cachedSearch(re, s) };
  }
  const confined = new RegExp(source(seq, (src, i) => (crossing.has(i) ? withoutNewline(src) : src)), seq.flags + 'g');
  // Whether, at a line start, a confined run that could take a newline stopped at one: the
  // pattern's atoms (no groups), confined, where after each such run either a \n follows
  // (this sticky RegExp matches) or the rest goes on. One pass: runs are taken whole, as above.
  const atoms = seq.items.map((it, i) => [it, i] as const).filter(([it]) => it.kind === 'atom');
  const lastCrossing = Math.max(...crossing);
  let stopsSource = '(?!)';
  for (let k = atoms.length - 1; k >= 0; k--) {
    const [it, i] = atoms[k]! as readonly [Extract<Item, { kind: 'atom' }>, number];
    if (i > lastCrossing) continue;
    // A crossing `X+` is read as `X*` here: a confined run that found no character before a
    // \n also differs from the real one (which takes the \n). Reading more lines as unsure
    // than needed only sends them to re2js.
    const q = crossing.has(i) && it.q === '+' ? '*' : it.q;
    const atom = q ? `(?:${crossing.has(i) ? withoutNewline(it.src) : it.src})${q}` : it.src;
    stopsSource = crossing.has(i) ? `${atom}(?:(?=\\n)|${stopsSource})` : atom + stopsSource;
  }
  const stops = new RegExp(stopsSource, seq.flags + 'y');
  // A confined match can only be unsure through its last run (the others were followed by
  // their literal): when that run can take a newline and one follows the match.
  const lastAtom = atoms[atoms.length - 1]![1];
  const endsCrossing = crossing.has(lastAtom);
  return {
    kind: 'line',
    searcher: (s) => {
      const fast = cachedSearch(confined, s);
      let slow: ((from: number) => RegexMatch | null) | null = null;
      // Every line start before `sure` is known to give the confined result (a property of
      // the line, whatever the search's start): each line is checked once.
      let sure = 0;
      const unsureLine = (from: number, limit: number): number => {
        let line = Math.max(from, sure);
        if (line > 0 && s.charCodeAt(line - 1) !== 10) {
          const nl = s.indexOf('\n', line);
          line = nl < 0 ? s.length + 1 : nl + 1;
        }
        while (line < limit) {
          stops.lastIndex = line;
          if (stops.test(s)) return line;
          const nl = s.indexOf('\n', line);
          line = nl < 0 ? s.length + 1 : nl + 1;
        }
        sure = Math.max(sure, Math.min(line, limit));
        return -1;
      };
      return (from) => {
        if (from > s.length) return null;
        const m = fast(from);
        let u = unsureLine(from, m ? m.index : s.length);
        if (u < 0 && m && endsCrossing && s.charCodeAt(m.index + m[0]!.length) === 10) u = m.index;
        if (u < 0) return m;
        slow ??= general.searcher(s);
        return slow(u);
      };
    },
  };
}

/** For tests: the JavaScript source a pattern runs as, or null when it is outside both classes. */
export function recordSource(pattern: string, caseInsensitive: boolean): string | null {
  try {
    return source(new SequenceParser(pattern, caseInsensitive).parse());
  } catch (e) {
    if (e instanceof Outside) return null;
    throw e;
  }
}

