/**
 * Argument coercion (SPEC 7.2): converts an evaluated argument value to the declared type.
 */
import { timeFromString } from '../time/parse.ts';
import type { ArgType } from '../args.ts';
import { Lazy, VBytes, VTime, type Value } from '../values/types.ts';
import { isFloat, isNumeric, toInt, toNumber } from '../values/kinds.ts';
import { goText } from '../values/gofmt.ts';
import { MaterializedQuery, isQuery, openQuery, StoredExpression } from './query-values.ts';
import { truthy } from '../protocols/truthy.ts';
import { then, type MaybePromise } from './maybe.ts';
import type { Scope } from './scope.ts';
import { toRowStream } from './iterate.ts';
import type { RowSource } from './stream.ts';

/** A `lazy` argument: evaluated at most once, when the function asks for it. */
export class LazyArg {
  private done = false;
  private value: Value = null;
  constructor(private readonly compute: () => MaybePromise<Value>) {}
  get(): MaybePromise<Value> {
    if (this.done) return this.value;
    return then(this.compute(), (v) => {
      this.done = true;
      this.value = v;
      return v;
    });
  }
}

/** A `query` argument: the value converted to rows (SPEC 10.2), opened in a chosen scope. */
export class QueryArg {
  constructor(readonly value: Value) {}
  open(scope: Scope): RowSource {
    return toRowStream(this.value, scope);
  }
}

/** Thrown by coercion; the caller logs it and gives the callee's error value. */
export class CoerceError extends Error {}

/** Forces thunks and stored expressions until a plain value remains. */
export function force(v: Value, scope: Scope): MaybePromise<Value> {
  if (v instanceof Lazy) return then(v.force(), (x) => force(x, scope));
  if (v instanceof StoredExpression) return then(v.evaluate(scope), (x) => force(x, scope));
  return v;
}

/** The text of a value for a string parameter. */
export function stringArg(v: Value): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (v instanceof VBytes) return new TextDecoder().decode(v.bytes);
  if (Array.isArray(v) && v.length === 1) return stringArg(v[0]);
  return goText(v);
}

/** Converts `v` to `type`. May throw CoerceError. */
export function coerce(v: Value, type: ArgType, name: string, scope: Scope): MaybePromise<Value> {
  // Fast paths for values that need no conversion.
  if (typeof v === 'string' && type === 'string') return v;
  if (typeof v === 'number' && type === 'int' && Number.isSafeInteger(v)) return v;
  switch (type) {
    case 'any':
    case 'lazy':
      if (v instanceof MaterializedQuery) return v.rows.slice();
      if (v instanceof Lazy || v instanceof StoredExpression) return force(v, scope);
      return v;
    case 'query':
      return new QueryArg(v);
    case 'string':
      return then(force(v, scope), (x) => stringArg(x));
    case 'strings':
      return then(force(v, scope), (x) => {
        if (x === null || x === undefined) return [];
        if (Array.isArray(x)) return x.map(stringArg);
        return [stringArg(x)];
      });
    case 'int':
      return then(force(v, scope), (x) => {
        const n = toInt(x);
        if (n === null) throw new CoerceError(`argument ${name}: expected an int, got ${describe(x)}`);
        return n;
      });
    case 'float':
      return then(force(v, scope), (x) => {
        if (!isNumeric(x)) throw new CoerceError(`argument ${name}: expected a number, got ${describe(x)}`);
        return toNumber(x);
      });
    case 'bool':
      return truthy(v, scope);
    case 'time':
      return then(force(v, scope), (x) => {
        const t = toTime(x);
        if (t === null) throw new CoerceError(`argument ${name}: expected a time, got ${describe(x)}`);
        return t;
      });
  }
}

/** A time from a VTime, epoch seconds, or a date string; null otherwise. */
export function toTime(x: Value): VTime | null {
  if (x instanceof VTime) return x;
  if (isNumeric(x) && typeof x !== 'boolean') {
    if (isFloat(x)) return VTime.fromSeconds(toNumber(x));
    return new VTime(BigInt(toInt(x) as number | bigint) * 1_000_000_000n);
  }
  if (typeof x === 'string') return x === '' ? null : timeFromString(x, 'UTC');
  return null;
}

/** A short description of a value for error messages. */
export function describe(v: Value): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v)}`;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return `${typeof v === 'boolean' ? 'bool' : 'number'} ${String(v)}`;
  if (Array.isArray(v)) return 'an array';
  if (isQuery(v)) return 'a query';
  return (v as object).constructor?.name ?? 'an object';
}

/** Rows of a query-valued argument, for plugins that take them eagerly. */
export function openArgQuery(v: Value, scope: Scope): RowSource {
  if (v instanceof QueryArg) return v.open(scope);
  if (isQuery(v)) return openQuery(v, scope);
  return toRowStream(v, scope);
}
