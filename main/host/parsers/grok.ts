/**
 * `grok(grok, data, patterns, all_captures)`: parses text with a grok expression
 * (`%{SYNTAX:name}` references to named patterns) into a dict of captures, keys sorted,
 * values strings. No match gives an empty dict; an expression that does not compile gives
 * NULL with the reason in the log.
 *
 * Grok patterns are written for Oniguruma (Logstash). They are translated to RE2 and
 * compiled by the project's one RE2 compiler: atomic groups `(?>...)` become `(?:...)` and
 * possessive quantifiers greedy ones (RE2 never backtracks, so the set of matching texts can
 * only grow), `(?<name>` becomes a capture; lookaround, backreferences and conditionals, which
 * RE2 cannot express, are reported as errors naming the pattern. The built-in patterns are in
 * grok-patterns.ts.
 *
 * Difference from Velociraptor: Velociraptor compiles the grok object once per query and then
 * ignores `patterns` and `all_captures` of later calls; here each call's arguments count.
 */
import { VDict, type FunctionDef, type Scope, type Value } from '../../vql/index.ts';
import type { Regex } from '../../vql/regex/engine.ts';
import { cachedRegex } from '../../vql/protocols/regex.ts';
import { textOf } from '../files/text.ts';
import { LOGSTASH_CORE, RE2_FORMS, VELOCIRAPTOR_EXTRA } from './grok-patterns.ts';

/** A construct of the pattern that RE2 cannot express. */
export class GrokError extends Error {
  override name = 'GrokError';
}

/**
 * Translates an Oniguruma pattern body to RE2 syntax; throws GrokError for lookaround,
 * backreferences, conditionals and other Oniguruma-only constructs.
 */
export function onigurumaToRe2(body: string): string {
  let out = '';
  let inClass = false;
  // Whether the last thing written was a quantifier (so a following '+' is possessive).
  let afterQuantifier = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\\') {
      afterQuantifier = false;
      const n = body[i + 1] ?? '';
      if (!inClass && /[1-9]/.test(n)) throw new GrokError(`backreference \\${n} is not supported by RE2`);
      if (n === 'k' && body[i + 2] === '<') throw new GrokError('named backreference \\k<...> is not supported by RE2');
      if (n === 'h') {
        out += inClass ? '0-9a-fA-F' : '[0-9a-fA-F]';
        i++;
        continue;
      }
      if (n === 'H' && !inClass) {
        out += '[^0-9a-fA-F]';
        i++;
        continue;
      }
      if (n === 'Z' && !inClass) throw new GrokError('\\Z (end before a final newline) is not supported by RE2: use $ or \\z');
      if (n === 'G' && !inClass) throw new GrokError('\\G is not supported by RE2');
      out += c + n;
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      afterQuantifier = false;
      inClass = true;
      out += c;
      // A ']' right after '[' or '[^' is a literal.
      if (body[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (body[i + 1] === ']') {
        out += ']';
        i++;
      }
      continue;
    }
    if (c === '(' && body[i + 1] === '?') {
      afterQuantifier = false;
      const rest = body.slice(i + 2);
      if (rest.startsWith('>')) {
        out += '(?:';
        i += 2;
        continue;
      }
      if (rest.startsWith('=') || rest.startsWith('!')) throw new GrokError(`lookahead (?${rest[0]}...) is not supported by RE2`);
      if (rest.startsWith('<=') || rest.startsWith('<!')) throw new GrokError(`lookbehind (?${rest.slice(0, 2)}...) is not supported by RE2`);
      if (rest.startsWith('(')) throw new GrokError('conditional (?(...)...) is not supported by RE2');
      if (rest.startsWith('~')) throw new GrokError('absent operator (?~...) is not supported by RE2');
      const named = /^<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
      if (named) {
        out += `(?P<${named[1]}>`;
        i += 1 + named[0].length;
        continue;
      }
      out += c;
      continue;
    }
    if (c === '+' && afterQuantifier) {
      // x*+, x++, x?+, x{n}+: possessive, read as greedy.
      afterQuantifier = false;
      continue;
    }
    // '}' ends a quantifier only when it closes {n}, {n,} or {n,m} (not a %{REF}).
    afterQuantifier = c === '*' || c === '+' || c === '?' || (c === '}' && /\{\d+(?:,\d*)?$/.test(out));
    out += c;
  }
  return out;
}

const REF = /%\{([A-Za-z0-9_]+)(?::([^:}]*))?(?::([^}]*))?\}/g;

/** The built-in patterns in RE2 syntax, by name. */
const BUILTIN: ReadonlyMap<string, string> = (() => {
  const m = new Map<string, string>();
  for (const [name, body] of [...LOGSTASH_CORE, ...VELOCIRAPTOR_EXTRA]) m.set(name, RE2_FORMS[name] ?? onigurumaToRe2(body));
  return m;
})();

/** The built-in pattern names (Velociraptor's 77). */
export const BUILTIN_PATTERN_NAMES: readonly string[] = [...BUILTIN.keys()];

export interface CompiledGrok {
  /** The whole expression in RE2 syntax, captures named g0, g1... */
  readonly source: string;
  /** Capture alias → the name it reports. */
  readonly names: ReadonlyMap<string, string>;
}

