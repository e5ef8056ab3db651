import type { FunctionDef } from '../registry.ts';
import { VTime } from '../values/types.ts';

/**
 * `now(ns)`: the current time in epoch seconds (an int, as in Velociraptor), or in nanoseconds
 * with `ns=TRUE` (an int64, as the stateful shell artifacts use: `timestamp(epoch=now(ns=TRUE))`).
 */
export const now: FunctionDef = {
  name: 'now',
  doc: 'The current time as seconds since the epoch (int); nanoseconds with ns=TRUE.',
  args: {
    ns: { type: 'bool', doc: 'Return nanoseconds since the epoch instead of seconds' },
  },
  run({ args }) {
    if (args.ns === true) return VTime.now().unixNano;
    return Math.floor(Date.now() / 1000);
  },
};
