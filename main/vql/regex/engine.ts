/**
 * The one place where VQL compiles a regex. Velociraptor's regexes are Go's `regexp` (RE2):
 * its syntax (no backreferences or lookaround; `(?P<name>)`, `\Q..\E`, `[[:alpha:]]`, `\pL`),
 * leftmost-first matching, and matching in time linear in the input. A backtracking engine
 * (JavaScript's RegExp) gives none of the last: `'aaaa…!' =~ '^(a+)+$'` runs for minutes.
 *
 * `compileRegex` gives every pattern RE2's meaning. The narrow class of patterns that
 * native-subset.ts proves linear under backtracking (literals, literal alternations,
 * `^prefix.*suffix$`...) runs on an equivalent native RegExp, several times faster on the
 * short strings that VQL filters test by the million; that class is a sub-grammar of RE2, so
 * its patterns are valid. Every other pattern is compiled by re2js (a port of RE2 / Go's
 * regexp: its errors are RE2's) and runs on its lazy DFA or NFA, in linear time.
 *
 * Offsets are UTF-16 code units of the JS string (Go's are UTF-8 bytes); matching is by code
 * point in both engines.
 */
import { RE2JS } from 're2js';
import { nativeTranslation } from './native-subset.ts';

/** A match, shaped like RegExp.exec's result: [whole, group 1, ...], `index`, named `groups`. */
export type RegexMatch = ArrayLike<string | undefined> & {
  readonly index: number;
  readonly groups?: Readonly<Record<string, string | undefined>>;
};

export interface Regex {
  /** The pattern as written (RE2 syntax). */
  readonly pattern: string;
  /** The engine that runs it: the proven-linear native subset, or re2js. */
  readonly engine: 'native' | 're2';
  /** Group names by number, as Go's SubexpNames: '' for group 0 and unnamed groups. */
  readonly groupNames: readonly string[];
  /** Whether `s` contains a match (Go's MatchString). */
  test(s: string): boolean;
  /**
   * A search over `s`: each call returns the leftmost-first match starting at or after `from`
   * (Go's doExecute(pos): `^` and `\b` still see the text before `from`), or null.
   */
  searcher(s: string): (from: number) => RegexMatch | null;
}

/** An invalid pattern; the message is RE2's (`error parsing regexp: ...`). */
export class RegexSyntaxError extends Error {
  override name = 'RegexSyntaxError';
}

/**
 * Longer patterns skip the native path: V8 refuses very large regexes ("Regular expression
 * too large"), and only when it first runs them; re2js compiles megabyte patterns.
 */
const NATIVE_MAX_LENGTH = 4096;

/** Perl syntax that RE2 rejects: backreferences (`\1`, `\k<n>`, `(?P=n)`) and lookaround. */
const PERLISMS = /\\[1-9k]|\(\?<?[=!]|\(\?P[=>]/;

/**
 * Compiles `pattern` (RE2 syntax). `caseInsensitive` is Velociraptor's `(?i)` prefix, which
 * `=~` and the regex functions add (split does not). Throws RegexSyntaxError.
 */
export function compileRegex(pattern: string, caseInsensitive: boolean): Regex {
  const native = pattern.length <= NATIVE_MAX_LENGTH ? nativeTranslation(pattern, caseInsensitive) : null;
  if (native) return new NativeRegex(pattern, native.source, native.flags, native.groupNames);
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern, caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (e) {
    let message = e instanceof RangeError ? `error parsing regexp: expression too complex (${e.message})` : (e as Error).message;
    if (PERLISMS.test(pattern)) message += ' (RE2 syntax, as in Go: no backreferences or lookaround)';
    throw new RegexSyntaxError(message);
  }
  return new Re2Regex(pattern, re);
}

/** A pattern of the linear class, run by V8 (see native-subset.ts for the proof). */
class NativeRegex implements Regex {
  readonly engine = 'native';
  private readonly once: RegExp;
  private readonly global: RegExp;

  constructor(readonly pattern: string, source: string, flags: string, readonly groupNames: readonly string[]) {
    this.once = new RegExp(source, flags);
    this.global = new RegExp(source, flags + 'g');
  }

  test(s: string): boolean {
    return this.once.test(s);
  }

  searcher(s: string): (from: number) => RegexMatch | null {
    const re = this.global;
    return (from) => {
      if (from > s.length) return null;
      re.lastIndex = from;
      return re.exec(s);
    };
  }
}

/** Any other valid pattern, run by re2js in linear time. */
class Re2Regex implements Regex {
  readonly engine = 're2';
  readonly groupNames: readonly string[];
  private readonly named: ReadonlyArray<readonly [string, number]>;

  constructor(readonly pattern: string, private readonly re: RE2JS) {
    const names: string[] = new Array<string>(re.groupCount() + 1).fill('');
    for (const [name, i] of Object.entries(re.namedGroups())) names[i] = name;
    this.groupNames = names;
    this.named = Object.entries(re.namedGroups());
  }

  test(s: string): boolean {
    return this.re.test(s);
  }

  searcher(s: string): (from: number) => RegexMatch | null {
    const m = this.re.matcher(s);
    const count = this.groupNames.length;
    return (from) => {
      if (from > s.length || !m.find(from)) return null;
      const out = new Array<string | undefined>(count) as Array<string | undefined> & { index: number; groups?: Record<string, string | undefined> };
      for (let g = 0; g < count; g++) out[g] = m.group(g) ?? undefined;
      out.index = m.start();
      if (this.named.length) {
        const groups: Record<string, string | undefined> = Object.create(null);
        for (const [name, i] of this.named) groups[name] = out[i];
        out.groups = groups;
      }
      return out;
    };
  }
}