/**
 * Expands a grok expression into one RE2 pattern. `%{P:name}` (and, with all_captures,
 * `%{P}`) become captures; `%{P:name:type}` types are ignored (values stay strings, as in
 * Velociraptor). Throws GrokError for an unknown or recursive pattern or an Oniguruma-only
 * construct.
 */
export function expandGrok(expression: string, extra: ReadonlyMap<string, string>, allCaptures: boolean): CompiledGrok {
  const names = new Map<string, string>();
  const translated = new Map<string, string>();
  const bodyOf = (name: string): string => {
    const own = extra.get(name);
    if (own !== undefined) {
      let t = translated.get(name);
      if (t === undefined) {
        try {
          t = onigurumaToRe2(own);
        } catch (e) {
          throw new GrokError(`pattern ${name}: ${(e as Error).message}`);
        }
        translated.set(name, t);
      }
      return t;
    }
    const b = BUILTIN.get(name);
    if (b === undefined) throw new GrokError(`unknown pattern %{${name}}`);
    return b;
  };
  const capture = (label: string, inner: string): string => {
    const alias = `g${names.size}`;
    names.set(alias, label);
    return `(?P<${alias}>${inner})`;
  };
  const expand = (text: string, stack: readonly string[]): string => {
    // Named groups written in a pattern are captures too.
    const withNamed = text.replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, (_m, n: string) => {
      const alias = `g${names.size}`;
      names.set(alias, n);
      return `(?P<${alias}>`;
    });
    return withNamed.replace(REF, (_m, pat: string, sem: string | undefined) => {
      if (stack.includes(pat)) throw new GrokError(`pattern %{${pat}} refers to itself (${[...stack, pat].join(' → ')})`);
      const inner = expand(bodyOf(pat), [...stack, pat]);
      if (sem) return capture(sem, inner);
      if (allCaptures) return capture(pat, inner);
      return `(?:${inner})`;
    });
  };
  let top: string;
  try {
    top = onigurumaToRe2(expression);
  } catch (e) {
    throw new GrokError(`argument grok: ${(e as Error).message}`);
  }
  return { source: expand(top, []), names };
}

const GROK_CACHE = Symbol('grok-cache');

function compiled(expression: string, extra: ReadonlyMap<string, string>, allCaptures: boolean, scope: Scope): CompiledGrok | GrokError {
  let cache = scope.env.context.get(GROK_CACHE) as Map<string, CompiledGrok | GrokError> | undefined;
  if (!cache) scope.env.context.set(GROK_CACHE, (cache = new Map()));
  const key = JSON.stringify([expression, [...extra], allCaptures]);
  let c = cache.get(key);
  if (!c) {
    try {
      c = expandGrok(expression, extra, allCaptures);
    } catch (e) {
      c = e instanceof GrokError ? e : new GrokError(String(e));
    }
    if (cache.size > 1000) cache.clear();
    cache.set(key, c);
  }
  return c;
}

/** The captures of `re` over `text`: sorted names, the first non-empty value of a name. */
export function grokMatch(re: Regex, names: ReadonlyMap<string, string>, text: string): VDict {
  const m = re.searcher(text)(0);
  const out = new VDict();
  if (!m) return out;
  const values = new Map<string, string>();
  for (let g = 1; g < re.groupNames.length; g++) {
    const label = names.get(re.groupNames[g]!);
    if (label === undefined) continue;
    const v = m[g] ?? '';
    const prev = values.get(label);
    if (prev === undefined || (prev === '' && v !== '')) values.set(label, v);
  }
  for (const k of [...values.keys()].sort()) out.set(k, values.get(k)!);
  return out;
}

export const grok: FunctionDef = {
  name: 'grok',
  doc: 'Parse text with a grok expression (%{PATTERN:name}; Velociraptor\'s 77 built-in patterns): a dict of captures, keys sorted, values strings; {} when it does not match.',
  args: {
    grok: { type: 'string', required: true, doc: 'The grok expression, e.g. %{COMMONAPACHELOG}' },
    data: { type: 'any', required: true, doc: 'The text to parse' },
    patterns: { type: 'any', doc: 'Extra named patterns: a dict of name → pattern (non-string values are ignored)' },
    all_captures: { type: 'bool', doc: 'Capture bare %{PATTERN} references too, under the pattern\'s name' },
  },
  run(call) {
    const { args, scope } = call;
    const log = call.log.bind(call);
    const extra = new Map<string, string>();
    if (args.patterns instanceof VDict) for (const [k, v] of args.patterns.entries()) if (typeof v === 'string') extra.set(k, v);
    const expression = String(args.grok ?? '');
    const c = compiled(expression, extra, args.all_captures === true, scope);
    if (c instanceof GrokError) {
      log('error', `${c.message} (in ${JSON.stringify(expression.length > 200 ? expression.slice(0, 200) + '...' : expression)})`);
      return null;
    }
    const re = cachedRegex(c.source, scope, { caseSensitive: true, callee: `grok: argument grok ${JSON.stringify(expression)}` });
    if (!re) return null;
    const data: Value = args.data;
    return grokMatch(re, c.names, data === null || data === undefined ? '' : textOf(data));
  },
};
