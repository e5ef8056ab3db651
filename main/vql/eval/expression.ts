/**
 * Expression compiler: AST → closures `(scope) => value`. Closures avoid re-dispatching on
 * node kinds for every row, which is what makes the 1M-row benchmarks fast. A closure returns
 * a promise only when something asynchronous (a query, an async host function) is involved.
 */
import type { Arg, ArgValue, Expr, Param, Select, SymbolRef } from '../ast/nodes.ts';
import { formatExpr } from '../ast/format.ts';
import { ABSENT, Lazy, VBytes, VDict, makeFloat, toValue, type Value } from '../values/types.ts';
import { isFloat, isInt, toNumber } from '../values/kinds.ts';
import { checkArgNames, didYouMean, type ArgSpec } from '../args.ts';
import type { FunctionDef } from '../registry.ts';
import { AggContext, Bindings, type LogLevel, type Scope } from './scope.ts';
import { sequence, then, then2, type MaybePromise } from './maybe.ts';
import { CallSiteQuery, MaterializedQuery, StoredExpression, StoredQuery, collectRows, isQuery, type CompiledParam } from './query-values.ts';
import { CoerceError, LazyArg, coerce, force } from './coerce.ts';
import { eq } from '../protocols/eq.ts';
import { gt, lt } from '../protocols/compare.ts';
import { add, div, mul, sub } from '../protocols/arith.ts';
import { truthy } from '../protocols/truthy.ts';
import { index, member, orNull, slice } from '../protocols/member.ts';
import { isIn } from '../protocols/membership.ts';
import { regexMatch } from '../protocols/regex.ts';

export type Compiled = (scope: Scope) => MaybePromise<Value>;

/** Compiles a SELECT into something that opens row streams; set by select.ts (avoids an import cycle). */
export let compileSubquery: (select: Select) => StoredQuery = () => {
  throw new Error('select compiler not installed');
};
export function installSubqueryCompiler(f: (select: Select) => StoredQuery): void {
  compileSubquery = f;
}

/** Logs "stack overflow" once per evaluation that hits the recursion guard. */
function overflow(scope: Scope): null {
  scope.log('error', 'Stack overflow: recursion depth limit reached (a definition refers to itself?)');
  return null;
}

/**
 * Output columns a WHERE / GROUP BY expression can name directly: name → column index.
 * Such expressions are always evaluated with their LazyRow as the scope, so an alias
 * reference compiles to a column read instead of a scope walk (same semantics: the row
 * is the top layer there).
 */
export type AliasMap = ReadonlyMap<string, number>;

/** The part of LazyRow that alias references need. */
interface ColumnReader {
  column(i: number): MaybePromise<Value>;
}

/** Compiles an expression. */
export function compileExpr(e: Expr, aliases?: AliasMap): Compiled {
  const sub = (x: Expr) => compileExpr(x, aliases);
  switch (e.kind) {
    case 'Int': {
      const v = e.value;
      return () => v;
    }
    case 'Float': {
      const v = makeFloat(e.value);
      return () => v;
    }
    case 'String': {
      const v = typeof e.value === 'string' ? e.value : new VBytes(e.value);
      return () => v;
    }
    case 'Bool': {
      const v = e.value;
      return () => v;
    }
    case 'Null':
      return () => null;
    case 'Symbol':
      return compileSymbol(e, aliases);
    case 'Paren':
    case 'List': {
      if (e.items.length === 1 && !e.trailingComma && e.kind === 'Paren') return sub(e.items[0]!);
      const items = e.items.map(sub);
      return (s) => sequence(items.length, (i) => items[i]!(s));
    }
    case 'Binary':
      return compileBinary(e.op, sub(e.left), sub(e.right), () => formatExpr(e));
    case 'Not': {
      const x = sub(e.operand);
      return (s) => then(x(s), (v) => then(truthy(v, s), (t) => !t));
    }
    case 'Or':
      return compileOr(e.operands.map(sub), e.ops);
    case 'And':
      return compileAnd(e.operands.map(sub), e.ops);
    case 'Member': {
      const obj = sub(e.object);
      const name = e.member.name;
      return (s) => then(obj(s), (v) => then(member(v, name, s), orNull));
    }
    case 'Index': {
      const obj = sub(e.object);
      if (!e.index) return (s) => then(obj(s), () => null);
      const idx = sub(e.index);
      return (s) => then2(obj(s), idx(s), (a, i) => then2(force(a, s), force(i, s), (x, y) => index(x, y, s)));
    }
    case 'Slice': {
      const obj = sub(e.object);
      const st = e.start ? sub(e.start) : undefined;
      const en = e.end ? sub(e.end) : undefined;
      return (s) =>
        then(obj(s), (a) =>
          then2(st ? st(s) : undefined, en ? en(s) : undefined, (i, j) =>
            then2(i === undefined ? undefined : force(i, s), j === undefined ? undefined : force(j, s), (x, y) => slice(a, x, y, s)),
          ),
        );
    }
  }
}

