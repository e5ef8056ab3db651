/**
 * Regex match `a =~ b` (SPEC 9.11) and the per-session cache of compiled patterns that every
 * regex-taking function shares. Patterns are RE2 (Go's regexp), compiled only through
 * compileRegex (main/vql/regex/engine.ts): linear-time matching, RE2's errors.
 */
import type { Value } from '../values/types.ts';
import { isString } from '../values/kinds.ts';
import type { Scope } from '../eval/scope.ts';
import { findHandler } from './dispatch.ts';
import { compileRegex, type Regex } from '../regex/engine.ts';

const CACHE_KEY = Symbol('regex-cache');
/** At most this many compiled patterns per session, and this many pattern characters. */
export const REGEX_CACHE_ENTRIES = 4096;
export const REGEX_CACHE_CHARS = 4_000_000;

interface RegexCache {
  /** Case-insensitive and case-sensitive patterns, oldest first. */
  readonly insensitive: Map<string, Regex | null>;
  readonly sensitive: Map<string, Regex | null>;
  chars: number;
}

export interface RegexOptions {
  /** Case-sensitive matching (split); otherwise `(?i)` as Velociraptor prefixes it. */
  readonly caseSensitive?: boolean;
  /** The function (or operator) to name in the error logged for an invalid pattern. */
  readonly callee?: string;
}

/**
 * The compiled `pattern`, cached per session (bounded: the oldest entries go first); null if
 * invalid, after logging RE2's error naming the callee and the pattern (once per session).
 */
export function cachedRegex(pattern: string, scope: Scope, options: RegexOptions = {}): Regex | null {
  let cache = scope.env.context.get(CACHE_KEY) as RegexCache | undefined;
  if (!cache) {
    cache = { insensitive: new Map(), sensitive: new Map(), chars: 0 };
    scope.env.context.set(CACHE_KEY, cache);
  }
  const map = options.caseSensitive ? cache.sensitive : cache.insensitive;
  const hit = map.get(pattern);
  if (hit !== undefined) return hit;
  let re: Regex | null;
  try {
    re = compileRegex(pattern, !options.caseSensitive);
  } catch (e) {
    scope.log('error', `${options.callee ?? 'regex'}: invalid regex ${clip(JSON.stringify(pattern))}: ${clip((e as Error).message)}`);
    re = null;
  }
  map.set(pattern, re);
  cache.chars += pattern.length;
  evict(cache, map);
  return re;
}

/** How many compiled patterns, and pattern characters, this session's cache holds. */
export function regexCacheStats(scope: Scope): { entries: number; chars: number } {
  const cache = scope.env.context.get(CACHE_KEY) as RegexCache | undefined;
  return { entries: (cache?.insensitive.size ?? 0) + (cache?.sensitive.size ?? 0), chars: cache?.chars ?? 0 };
}

/** Text for a log line, cut to 300 characters (a pattern may be megabytes long). */
function clip(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}... (${text.length} characters)` : text;
}

/** Drops the oldest entries (of `map` first) until the cache is within its bounds. */
function evict(cache: RegexCache, map: Map<string, Regex | null>): void {
  const over = () => cache.insensitive.size + cache.sensitive.size > REGEX_CACHE_ENTRIES || cache.chars > REGEX_CACHE_CHARS;
  for (const m of [map, map === cache.sensitive ? cache.insensitive : cache.sensitive]) {
    for (const [k] of m) {
      if (!over()) return;
      m.delete(k);
      cache.chars -= k.length;
    }
  }
}

const LATIN1 = new TextDecoder('latin1');

/** The text a string value is matched as: byte strings decoded as latin1 (one char a byte). */
function matchText(s: string | { bytes: Uint8Array }): string {
  return typeof s === 'string' ? s : LATIN1.decode(s.bytes);
}

const MATCH_OPERATOR: RegexOptions = { callee: '=~' };

/**
 * `a =~ pattern` (case-insensitive): host handlers first (OSPath...), then strings (byte
 * strings as latin1) and arrays (any element). `callee` names the caller in errors.
 */
export function regexMatch(a: Value, pattern: Value, scope: Scope, callee = '=~'): boolean {
  if (typeof a === 'object' && a !== null && !Array.isArray(a) && scope.env.registry.protocols.regex.length) {
    const h = findHandler(scope.env.registry.protocols.regex, a, pattern);
    if (h) return h.apply(a, pattern, scope) === true;
  }
  if (!isString(pattern)) return false;
  const p = typeof pattern === 'string' ? pattern : new TextDecoder().decode(pattern.bytes);
  if (p === '' || p === '.' || p === '.*') return true;
  if (isString(a)) {
    const re = cachedRegex(p, scope, callee === '=~' ? MATCH_OPERATOR : { callee });
    return re !== null && re.test(matchText(a));
  }
  if (Array.isArray(a)) {
    for (const e of a) if (regexMatch(e, pattern, scope, callee)) return true;
  }
  return false;
}
