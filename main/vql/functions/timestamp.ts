import { VTime, type Value } from '../values/types.ts';
import type { FunctionDef } from '../registry.ts';
import { isFloat, isNumeric, toNumber, toBigInt } from '../values/kinds.ts';

/**
 * A time from epoch seconds, a time, or a date string; epoch values this large are taken as
 * ms, µs or ns rather than seconds (Velociraptor's rule). Null when it is none of these.
 */
export function timeFromEpoch(v: Value): VTime | null {
  if (v instanceof VTime) return v;
  if (typeof v === 'string') {
    const t = v.trim();
    if (/^-?\d+(\.\d+)?$/.test(t)) return timeFromEpoch(t.includes('.') ? Number(t) : BigInt(t));
    const ms = Date.parse(t);
    return Number.isNaN(ms) ? null : VTime.fromMillis(ms);
  }
  if (!isNumeric(v) || typeof v === 'boolean') return null;
  if (isFloat(v)) {
    const n = toNumber(v);
    return n > 0 ? VTime.fromSeconds(n) : null;
  }
  const n = toBigInt(v)!;
  if (n <= 0n) return null;
  if (n > 100_000_000_000_000_000n) return new VTime(n);
  if (n > 100_000_000_000_000n) return new VTime(n * 1000n);
  if (n > 100_000_000_000n) return new VTime(n * 1_000_000n);
  return new VTime(n * 1_000_000_000n);
}

/** `timestamp(epoch, winfiletime)`: a time from epoch seconds (or ms/µs/ns, a string), or a FILETIME. */
export const timestamp: FunctionDef = {
  name: 'timestamp',
  doc: 'Make a time from epoch (seconds; very large values are read as ms, µs or ns; or a date string) or winfiletime (100 ns ticks since 1601).',
  args: {
    epoch: { type: 'any', doc: 'Seconds since 1970 (int or float), a time, or a date string' },
    winfiletime: { type: 'int', doc: '100-nanosecond ticks since 1601-01-01' },
  },
  run({ args }) {
    if (args.epoch !== undefined && args.epoch !== null) {
      const t = timeFromEpoch(args.epoch);
      if (t) return t;
    }
    if (args.winfiletime !== undefined) {
      const ticks = BigInt(args.winfiletime as number | bigint);
      if (ticks > 0n) return new VTime((ticks / 10_000_000n - 11_644_473_600n) * 1_000_000_000n);
    }
    return null;
  },
};