function compileBinary(op: string, l: Compiled, r: Compiled, text: () => string): Compiled {
  const apply = isArith(op) ? warnOnNull(op, binaryOp(op), text) : binaryOp(op);
  return (s) => {
    const a = l(s);
    if (a instanceof Promise) return a.then((x) => then(r(s), (y) => forceBoth(x, y, s, apply)));
    const b = r(s);
    if (b instanceof Promise) return b.then((y) => forceBoth(a, y, s, apply));
    if (typeof a === 'object' || typeof b === 'object') return forceBoth(a, b, s, apply);
    return apply(a, b, s);
  };
}

function isArith(op: string): boolean {
  return op === '+' || op === '-' || op === '*' || op === '/';
}

const WARNED = Symbol('type-warnings');

/**
 * A runtime type error never stops a query: the value becomes null (SPEC 9). The first
 * time each expression does that in a session, a warning names it and the operand types.
 */
function warnOnNull(op: string, apply: (a: Value, b: Value, s: Scope) => MaybePromise<Value>, text: () => string) {
  const site = {};
  const warn = (a: Value, b: Value, s: Scope) => {
    let seen = s.env.context.get(WARNED) as WeakSet<object> | undefined;
    if (!seen) s.env.context.set(WARNED, (seen = new WeakSet()));
    if (seen.has(site)) return;
    seen.add(site);
    const why = op === '/' && (b === 0 || b === false) ? 'division by zero' : `unsupported operand types ${typeName(a)} ${op} ${typeName(b)}`;
    s.log('warn', `${text()} is NULL: ${why} (reported once per expression)`);
  };
  return (a: Value, b: Value, s: Scope): MaybePromise<Value> => {
    const r = apply(a, b, s);
    if (r === null && a !== null && b !== null && a !== undefined && b !== undefined) warn(a, b, s);
    return r;
  };
}

function typeName(v: Value): string {
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v)) return 'array';
  return (v as object)?.constructor?.name?.replace(/^V/, '').toLowerCase() ?? 'value';
}

function forceBoth(a: Value, b: Value, s: Scope, apply: (a: Value, b: Value, s: Scope) => MaybePromise<Value>): MaybePromise<Value> {
  if (a instanceof Lazy || b instanceof Lazy || a instanceof StoredExpression || b instanceof StoredExpression) {
    return then2(force(a, s), force(b, s), (x, y) => apply(x, y, s));
  }
  return apply(a, b, s);
}

function binaryOp(op: string): (a: Value, b: Value, s: Scope) => MaybePromise<Value> {
  switch (op) {
    case '+':
      return add;
    case '-':
      return sub;
    case '*':
      return mul;
    case '/':
      return div;
    case '=':
      return eq;
    case '!=':
      return (a, b, s) => !eq(a, b, s);
    case '<>':
      return () => false; // never implemented by the reference (SPEC 9.5)
    case '<':
      return lt;
    case '<=':
      return (a, b, s) => lt(a, b, s) || eq(a, b, s);
    case '>':
      return gt;
    case '>=':
      return (a, b, s) => gt(a, b, s) || eq(a, b, s);
    case '=~':
      return regexMatch;
    case 'IN':
      return isIn;
    default:
      throw new Error(`unknown operator ${op}`);
  }
}

/** SPEC 9.3: OR returns the first operand if truthy; later truthy operands give TRUE unless joined by `||`. */
function compileOr(ops: Compiled[], texts: readonly string[]): Compiled {
  const pipe2 = texts.map((t) => t === '||');
  const step = (s: Scope, i: number): MaybePromise<Value> =>
    then(ops[i]!(s), (v) =>
      then(truthy(v, s), (t) => {
        if (t) return i === 0 || pipe2[i - 1] ? v : true;
        if (i === ops.length - 1) return v;
        return step(s, i + 1);
      }),
    );
  return (s) => step(s, 0);
}

