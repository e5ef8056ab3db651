import { ABSENT, GET_MEMBER, MEMBERS, type Absent, type HostObject, type Value } from '../values/types.ts';
import type { PluginDef } from '../registry.ts';

const MEMBER_LIST: readonly string[] = ['_value'];

/** A range row `{_value: i}`: lighter than a dict, for million-row scans. */
class RangeRow implements HostObject {
  constructor(readonly _value: number) {}
  [MEMBERS](): readonly string[] {
    return MEMBER_LIST;
  }
  [GET_MEMBER](name: string): Value | Absent {
    return name === '_value' ? this._value : ABSENT;
  }
}

/** `range(start=0, end, step=1)`: rows `{_value: i}`, end-exclusive. */
export const range: PluginDef = {
  name: 'range',
  doc: 'Emit rows {_value: i} for i = start; i < end; i += step (end exclusive).',
  args: {
    start: { type: 'int', doc: 'First value', default: '0' },
    end: { type: 'int', required: true, doc: 'End value (exclusive)' },
    step: { type: 'int', doc: 'Increment; 0 means 1; negative counts down while i > end', default: '1' },
  },
  batched: true,
  *run({ args, signal, scope }) {
    const start = Number(args.start ?? 0);
    const end = Number(args.end);
    let step = Number(args.step ?? 1);
    if (step === 0) step = 1;
    // A negative step with start < end never ends in the reference: we count down to end instead.
    const more = step > 0 ? (i: number) => i < end : (i: number) => i > end;
    let i = start;
    while (more(i)) {
      if (signal.aborted) return;
      const n = scope.batchLimit(512);
      const batch: RangeRow[] = [];
      for (let k = 0; k < n && more(i); k++, i += step) batch.push(new RangeRow(i));
      yield batch;
    }
  },
};
