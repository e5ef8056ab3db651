import type { FunctionDef } from '../registry.ts';
import type { LazyArg } from '../eval/coerce.ts';
import { truthy } from '../protocols/truthy.ts';
import { then } from '../eval/maybe.ts';

/** `if(condition, then, else)`: only the chosen branch is evaluated (SPEC 14.2). */
export const ifFunction: FunctionDef = {
  name: 'if',
  doc: 'Evaluate `then` when the condition is true, else `else` (only the chosen branch runs).',
  args: {
    condition: { type: 'any', required: true, doc: 'The condition' },
    then: { type: 'lazy', doc: 'Value when true' },
    else: { type: 'lazy', doc: 'Value when false' },
  },
  run({ args, scope }) {
    return then(truthy(args.condition, scope), (t) => {
      const branch = (t ? args.then : args.else) as LazyArg | undefined;
      return branch ? branch.get() : null;
    });
  },
};
