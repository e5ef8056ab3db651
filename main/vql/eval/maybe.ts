/**
 * Maybe-async helpers. Expression evaluation is synchronous for plain values and becomes
 * asynchronous only when a query must run (a `{SELECT}` column, a query object in an
 * operator, an async host function). Checking `instanceof Promise` keeps the synchronous
 * hot path free of microtask hops.
 */

export type MaybePromise<T> = T | Promise<T>;

/** Applies `f` to `v`, now if `v` is a plain value, later if it is a promise. */
export function then<T, R>(v: MaybePromise<T>, f: (x: T) => MaybePromise<R>): MaybePromise<R> {
  return v instanceof Promise ? v.then(f) : f(v);
}

/** Applies `f` to both values once both are available. */
export function then2<A, B, R>(a: MaybePromise<A>, b: MaybePromise<B>, f: (a: A, b: B) => MaybePromise<R>): MaybePromise<R> {
  if (a instanceof Promise || b instanceof Promise) {
    return Promise.all([a, b]).then(([x, y]) => f(x, y));
  }
  return f(a, b);
}

/**
 * Evaluates `fns` in order (each may be async), collecting results. Evaluation stays
 * sequential: a later item is not started before an earlier promise settles.
 */
export function sequence<T>(count: number, at: (i: number) => MaybePromise<T>): MaybePromise<T[]> {
  const out: T[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const v = at(i);
    if (v instanceof Promise) return finishAsync(out, i, v, count, at);
    out[i] = v;
  }
  return out;
}

async function finishAsync<T>(out: T[], i: number, first: Promise<T>, count: number, at: (i: number) => MaybePromise<T>): Promise<T[]> {
  out[i] = await first;
  for (let j = i + 1; j < count; j++) out[j] = await at(j);
  return out;
}
