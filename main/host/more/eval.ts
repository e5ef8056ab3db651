/**
 * `eval(func=)` (Velociraptor's vql/functions/eval.go): calls a lambda with the current scope
 * as its one argument, so `eval(func="x=>x.Hostname")` reads a variable by the lambda's name
 * for it, and a lambda text held in a variable (an artifact parameter) can be run.
 */
import type { FunctionDef } from '../../vql/index.ts';
import { lambdaArg } from '../files/lambdas.ts';

export const evalFunction: FunctionDef = {
  name: 'eval',
  doc: 'Calls the lambda `func` with the current scope as its argument: eval(func="x=>x.Foo + 1")',
  args: {
    func: { type: 'string', required: true, doc: 'A lambda such as x=>1+1; x is the current scope' },
  },
  run(call) {
    const fn = lambdaArg(String(call.args.func), call.scope);
    return fn ? fn(call.scope, call.scope) : null;
  },
};
