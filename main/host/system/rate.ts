import { VFloat, type FunctionDef } from '../../vql/index.ts';

/**
 * `rate(x=, y=)` (VELOCIRAPTOR.md 4.6, Velociraptor's vql/aggregates/stats.go): the rate of
 * change of x against y since the previous call at the same call site, (x - x_prev) / (y - y_prev).
 * NULL on the first call, and when y did not change. Its memory is per call site in the current
 * aggregate context (SPEC 11.1), exactly the aggregate functions' state: so it is flagged as an
 * aggregate, and with GROUP BY each bin has its own previous values, as in Velociraptor.
 *
 * `SELECT *, rate(x=CPU, y=Timestamp) AS CPUPercent FROM ...` gives the fraction of one core.
 */
export const rate: FunctionDef = {
  name: 'rate',
  doc: 'Rate of change of x per unit of y since the previous row at this call site: (x - x_prev) / (y - y_prev). NULL on the first row.',
  isAggregate: true,
  args: {
    x: { type: 'float', required: true, doc: 'The measured value (for example CPU seconds)' },
    y: { type: 'float', required: true, doc: 'The independent value (for example a timestamp in seconds)' },
  },
  run({ args, state }) {
    const x = args.x as number;
    const y = args.y as number;
    const prev = state.value as { x: number; y: number } | undefined;
    state.value = { x, y };
    if (!prev || y === prev.y) return null;
    const r = (x - prev.x) / (y - prev.y);
    return Number.isInteger(r) ? new VFloat(r) : r;
  },
};
