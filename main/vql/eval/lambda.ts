/**
 * Lambdas `x, y => expr` (SPEC 3.4): not part of the statement grammar; host functions that
 * take a callback receive a string and compile it here.
 */
import { parseLambda } from '../parse.ts';
import type { Value } from '../values/types.ts';
import { Bindings, type Scope } from './scope.ts';
import { compileExpr } from './expression.ts';
import type { MaybePromise } from './maybe.ts';

/** A compiled lambda: call it with the caller's scope and positional arguments. */
export type VqlLambda = (scope: Scope, ...args: Value[]) => MaybePromise<Value>;

/**
 * Compiles `text` (`x => x + 1`). Calling binds the parameters positionally in a new layer
 * over the caller's scope; a wrong argument count gives null and logs an error.
 * Throws a LexError/ParseError for bad text.
 */
export function compileLambda(text: string): VqlLambda {
  const lambda = parseLambda(text);
  const body = compileExpr(lambda.body);
  const names = lambda.params.map((p) => p.name);
  return (scope, ...args) => {
    if (args.length !== names.length) {
      scope.log('error', `lambda ${text}: expected ${names.length} argument(s), got ${args.length}`);
      return null;
    }
    return body(scope.child(new Bindings(new Map(names.map((n, i) => [n, args[i]])))));
  };
}
