/**
 * Protocols Velociraptor adds on top of vfilter: times compare with date strings, and
 * dict + dict merges. `createRegistry()` installs them; a bare vfilter registry does not.
 */
import { VDict, VTime, type Value } from '../values/types.ts';
import type { ProtocolHandler, ProtocolTable } from './dispatch.ts';

function parseTime(v: Value): number | null {
  if (typeof v !== 'string') return null;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? null : ms / 1000;
}

function timeAndString(a: Value, b: Value): boolean {
  return (a instanceof VTime && typeof b === 'string') || (typeof a === 'string' && b instanceof VTime);
}

function seconds(v: Value): number | null {
  return v instanceof VTime ? v.seconds : parseTime(v);
}

/** A time compared with a date string: the string is parsed as a date. */
function timeStringCompare(op: '<' | '>'): ProtocolHandler {
  return {
    name: `time ${op} date string`,
    applies: timeAndString,
    apply(a, b) {
      const x = seconds(a);
      const y = seconds(b);
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

export function installVelociraptorProtocols(table: ProtocolTable): void {
  table.lt.push(timeStringCompare('<'));
  table.gt.push(timeStringCompare('>'));
  table.add.push(dictMerge);
}
