/**
 * `rand(range=N)` (VQL-FUNCTIONS.md 5.4, Velociraptor's vql/functions/sleep.go): a uniformly
 * random integer in [0, N), not cryptographic (Go's math/rand; here Math.random). `range` 0 or
 * absent gives 0. A negative range panics in Go; here it is logged and gives NULL. An argument
 * error gives false, as in Velociraptor.
 */
import type { FunctionDef } from '../../vql/index.ts';

export const rand: FunctionDef = {
  name: 'rand',
  doc: 'A random integer in [0, range) (not cryptographic); 0 when range is 0 or absent.',
  args: {
    range: { type: 'int', doc: 'The upper bound (exclusive)', default: '0' },
  },
  onArgError: false,
  run(call) {
    const range = Number(call.args.range ?? 0);
    if (range === 0) return 0;
    if (range < 0) {
      call.log('error', `argument range: must not be negative (got ${range})`);
      return null;
    }
    return Math.floor(Math.random() * range);
  },
};