/** SPEC 9.2: the first falsy operand gives FALSE; all truthy gives TRUE, or the last value after `&&`. */
function compileAnd(ops: Compiled[], texts: readonly string[]): Compiled {
  const lastIsAmp = texts[texts.length - 1] === '&&';
  const last = ops.length - 1;
  const slow = (s: Scope, i: number, pending: MaybePromise<Value>): MaybePromise<Value> =>
    then(pending, (v) =>
      then(truthy(v, s), (t) => {
        if (!t) return false;
        if (i === last) return lastIsAmp ? v : true;
        return step(s, i + 1);
      }),
    );
  const step = (s: Scope, from: number): MaybePromise<Value> => {
    // Synchronous loop until something returns a promise.
    for (let i = from; i <= last; i++) {
      const v = ops[i]!(s);
      if (v instanceof Promise) return slow(s, i, v);
      const t = typeof v === 'boolean' ? v : truthy(v, s);
      if (t instanceof Promise) return slow(s, i, v);
      if (!t) return false;
      if (i === last) return lastIsAmp ? v : true;
    }
    return true;
  };
  return (s) => step(s, 0);
}

/** Negation of a negated symbol's value (SPEC 7.6). */
function negate(v: Value, s: Scope): MaybePromise<Value> {
  if (v instanceof StoredExpression || v instanceof Lazy) return then(force(v, s), (x) => negate(x, s));
  if (typeof v === 'boolean') return !v;
  if (isFloat(v)) return makeFloat(-toNumber(v));
  if (isInt(v)) return typeof v === 'bigint' ? -v : v === 0 ? 0 : -v;
  return null;
}

/** Resolves a variable: stored expressions are evaluated in the referencing scope. */
export function resolveVar(name: string, s: Scope): MaybePromise<Value> {
  if (s.tooDeep) return overflow(s);
  const v = s.lookup(name);
  if (v instanceof Promise) return v.then((x) => foundVar(name, x, s));
  return foundVar(name, v, s);
}

function foundVar(name: string, v: Value, s: Scope): MaybePromise<Value> {
  if (v === ABSENT) {
    const nested = s.nestedField(name);
    s.log('warn', `Symbol ${name} not found${nested ? `: did you mean ${nested}? (${name} is a field of the column ${nested.split('.')[0]})` : ''}`);
    return null;
  }
  if (v instanceof StoredExpression) return evalStored(v, s);
  return v;
}

/** Evaluates a stored expression referenced without parentheses (shares the aggregate context). */
function evalStored(v: StoredExpression, s: Scope): MaybePromise<Value> {
  const child = s.child(null);
  if (child.tooDeep) return overflow(s);
  return v.evaluate(child);
}

function compileSymbol(e: SymbolRef, aliases?: AliasMap): Compiled {
  const first = e.parts[0]!.name;
  const rest = e.parts.slice(1).map((p) => p.name);
  let base: Compiled;
  const alias = e.args === undefined ? aliases?.get(first) : undefined;
  if (alias !== undefined) {
    const i = alias;
    base = (s) => {
      let v = (s as unknown as ColumnReader).column(i);
      for (const m of rest) v = then(v, (x) => then(member(x, m, s), orNull));
      return v;
    };
  } else if (e.args === undefined && rest.length === 0) {
    // The hot path: a plain variable. No closures are allocated unless a layer is async.
    base = (s) => {
      if (s.tooDeep) return overflow(s);
      const v = s.lookup(first);
      if (v instanceof Promise) return v.then((x) => foundVar(first, x, s));
      return foundVar(first, v, s);
    };
  } else if (e.args === undefined) {
    base = (s) => {
      let v = resolveVar(first, s);
      for (const m of rest) v = then(v, (x) => then(member(x, m, s), orNull));
      return v;
    };
  } else {
    base = compileCall(first, rest, e.args);
  }
  if (!e.negated) return base;
  return (s) => then(base(s), (v) => negate(v, s));
}

/** A compiled call argument. */
export interface CompiledArg {
  readonly name: string;
  /** 'array' arguments are evaluated before the callee runs (SPEC 7.1). */
  readonly kind: 'expr' | 'array' | 'query';
  readonly fn: Compiled;
}

/** Compiles an argument value: `{SELECT}` → a StoredQuery constant, `[...]` → an array. */
export function compileArgValue(v: ArgValue): { kind: CompiledArg['kind']; fn: Compiled } {
  if (v.kind === 'Subquery') {
    const q = compileSubquery(v.select);
    return { kind: 'query', fn: () => q };
  }
  if (v.kind === 'ArrayArg') {
    const items = v.items.map((x) => compileExpr(x));
    if (items.length === 1 && !v.trailingComma) {
      const one = items[0]!;
      return { kind: 'array', fn: one };
    }
    return { kind: 'array', fn: (s) => sequence(items.length, (i) => items[i]!(s)) };
  }
  return { kind: 'expr', fn: compileExpr(v) };
}

