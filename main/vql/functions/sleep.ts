import type { FunctionDef } from '../registry.ts';
import { sleep as wait } from '../eval/stream.ts';

/** `sleep(time, ms)`: waits, then returns TRUE (FALSE when the query was cancelled). */
export const sleep: FunctionDef = {
  name: 'sleep',
  doc: 'Wait `time` seconds plus `ms` milliseconds, then return TRUE (FALSE if cancelled first).',
  args: {
    time: { type: 'int', doc: 'Seconds to wait' },
    ms: { type: 'int', doc: 'Milliseconds to wait' },
  },
  run({ args, scope }) {
    const ms = Number(args.time ?? 0) * 1000 + Number(args.ms ?? 0);
    return wait(ms, scope.signal);
  },
};
