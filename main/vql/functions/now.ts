import type { FunctionDef } from '../registry.ts';

/** `now()`: the current time in epoch seconds (an int, as in Velociraptor). */
export const now: FunctionDef = {
  name: 'now',
  doc: 'The current time as seconds since the epoch (int).',
  args: {},
  run() {
    return Math.floor(Date.now() / 1000);
  },
};
