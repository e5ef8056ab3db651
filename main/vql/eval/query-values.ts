/**
 * Query-shaped values (SPEC section 8): stored queries, call-site queries, materialized
 * queries, and stored expressions / VQL-defined functions. None of them captures an
 * environment except the call-site query (SPEC 5.4, 7.4).
 */
import type { Value } from '../values/types.ts';
import type { Scope } from './scope.ts';
import type { MaybePromise } from './maybe.ts';
import { LinkedAbort, type RowSource } from './stream.ts';

/** A compiled parameter of `LET f(a, b=default)`. */
export interface CompiledParam {
  readonly name: string;
  /** Evaluates the default in the caller's scope at call time. */
  readonly defaultValue?: (scope: Scope) => MaybePromise<Value>;
}

/** A not-yet-run SELECT: `LET x = SELECT ...`, a `{SELECT}` argument. Run in the consuming scope. */
export class StoredQuery {
  constructor(
    readonly name: string,
    readonly open: (scope: Scope) => RowSource,
    readonly params?: readonly CompiledParam[],
  ) {}
}

/** `q(x=1)` in an expression: a query bound to the scope and aggregate state it captured. */
export class CallSiteQuery {
  constructor(readonly stored: StoredQuery, readonly captured: Scope) {}
  open(consumer: Scope): RowSource {
    // The captured scope decides variables and aggregate state; the consumer decides cancellation.
    return this.stored.open(this.captured.withSignal(consumer.signal));
  }
}

/** `LET x <= SELECT ...`: rows computed once, replayed. */
export class MaterializedQuery {
  constructor(readonly rows: Value[]) {}
}

/** `LET x = expr` or `LET f(a) = expr`: re-evaluated at each reference in the referencing scope. */
export class StoredExpression {
  constructor(
    readonly name: string,
    readonly evaluate: (scope: Scope) => MaybePromise<Value>,
    readonly params?: readonly CompiledParam[],
  ) {}
}

export type QueryValue = StoredQuery | CallSiteQuery | MaterializedQuery;

export function isQuery(v: unknown): v is QueryValue {
  return v instanceof StoredQuery || v instanceof CallSiteQuery || v instanceof MaterializedQuery;
}

/** Is this a lazy (not materialized) query object? */
export function isLazyQuery(v: unknown): v is StoredQuery | CallSiteQuery {
  return v instanceof StoredQuery || v instanceof CallSiteQuery;
}

/** Opens a query value as a row stream in the consuming scope. */
export function openQuery(q: QueryValue, scope: Scope): RowSource {
  if (q instanceof MaterializedQuery) return q.rows.slice();
  if (q instanceof CallSiteQuery) return q.open(scope);
  return q.open(scope);
}


/** Runs a query to completion and returns its rows. */
export async function collectRows(q: QueryValue, scope: Scope): Promise<Value[]> {
  if (q instanceof MaterializedQuery) return q.rows.slice();
  const src = openQuery(q, scope.withDemand(undefined));
  if (Array.isArray(src)) return src;
  const out: Value[] = [];
  for await (const batch of src) {
    for (const r of batch) out.push(r);
  }
  return out;
}

/**
 * Runs a query until it has produced `n` rows (or ended), then cancels it. Used for
 * truthiness (n = 1) and indexing.
 */
export async function firstRows(q: QueryValue, scope: Scope, n: number): Promise<Value[]> {
  if (q instanceof MaterializedQuery) return q.rows.slice(0, n);
  const link = new LinkedAbort(scope.signal);
  const out: Value[] = [];
  const demand = { get remaining() { return n - out.length; } };
  try {
    const src = openQuery(q, scope.withSignal(link.signal).withDemand(demand));
    for await (const batch of Array.isArray(src) ? [src] : src) {
      for (const r of batch) {
        out.push(r);
        if (out.length >= n) return out;
      }
    }
    return out;
  } finally {
    link.abort();
  }
}