export function compileArgs(args: readonly Arg[]): CompiledArg[] {
  return args.map((a) => ({ name: a.name.name, ...compileArgValue(a.value) }));
}

export function compileParams(params: readonly Param[] | undefined): CompiledParam[] | undefined {
  if (!params) return undefined;
  return params.map((p) => ({ name: p.name.name, defaultValue: p.default ? compileArgValue(p.default).fn : undefined }));
}

/**
 * Evaluates call arguments eagerly, in call order, into a map (VQL-defined functions,
 * stored-query calls, plugins). `{SELECT}` values stay query objects.
 */
export function evalArgsEager(args: readonly CompiledArg[], s: Scope): MaybePromise<Map<string, Value>> {
  return then(
    sequence(args.length, (i) => args[i]!.fn(s)),
    (vals) => {
      const m = new Map<string, Value>();
      for (let i = 0; i < args.length; i++) m.set(args[i]!.name, vals[i]);
      const star = m.get('**');
      if (star instanceof VDict) {
        m.clear();
        for (const [k, v] of star.entries()) m.set(k, v);
      }
      return m;
    },
  );
}

/** Binds parameters for a VQL-defined function or stored query call (SPEC 7.3 / 6.1). */
export function bindParams(params: readonly CompiledParam[] | undefined, given: Map<string, Value>, caller: Scope): MaybePromise<Map<string, Value>> {
  const bound = new Map(given);
  if (!params) return bound;
  const missing = params.filter((p) => !given.has(p.name) && p.defaultValue);
  return then(
    sequence(missing.length, (i) => missing[i]!.defaultValue!(caller)),
    (vals) => {
      for (let i = 0; i < missing.length; i++) bound.set(missing[i]!.name, vals[i]);
      return bound;
    },
  );
}

function compileCall(first: string, rest: string[], argsAst: readonly Arg[]): Compiled {
  const args = compileArgs(argsAst);
  const site = {}; // the identity of this call site (aggregate state key, SPEC 11.1)
  const fullName = [first, ...rest].join('.');
  if (rest.length === 0) {
    return (s) => {
      const mocks = s.env.mocks;
      const def = (mocks === undefined ? undefined : mocks.functions.get(first)) ?? s.env.registry.functions.get(first);
      if (def) return callFunction(def, args, s, site);
      return then(s.lookup(first), (v) => {
        if (v === ABSENT) {
          const hint = didYouMean(first, s.env.registry.functions.keys());
          const plugin = s.env.registry.plugins.has(first) ? ` There is a plugin called \`${first}\`: use it in FROM.` : '';
          s.log('error', `Function ${first}() not found${hint}${plugin}`);
          return null;
        }
        return callValue(v, fullName, args, s);
      });
    };
  }
  const path: Compiled = (s) => {
    let v = resolveVar(first, s);
    for (const m of rest) v = then(v, (x) => then(member(x, m, s), orNull));
    return v;
  };
  return (s) => then(path(s), (v) => callValue(v, fullName, args, s));
}

/** Calls a variable's value: a VQL-defined function or a parameterized stored query (SPEC 7.3, 7.4). */
function callValue(v: Value, name: string, args: readonly CompiledArg[], s: Scope): MaybePromise<Value> {
  if (v instanceof StoredExpression) {
    if (s.tooDeep) return overflow(s);
    return then(evalArgsEager(args, s), (given) =>
      then(bindParams(v.params, given, s), (bound) => {
        const child = s.child(new Bindings(bound), new AggContext());
        if (child.tooDeep) return overflow(s);
        return v.evaluate(child);
      }),
    );
  }
  if (v instanceof StoredQuery) {
    if (args.length === 0) {
      s.log('error', `${name}() is a stored query, not a function: call it with arguments or use it without parentheses`);
      return null;
    }
    return then(evalArgsEager(args, s), (given) =>
      then(bindParams(v.params, given, s), (bound) => new CallSiteQuery(v, s.child(new Bindings(bound), new AggContext()))),
    );
  }
  s.log('error', `${name} is not callable`);
  return null;
}

/** The FunctionCall given to a function's run(). A class: object literals with getters are slow. */
class Invocation {
  constructor(
    readonly scope: Scope,
    readonly args: Record<string, Value>,
    private readonly site: object,
    private readonly def: FunctionDef,
  ) {}
  get state(): { value: unknown } {
    return this.scope.agg.cell(this.site);
  }
  log(level: LogLevel, message: string): void {
    this.scope.log(level, `${this.def.name}: ${message}`);
  }
}

/** Per call site: the definition its argument names were last validated against. */
const validated = new WeakMap<object, FunctionDef>();

