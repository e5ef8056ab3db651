/**
 * Regex match `a =~ b` (SPEC 9.11) and the RE2-to-JavaScript translation that every regex
 * taking function uses. Compiled patterns are cached per session (the scope context).
 */
import type { Value } from '../values/types.ts';
import { isString } from '../values/kinds.ts';
import type { Scope } from '../eval/scope.ts';
import { findHandler } from './dispatch.ts';

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7F', blank: '\\t ', cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9', graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~', space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z', word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};

/**
 * Translates RE2 syntax to a JS RegExp: leading and inline flag groups `(?i)`, `(?s)`,
 * `(?m)`, `(?is)`; `\A` and `\z`; `(?P<name>`; POSIX classes; `\Q...\E`.
 * Throws a SyntaxError for an invalid pattern.
 */
export function re2ToRegExp(pattern: string, extraFlags = ''): RegExp {
  const flags = new Set(extraFlags.split('').filter(Boolean));
  let src = pattern;
  // Flag groups: JS (before ES2025 modifiers) only supports them as global flags.
  src = src.replace(/\(\?([imsU]+)\)/g, (_m, f: string) => {
    for (const c of f) if (c !== 'U') flags.add(c);
    return '';
  });
  src = src.replace(/\\Q([\s\S]*?)(?:\\E|$)/g, (_m, lit: string) => lit.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'));
  src = src.replace(/\(\?P</g, '(?<');
  src = src.replace(/\[:(\^?)([a-z]+):\]/g, (m, neg: string, name: string) => {
    const cls = POSIX[name];
    if (!cls) return m;
    return neg ? `^${cls}` : cls;
  });
  src = src.replace(/\\A/g, '^').replace(/\\z/g, '$(?![\\s\\S])');
  const useUnicode = /\\[pP]\{|\\[pP][A-Z]/.test(src);
  if (useUnicode) flags.add('u');
  return new RegExp(src, [...flags].join(''));
}

const CACHE_KEY = Symbol('regex-cache');

/**
 * A compiled matcher for `pattern` (case-insensitive by default), cached per session; null
 * if invalid, after logging an error that names `callee` when given.
 */
export function cachedRegex(pattern: string, scope: Scope, flags = 'i', callee?: string): RegExp | null {
  let cache = scope.env.context.get(CACHE_KEY) as Map<string, RegExp | null> | undefined;
  if (!cache) {
    cache = new Map();
    scope.env.context.set(CACHE_KEY, cache);
  }
  const key = flags + '\u0000' + pattern;
  let re = cache.get(key);
  if (re === undefined) {
    try {
      re = re2ToRegExp(pattern, flags);
    } catch (e) {
      scope.log('error', `${callee ? `${callee}: invalid` : 'Invalid'} regex ${JSON.stringify(pattern)}: ${(e as Error).message}`);
      re = null;
    }
    if (cache.size > 10_000) cache.clear();
    cache.set(key, re);
  }
  return re;
}

export function regexMatch(a: Value, pattern: Value, scope: Scope): boolean {
  if (typeof a === 'object' && a !== null && !Array.isArray(a) && scope.env.registry.protocols.regex.length) {
    const h = findHandler(scope.env.registry.protocols.regex, a, pattern);
    if (h) return h.apply(a, pattern, scope) === true;
  }
  if (!isString(pattern)) return false;
  const p = typeof pattern === 'string' ? pattern : new TextDecoder().decode(pattern.bytes);
  if (p === '' || p === '.' || p === '.*') return true;
  if (isString(a)) {
    const re = cachedRegex(p, scope);
    if (!re) return false;
    const s = typeof a === 'string' ? a : new TextDecoder('latin1').decode(a.bytes);
    re.lastIndex = 0;
    return re.test(s);
  }
  if (Array.isArray(a)) {
    for (const e of a) if (regexMatch(e, pattern, scope)) return true;
  }
  return false;
}
