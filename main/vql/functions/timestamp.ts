import { VTime, type Value } from '../values/types.ts';
import type { FunctionDef } from '../registry.ts';
import { toBigInt, isNumeric } from '../values/kinds.ts';
import { parseGoLayout } from '../time/go-layout.ts';
import { parseZone, timeFromAny, timeFromParsed } from '../time/parse.ts';

/** A time from a value as Velociraptor reads it (main/vql/time/parse.ts), in UTC; null when it is none. */
export function timeFromEpoch(v: Value): VTime | null {
  return timeFromAny(v);
}

const NS = 1_000_000_000n;
/** Seconds from 1970 back to 2001-01-01 (Cocoa) and 1904-01-01 (HFS+), and 1601-01-01 in 100 ns ticks. */
const COCOA_EPOCH = 978_307_200n;
const MAC_EPOCH = -2_082_844_800n;
const FILETIME_EPOCH_S = 11_644_473_600n;

function positive(v: Value): bigint | null {
  if (v === undefined || v === null || !isNumeric(v)) return null;
  const n = toBigInt(v);
  return n !== null && n > 0n ? n : null;
}

/**
 * `timestamp()` (VQL-FUNCTIONS.md 5.1). Precedence: cocoatime, mactime, winfiletime (each only
 * when > 0), then `string` (which replaces `epoch`) read with `format` (a Go layout) when given,
 * else the generic conversion; strings without an offset are read in the parse zone (`PARSE_TZ`,
 * else `TZ`, else UTC). Always UTC; NULL when nothing converts.
 */
export const timestamp: FunctionDef = {
  name: 'timestamp',
  doc: "Make a time from epoch (seconds; larger values are read as ms, µs or ns; a time; or a date string), string (a date string, read in PARSE_TZ's zone), format (a Go layout for string), winfiletime, cocoatime or mactime.",
  args: {
    epoch: { type: 'any', doc: 'Seconds since 1970 (int or float; > 2e10 ms, > 2e13 µs, > 2e16 ns), a time, or a date string' },
    cocoatime: { type: 'int', doc: 'Seconds since 2001-01-01 UTC (used when > 0)' },
    mactime: { type: 'int', doc: 'HFS+ seconds since 1904-01-01 UTC (used when > 0)' },
    winfiletime: { type: 'int', doc: '100-nanosecond ticks since 1601-01-01 (used when > 0; whole seconds)' },
    string: { type: 'string', doc: 'A date string to parse (overrides epoch)' },
    format: { type: 'string', doc: 'A Go time layout for string, e.g. "1/2/2006 3:04:05 PM" (the reference time Mon Jan 2 15:04:05 MST 2006)' },
  },
  async run({ args, scope }) {
    const cocoa = positive(args.cocoatime);
    if (cocoa !== null) return new VTime((cocoa + COCOA_EPOCH) * NS);
    const mac = positive(args.mactime);
    if (mac !== null) return new VTime((mac + MAC_EPOCH) * NS);
    const ticks = positive(args.winfiletime);
    if (ticks !== null) return new VTime((ticks / 10_000_000n - FILETIME_EPOCH_S) * NS);
    const value = args.string !== undefined ? args.string : args.epoch;
    if (value === undefined || value === null) return null;
    const needsZone = typeof value === 'string';
    const zone = needsZone ? await parseZone(scope) : 'UTC';
    if (typeof args.format === 'string' && args.format !== '' && typeof value === 'string') {
      const t = parseGoLayout(args.format, value);
      return t ? timeFromParsed(t, zone) : null;
    }
    return timeFromAny(value, zone);
  },
};
