/**
 * Lambda arguments (`condition="x=>x > 1"`): compiled once per text and session, with a
 * parse error logged (and null returned) rather than thrown.
 */
import { compileLambda, formatError, type Scope, type VqlLambda } from '../../vql/index.ts';

const CACHE = Symbol('host-lambda-cache');

export function lambdaArg(text: string, scope: Scope): VqlLambda | null {
  let cache = scope.env.context.get(CACHE) as Map<string, VqlLambda | null> | undefined;
  if (!cache) {
    cache = new Map();
    scope.env.context.set(CACHE, cache);
  }
  let fn = cache.get(text);
  if (fn === undefined) {
    try {
      fn = compileLambda(text);
    } catch (e) {
      scope.log('error', `invalid lambda ${JSON.stringify(text)}: ${formatError(e as Error)}`);
      fn = null;
    }
    if (cache.size > 1000) cache.clear();
    cache.set(text, fn);
  }
  return fn;
}
