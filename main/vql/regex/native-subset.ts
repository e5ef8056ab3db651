/**
 * The native fast path: a narrow class of RE2 patterns that V8's backtracking RegExp matches in
 * linear time (per search: O(n·m), n the input length, m the pattern length), translated to an
 * equivalent JavaScript RegExp. Everything outside the class runs on re2js (engine.ts).
 *
 * Why: re2js is linear for every pattern but 5-40x slower than V8 on the short strings VQL
 * filters test by the million (`Name =~ '\.exe$'`). The class is decided by the grammar below,
 * never by a heuristic about the input or a timeout.
 *
 * The class (recognised by `nativeTranslation`, which returns null for anything else):
 *   pattern  = flags* branch ('|' branch)*
 *   flags    = '(?' [is]+ ')'            (at the start; later only if it changes nothing)
 *   branch   = piece*
 *   piece    = atom | group | atom ('*' | '+' | '?')
 *   group    = '(' ('?:' | '?P<' name '>' | '?<' name '>')? atom* ('|' atom*)* ')'
 *   atom     = literal | '.' | class | '\d' | '\D' | '\w' | '\s' | '^' | '$' | '\A' | '\z'
 *   class    = '[' '^'? (literal | literal '-' literal | '\d' | '\w' | '\s')+ ']'   ('-' first or last is literal)
 * with three global limits: no group inside a group, at most ONE alternation in the whole
 * pattern (a top-level '|' or one group with '|'), and at most ONE quantifier, which needs no
 * alternation anywhere and the pattern to begin with '^' or '\A' (flags aside). No counted
 * repeats, lazy quantifiers, word boundaries, \W \S or Unicode classes, (?m) or (?U).
 *
 * Proof of linearity. A backtracking matcher only does extra work at choice points: a
 * quantifier (how many times) or an alternation (which branch). Every other construct here
 * (a literal, '.', a class, an anchor, a group without '|') is deterministic: it consumes at
 * most one code point or none, and either succeeds or fails with nothing left to retry.
 *   1. No quantifier. The only choice point is the one alternation, with k branches. From any
 *      start position the matcher explores at most k paths, each at most m steps long (every
 *      step consumes a pattern element), so a search tries at most n+1 start positions at
 *      O(k·m) each: O(n·k·m) ≤ O(n·m²), linear in the input.
 *   2. One quantifier, pattern anchored at the start, no alternation. Without (?m), '^'/'\A'
 *      hold only at offset 0, so every other start position fails at the first step (V8 does
 *      not even try them: the pattern is marked anchored). At offset 0 the deterministic
 *      prefix takes ≤ m steps; the quantifier over a single-code-point matcher can stop after
 *      0..n repetitions, and for each the deterministic suffix takes ≤ m steps. Total
 *      O(n·m). (V8 runs such a loop without a backtrack stack entry per repetition.)
 * Capturing groups add no choice points, so the matches (and groups) are those of a leftmost-
 * first engine, which is Go's default semantics as well.
 *
 * Equivalence with Go's regexp (checked against re2js by test/vql/regex.test.ts): the
 * translation uses the `u` flag, so matching is by code point and `i` uses Unicode simple case
 * folding, the same equivalence classes as Go's (?i) (k, K and the Kelvin sign K; s, S and ſ).
 * Go's '.' is `[^\n]` (JS's '.' also stops at \r, U+2028, U+2029), '\d', '\w' and '\s' are
 * ASCII (written out as classes: JS's \s is wider), '$' without
 * (?m) is the end of the text. Every literal is emitted as a `\u{...}` escape (or as itself
 * when alphanumeric), so no user text reaches the RegExp syntax unquoted.
 */

/** A JavaScript translation of an RE2 pattern in the linear class, or null if it is not in it. */
export interface NativeTranslation {
  readonly source: string;
  readonly flags: string;
  /** Group names by number ('' for group 0 and unnamed groups), like Go's SubexpNames. */
  readonly groupNames: readonly string[];
}

