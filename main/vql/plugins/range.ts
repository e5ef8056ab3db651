import { VDict } from '../values/types.ts';
import type { PluginDef } from '../registry.ts';

/** `range(start=0, end, step=1)`: rows `{_value: i}`, end-exclusive. */
export const range: PluginDef = {
  name: 'range',
  doc: 'Emit rows {_value: i} for i = start; i < end; i += step (end exclusive).',
  args: {
    start: { type: 'int', doc: 'First value', default: '0' },
    end: { type: 'int', required: true, doc: 'End value (exclusive)' },
    step: { type: 'int', doc: 'Increment; 0 means 1; negative counts down while i > end', default: '1' },
  },
  *run({ args, signal }) {
    const start = Number(args.start ?? 0);
    const end = Number(args.end);
    let step = Number(args.step ?? 1);
    if (step === 0) step = 1;
    // A negative step with start < end never ends in the reference: we count down to end instead.
    if (step > 0) {
      for (let i = start; i < end; i += step) {
        if ((i & 0xfff) === 0 && signal.aborted) return;
        const d = new VDict();
        d.map.set('_value', i);
        yield d;
      }
    } else {
      for (let i = start; i > end; i += step) {
        if (signal.aborted) return;
        yield new VDict([['_value', i]]);
      }
    }
  },
};