/** Calls a builtin or host function with lazy, validated, coerced arguments (SPEC 7.1, 7.2). */
export function callFunction(def: FunctionDef, args: readonly CompiledArg[], s: Scope, site: object): MaybePromise<Value> {
  if (s.tooDeep) return overflow(s);
  const star = args.length > 0 && args[args.length - 1]!.name === '**' ? args[args.length - 1] : args.find((a) => a.name === '**');
  if (star) {
    return then(star.fn(s), (d) => {
      if (!(d instanceof VDict)) return argFail(def, s, `${def.name}(): \`**\` must be a dict`);
      const list = [...d.entries()].map(([k, v]) => ({ name: k, kind: 'expr' as const, fn: () => v }));
      return invoke(def, list, s, site, false);
    });
  }
  return invoke(def, args, s, site, true);
}

function argFail(def: FunctionDef, s: Scope, msg: string): Value {
  s.log('error', msg);
  return def.onArgError ?? null;
}

function invoke(def: FunctionDef, args: readonly CompiledArg[], s: Scope, site: object, cacheable: boolean): MaybePromise<Value> {
  if (!(cacheable && validated.get(site) === def)) {
    const err = checkArgNames('function', def.name, def.args, args.map((a) => a.name), def.freeArgs);
    if (err) return argFail(def, s, err);
    if (cacheable) validated.set(site, def);
  }
  const out: Record<string, Value> = {};
  const order = evaluationOrder(args);
  try {
    for (let i = 0; i < order.length; i++) {
      const r = evalArg(def, order[i]!, s, out);
      if (r instanceof Promise) return finishAsync(def, order, i, r, s, site, out).catch((e) => callError(def, e, s));
    }
    return runDef(def, s, site, out);
  } catch (e) {
    return callError(def, e, s);
  }
}

const orders = new WeakMap<readonly CompiledArg[], readonly CompiledArg[]>();

/** `[...]` arguments are evaluated before the function runs, the others in call order (SPEC 7.1). */
function evaluationOrder(args: readonly CompiledArg[]): readonly CompiledArg[] {
  let order = orders.get(args);
  if (!order) {
    order = args.some((a) => a.kind === 'array') ? [...args.filter((a) => a.kind === 'array'), ...args.filter((a) => a.kind !== 'array')] : args;
    orders.set(args, order);
  }
  return order;
}

function evalArg(def: FunctionDef, a: CompiledArg, s: Scope, out: Record<string, Value>): MaybePromise<void> {
  const spec = def.args[a.name];
  if (spec?.type === 'lazy') {
    out[a.name] = new LazyArg(() => then(a.fn(s), (v) => coerce(v, 'lazy', a.name, s)));
    return;
  }
  const v = a.fn(s);
  if (v instanceof Promise) return v.then((x) => store(spec, a.name, x, s, out));
  return store(spec, a.name, v, s, out);
}

function store(spec: ArgSpec | undefined, name: string, v: Value, s: Scope, out: Record<string, Value>): MaybePromise<void> {
  if (!spec || (spec.type === 'any' && (typeof v !== 'object' || v === null))) {
    out[name] = v;
    return;
  }
  const c = coerce(v, spec.type, name, s);
  if (c instanceof Promise) return c.then((x) => void (out[name] = x));
  out[name] = c;
}

async function finishAsync(def: FunctionDef, order: readonly CompiledArg[], i: number, first: Promise<void>, s: Scope, site: object, out: Record<string, Value>): Promise<Value> {
  await first;
  for (let j = i + 1; j < order.length; j++) await evalArg(def, order[j]!, s, out);
  return runDef(def, s, site, out);
}

function runDef(def: FunctionDef, s: Scope, site: object, out: Record<string, Value>): MaybePromise<Value> {
  const r = def.run(new Invocation(s, out, site, def));
  if (r instanceof Promise) return r.then(toValue, (e) => callError(def, e, s));
  return typeof r === 'object' && r !== null ? toValue(r) : r;
}

function callError(def: FunctionDef, e: unknown, s: Scope): Value {
  if (e instanceof CoerceError) return argFail(def, s, `${def.name}(): ${e.message}`);
  if (isAbort(e)) throw e;
  s.log('error', `${def.name}(): ${(e as Error)?.message ?? String(e)}`);
  return null;
}

export function isAbort(e: unknown): boolean {
  return (e as Error)?.name === 'AbortError';
}

/** Converts a computed column value (SPEC 6.2.5): query objects run into arrays of rows. */
export function columnValue(v: Value, s: Scope): MaybePromise<Value> {
  if (v instanceof MaterializedQuery) return v.rows.slice();
  if (isQuery(v)) return collectRows(v, s);
  return v;
}
