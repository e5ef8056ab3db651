/**
 * Protocols Velociraptor adds on top of vfilter: times compare with date strings,
 * dict + dict merges, and a time is true when after 1970 (Go's `t.Unix() > 0`: an unset
 * FILETIME is false; artifacts drop junk rows with `WHERE ModificationTime`). `createRegistry()` installs them; a bare vfilter registry does not.
 */
import { VDict, VTime, type Value } from '../values/types.ts';
import type { ProtocolHandler, ProtocolTable } from './dispatch.ts';
import { parseZoneNow, timeFromString } from '../time/parse.ts';

/** Seconds of a time, or of a date string read as timestamp() reads it (in the parse zone). */
function seconds(v: Value, zone: string): number | null {
  if (v instanceof VTime) return v.seconds;
  const t = typeof v === 'string' ? timeFromString(v, zone) : null;
  return t ? t.seconds : null;
}

function timeAndString(a: Value, b: Value): boolean {
  return (a instanceof VTime && typeof b === 'string') || (typeof a === 'string' && b instanceof VTime);
}

/** A time compared with a date string: the string is parsed as a date. */
function timeStringCompare(op: '<' | '>'): ProtocolHandler {
  return {
    name: `time ${op} date string`,
    applies: timeAndString,
    apply(a, b, scope) {
      const zone = parseZoneNow(scope);
      const x = seconds(a, zone);
      const y = seconds(b, zone);
      return x !== null && y !== null && (op === '<' ? x < y : x > y);
    },
  };
}

const dictMerge: ProtocolHandler = {
  name: 'dict + dict (merge)',
  applies: (a, b) => a instanceof VDict && b instanceof VDict,
  apply(a, b) {
    const out = new VDict((a as VDict).entries());
    // b's keys override in place (Velociraptor's golden output keeps a's key order).
    for (const [k, v] of (b as VDict).entries()) out.setInPlace(k, v);
    return out;
  },
};

/** A time is true when after 1970 (whole seconds, as Go's t.Unix() > 0). */
function timeTruthy(v: Value): boolean | undefined {
  return v instanceof VTime ? v.unixNano >= 1_000_000_000n : undefined;
}

export function installVelociraptorProtocols(table: ProtocolTable, bools: Array<(v: Value) => boolean | undefined>): void {
  bools.push(timeTruthy);
  table.lt.push(timeStringCompare('<'));
  table.gt.push(timeStringCompare('>'));
  table.add.push(dictMerge);
}
