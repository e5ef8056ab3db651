/**
 * Values to times as Velociraptor's `TimeFromAny` reads them (VQL-FUNCTIONS.md 5.1): times as
 * they are; floats as seconds with a fraction; integers (and integer strings, with Go's base
 * prefixes) by size: > 2e16 nanoseconds, > 2e13 microseconds, > 2e10 milliseconds, else seconds,
 * 0 the zero time; `""` the zero time; other strings by dateparse in the parse zone.
 * The parse zone is the VQL variable `PARSE_TZ` (an IANA name or `local`), else `TZ`, else UTC,
 * read once per query.
 */
import { VTime, type Value } from '../values/types.ts';
import { isFloat, isNumeric, toBigInt, toNumber } from '../values/kinds.ts';
import type { Scope } from '../eval/scope.ts';
import { dateparse } from './dateparse.ts';
import type { ParsedTime } from './go-layout.ts';
import { resolveZone, wallToUtc } from './zone.ts';

/** Go's zero time, 0001-01-01T00:00:00Z, in nanoseconds since 1970. */
export const ZERO_TIME = new VTime(-62_135_596_800n * 1_000_000_000n);

/** A parsed wall clock as a time: at its own offset when it has one, else in `zone`. */
export function timeFromParsed(t: ParsedTime, zone: string): VTime {
  const d = new Date(Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second));
  if (t.year >= 0 && t.year < 100) d.setUTCFullYear(t.year);
  const wall = d.getTime();
  const utc = t.offset !== undefined ? wall - t.offset * 1000 : wallToUtc(zone, wall);
  return new VTime(BigInt(utc) * 1_000_000n + BigInt(t.nano));
}

/** An integer by Go's `strconv.ParseInt(s, 0, 64)`: `0x10`, `0b1`, `0o7`, a leading 0 is octal. */
export function goParseInt(s: string): bigint | null {
  const m = /^([+-]?)(0[xX][0-9a-fA-F](?:_?[0-9a-fA-F])*|0[bB][01](?:_?[01])*|0[oO]?(?:_?[0-7])*|[1-9](?:_?[0-9])*)$/.exec(s);
  if (!m) return null;
  let body = m[2]!.replace(/_/g, '');
  if (/^0[0-7]/.test(body)) body = '0o' + body.slice(1);
  else if (/^0[oO]$/.test(body)) return null;
  const n = BigInt(body.toLowerCase().startsWith('0o') ? '0o' + body.slice(2) : body);
  const v = m[1] === '-' ? -n : n;
  return v >= -(2n ** 63n) && v < 2n ** 63n ? v : null;
}

/** An integer count of seconds, ms, µs or ns by its size (utils.ParseTimeFromInt64). */
export function timeFromInt(n: bigint): VTime {
  if (n === 0n) return ZERO_TIME;
  if (n > 20_000_000_000_000_000n) return new VTime(n);
  if (n > 20_000_000_000_000n) return new VTime(n * 1000n);
  if (n > 20_000_000_000n) return new VTime(n * 1_000_000n);
  return new VTime(n * 1_000_000_000n);
}

/** A date string in `zone` (numeric-only strings are epochs); null when it is not a date. */
export function timeFromString(s: string, zone: string): VTime | null {
  if (s === '') return ZERO_TIME;
  const n = goParseInt(s.trim());
  if (n !== null) return timeFromInt(n);
  const t = dateparse(s);
  return t ? timeFromParsed(t, zone) : null;
}

/** Any value as a time (the table above); null for what is not one. */
export function timeFromAny(v: Value, zone = 'UTC'): VTime | null {
  if (v instanceof VTime) return v;
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return timeFromString(v, zone);
  if (typeof v === 'boolean') return timeFromInt(v ? 1n : 0n);
  if (!isNumeric(v)) return null;
  if (isFloat(v)) {
    const f = toNumber(v);
    if (!Number.isFinite(f)) return null;
    if (f === 0) return ZERO_TIME;
    const whole = Math.floor(f);
    return new VTime(BigInt(whole) * 1_000_000_000n + BigInt(Math.round((f - whole) * 1e9)));
  }
  return timeFromInt(toBigInt(v)!);
}

const ZONE_KEY = Symbol('parse-zone');
const ZONE_VARIABLES = ['PARSE_TZ', 'TZ'];

/** The zone the first set variable names (cached for the query); an unknown name is logged and read as UTC. */
function decideZone(scope: Scope, values: readonly Value[]): string {
  let zone = 'UTC';
  const name = values.find((v) => typeof v === 'string' && v !== '') as string | undefined;
  if (name !== undefined) {
    const resolved = resolveZone(name);
    if (resolved) zone = resolved;
    else scope.log('warn', `Unable to load timezone ${JSON.stringify(name)}: reading times as UTC`);
  }
  scope.env.context.set(ZONE_KEY, zone);
  return zone;
}

/**
 * The parse zone of this query: `PARSE_TZ`, else `TZ`, else UTC; read at the first parse and
 * kept for the query.
 */
export async function parseZone(scope: Scope): Promise<string> {
  const cached = scope.env.context.get(ZONE_KEY) as string | undefined;
  if (cached !== undefined) return cached;
  return decideZone(scope, await Promise.all(ZONE_VARIABLES.map((n) => scope.lookup(n) as Value | Promise<Value>)));
}

/**
 * The same, for synchronous callers (comparison protocols): when a variable can only be read
 * asynchronously (a lazy LET), UTC for now, and the zone is read at the next asynchronous parse.
 */
export function parseZoneNow(scope: Scope): string {
  const cached = scope.env.context.get(ZONE_KEY) as string | undefined;
  if (cached !== undefined) return cached;
  const values = ZONE_VARIABLES.map((n) => scope.lookup(n) as Value | Promise<Value>);
  if (values.some((v) => v instanceof Promise)) return 'UTC';
  return decideZone(scope, values as Value[]);
}
