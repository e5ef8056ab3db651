import type { PluginDef } from '../registry.ts';

/** `scope()`: one row, the current scope; `SELECT x FROM scope()` evaluates expressions. */
export const scope: PluginDef = {
  name: 'scope',
  doc: 'Emit one row: the current scope. Use it to evaluate expressions: SELECT 1 + 1 FROM scope().',
  args: {},
  run({ scope }) {
    return [scope];
  },
};