const PUNCT = /[!-/:-@[-`{-~]/;
export const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SIMPLE_ESCAPES: Record<string, number> = { a: 7, f: 12, t: 9, n: 10, r: 13, v: 11 };
/**
 * Go's Perl classes (ASCII only, unlike JavaScript's \s), as class contents. Under (?i) both
 * engines fold the letters the same way, so `\w` also takes the Kelvin sign and the long s.
 */
const PERL_CLASSES: Record<string, string> = { d: '0-9', w: '0-9A-Za-z_', s: '\\u{9}\\u{a}\\u{c}\\u{d}\\u{20}' };

/** Thrown (and caught below) when the pattern leaves the class. */
export class Outside extends Error {}

export function outside(): never {
  throw new Outside();
}

/** A code point as JS RegExp source that means exactly that code point (in and out of classes). */
export function literal(cp: number): string {
  if ((cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a)) return String.fromCharCode(cp);
  return `\\u{${cp.toString(16)}}`;
}

/** The class's parser; record-subset.ts parses its own grammar with the same atoms. */
export class Translator {
  protected pos = 0;
  protected out = '';
  protected caseInsensitive: boolean;
  protected dotAll = false;
  private quantifiers = 0;
  private alternations = 0;
  protected readonly groupNames: string[] = [''];
  private anchoredAtStart = false;
  protected sawAtom = false;
  protected inGroup = false;
  protected readonly names = new Set<string>();

  constructor(protected readonly p: string, caseInsensitive: boolean) {
    this.caseInsensitive = caseInsensitive;
  }

  translate(): NativeTranslation {
    this.leadingFlags();
    while (this.pos < this.p.length) this.piece();
    if (this.quantifiers > 0 && (this.alternations > 0 || !this.anchoredAtStart)) outside();
    return { source: this.out, flags: this.caseInsensitive ? 'iu' : 'u', groupNames: this.groupNames };
  }

  protected peek(offset = 0): number | undefined {
    return this.p.codePointAt(this.pos + offset);
  }

  protected next(): number {
    const cp = this.p.codePointAt(this.pos);
    if (cp === undefined || (cp >= 0xd800 && cp <= 0xdfff)) outside(); // a lone surrogate: re2js decides
    this.pos += cp > 0xffff ? 2 : 1;
    return cp;
  }

  private leadingFlags(): void {
    while (this.p.startsWith('(?', this.pos)) {
      const m = /^\(\?([is]+)\)/.exec(this.p.slice(this.pos, this.pos + 8));
      if (!m) return;
      for (const f of m[1]!) {
        if (f === 'i') this.caseInsensitive = true;
        else this.dotAll = true;
      }
      this.pos += m[0].length;
    }
  }

  /** A flag group after the start: accepted only when it changes nothing. */
  private redundantFlags(): boolean {
    const m = /^\(\?([is]+)\)/.exec(this.p.slice(this.pos, this.pos + 8));
    if (!m) return false;
    for (const f of m[1]!) if (f === 'i' ? !this.caseInsensitive : !this.dotAll) outside();
    this.pos += m[0].length;
    return true;
  }

  private piece(): void {
    const c = this.peek();
    if (c === 0x28 /* ( */) {
      if (this.redundantFlags()) return;
      this.group();
      return;
    }
    if (c === 0x7c /* | */) {
      if (this.inGroup) outside();
      this.pos++;
      this.alternations++;
      if (this.alternations > 1) outside();
      this.out += '|';
      return;
    }
    const start = this.out.length;
    const single = this.atom();
    const q = this.peek();
    if (q === 0x2a || q === 0x2b || q === 0x3f /* * + ? */) {
      if (!single || this.inGroup) outside();
      this.pos++;
      const after = this.peek();
      if (after === 0x3f || after === 0x2a || after === 0x2b || after === 0x7b) outside(); // lazy or nested: re2js
      this.quantifiers++;
      if (this.quantifiers > 1) outside();
      this.out = this.out.slice(0, start) + `(?:${this.out.slice(start)})` + String.fromCharCode(q);
    }
  }

  private group(): void {
    if (this.inGroup) outside();
    this.pos++; // (
    let open = '(';
    if (this.peek() === 0x3f /* ? */) {
      const rest = this.p.slice(this.pos, this.pos + 80); // a longer group name leaves the class
      const named = /^\?P?<([^>]*)>/.exec(rest);
      if (rest.startsWith('?:')) {
        open = '(?:';
        this.pos += 2;
      } else if (named && NAME.test(named[1]!) && !this.names.has(named[1]!)) {
        this.names.add(named[1]!);
        open = `(?<${named[1]}>`;
        this.pos += named[0].length;
        this.groupNames.push(named[1]!);
      } else outside();
    } else this.groupNames.push('');
    this.out += open;
    this.inGroup = true;
    let alternated = false;
    for (;;) {
      const c = this.peek();
      if (c === undefined) outside();
      if (c === 0x29 /* ) */) {
        this.pos++;
        break;
      }
      if (c === 0x7c) {
        this.pos++;
        if (!alternated) this.alternations++;
        alternated = true;
        if (this.alternations > 1) outside();
        this.out += '|';
        continue;
      }
      if (c === 0x28) outside();
      this.atom();
      const q = this.peek();
      if (q === 0x2a || q === 0x2b || q === 0x3f || q === 0x7b) outside();
    }
    this.inGroup = false;
    this.out += ')';
    const q = this.peek();
    if (q === 0x2a || q === 0x2b || q === 0x3f || q === 0x7b) outside();
  }

  /** One atom; true when it matches exactly one code point (so it may take a quantifier). */
  protected atom(): boolean {
    const first = !this.sawAtom;
    this.sawAtom = true;
    const c = this.next();
    switch (c) {
      case 0x5e /* ^ */:
        if (first && !this.inGroup) this.anchoredAtStart = true;
        this.out += '^';
        return false;
      case 0x24 /* $ */:
        this.out += '$';
        return false;
      case 0x2e /* . */:
        this.out += this.dotAll ? '[^]' : '[^\\n]';
        return true;
      case 0x5b /* [ */:
        this.out += this.charClass();
        return true;
      case 0x5c /* \ */:
        return this.escape(first);
      case 0x2a: case 0x2b: case 0x3f: case 0x7b: case 0x7d: case 0x29: case 0x5d: // * + ? { } ) ]
        outside();
      default:
        this.out += literal(c);
        return true;
    }
  }

  private escape(first: boolean): boolean {
    const e = this.next();
    const ch = String.fromCodePoint(e);
    if (ch === 'A') {
      if (first && !this.inGroup) this.anchoredAtStart = true;
      this.out += '^';
      return false;
    }
    if (ch === 'z') {
      this.out += '$';
      return false;
    }
    if (ch === 'd' || ch === 'D') {
      this.out += ch === 'd' ? '[0-9]' : '[^0-9]';
      return true;
    }
    if (ch === 'w' || ch === 's') {
      this.out += `[${PERL_CLASSES[ch]}]`;
      return true;
    }
    if (ch === 'Q') {
      // \Q...\E: literal text. Kept out of the class when it would be quantified (Go applies
      // the quantifier to the last code point only; rare enough to leave to re2js).
      const end = this.p.indexOf('\\E', this.pos);
      const text = this.p.slice(this.pos, end < 0 ? this.p.length : end);
      this.pos = end < 0 ? this.p.length : end + 2;
      if (text === '') outside();
      for (const t of text) this.out += literal(t.codePointAt(0)!);
      const q = this.peek();
      if (q === 0x2a || q === 0x2b || q === 0x3f || q === 0x7b) outside();
      return false;
    }
    this.out += literal(this.escapedCodePoint(e));
    return true;
  }

  /** The code point of an escape that stands for one literal code point (outside or in a class). */
  private escapedCodePoint(e: number): number {
    const ch = String.fromCodePoint(e);
    if (e < 0x80 && PUNCT.test(ch)) return e;
    if (ch in SIMPLE_ESCAPES) return SIMPLE_ESCAPES[ch]!;
    if (ch === 'x') {
      const braced = /^\{([0-9A-Fa-f]{1,6})\}/.exec(this.p.slice(this.pos, this.pos + 8));
      const two = /^[0-9A-Fa-f]{2}/.exec(this.p.slice(this.pos, this.pos + 2));
      const m = braced ?? two;
      if (!m) outside();
      const cp = parseInt(braced ? braced[1]! : two![0], 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) outside();
      this.pos += m[0].length;
      return cp;
    }
    return outside();
  }

  private charClass(): string {
    let src = '[';
    if (this.peek() === 0x5e) {
      this.pos++;
      src += '^';
    }
    if (this.peek() === 0x5d) outside(); // a leading ']' is literal in Go: leave it to re2js
    let items = 0;
    for (;;) {
      const c = this.peek();
      if (c === undefined) outside();
      if (c === 0x5d) {
        this.pos++;
        break;
      }
      if (c === 0x5b) outside(); // '[' (POSIX classes)
      if (c === 0x2d) {
        // A '-' is literal first or last (Go's and JavaScript's rule), else it leaves the class.
        if (items > 0 && this.p[this.pos + 1] !== ']') outside();
        this.pos++;
        src += literal(0x2d);
        items++;
        continue;
      }
      const perl = c === 0x5c ? this.p[this.pos + 1] : undefined;
      if (perl === 'd' || perl === 'w' || perl === 's') {
        this.pos += 2;
        src += PERL_CLASSES[perl];
        items++;
        continue;
      }
      const lo = this.classChar();
      if (this.peek() === 0x2d && this.p[this.pos + 1] !== ']') {
        this.pos++;
        if (this.peek() === 0x5b || (this.peek() === 0x5c && this.p[this.pos + 1] === 'd')) outside();
        const hi = this.classChar();
        if (hi < lo) outside(); // Go: invalid character class range; re2js reports it
        src += literal(lo) + '-' + literal(hi);
      } else src += literal(lo);
      items++;
    }
    if (items === 0) outside();
    return src + ']';
  }

  private classChar(): number {
    const c = this.next();
    if (c !== 0x5c) return c;
    return this.escapedCodePoint(this.next());
  }
}

/**
 * The JavaScript translation of `pattern` (RE2 syntax) when it lies in the linear class above,
 * else null. `caseInsensitive` is the caller's default (Velociraptor's `(?i)` prefix).
 */
export function nativeTranslation(pattern: string, caseInsensitive: boolean): NativeTranslation | null {
  try {
    return new Translator(pattern, caseInsensitive).translate();
  } catch (e) {
    if (e instanceof Outside) return null;
    throw e;
  }
}
