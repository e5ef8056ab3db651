import type { FunctionDef } from '../registry.ts';

/** `scope()`: the current scope object; a member lookup on it is a variable lookup. */
export const scopeFunction: FunctionDef = {
  name: 'scope',
  doc: 'The current scope: scope().Name looks up the variable Name.',
  args: {},
  run({ scope }) {
    return scope;
  },
};
