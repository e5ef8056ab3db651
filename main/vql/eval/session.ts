/**
 * Sessions (SPEC section 4): statements evaluated in order against one session scope.
 * A LET adds a binding layer; a SELECT streams normalized rows.
 */
import { setMaxListeners } from 'node:events';
import type { Let, Select, Statement } from '../ast/nodes.ts';
import { VDict, toValue, type Value } from '../values/types.ts';
import { VqlError } from '../errors.ts';
import type { Registry } from '../registry.ts';
import { AggContext, Bindings, Scope, type Env, type Logger, type Mocks } from './scope.ts';
import { MaterializedQuery, StoredExpression, StoredQuery, collectRows, isQuery } from './query-values.ts';
import { compileExpr, compileParams, isAbort } from './expression.ts';
import { compileSelect } from './select.ts';
import { normalizeRow } from './normalize.ts';
import { asStream, type RowStream } from './stream.ts';
import { queryStarted, teeLogger } from './recent.ts';

/** The recursion guard default (SPEC 5.5: the exact limit does not matter). */
export const DEFAULT_MAX_DEPTH = 200;

/**
 * A scope under `parent` with the LETs of `statements` bound, each evaluated when it is read
 * (`<=` too): the variables a remapping mount's `scope:` gives the accessor it mounts.
 */
export function scopeWithLets(parent: Scope, statements: readonly Let[]): Scope {
  const vars = new Map<string, Value>();
  for (const stmt of statements) {
    const params = stmt.params && stmt.params.length > 0 ? compileParams(stmt.params) : undefined;
    const name = stmt.name.name;
    if (stmt.body.kind === 'Select') {
      const c = compileSelect(stmt.body);
      vars.set(name, new StoredQuery(name, (sc) => c.open(sc), params));
    } else {
      vars.set(name, new StoredExpression(name, compileExpr(stmt.body), params));
    }
  }
  return new Scope(parent, new Bindings(vars), parent.env, parent.agg, parent.depth, parent.signal);
}

export interface SessionOptions {
  readonly registry: Registry;
  /** Variables visible to every statement (`--env K=V`, artifact parameters...). */
  readonly vars?: Record<string, unknown> | VDict;
  /** Extra layers pushed below `vars` (host environments), lowest first. */
  readonly layers?: readonly unknown[];
  readonly log?: Logger;
  readonly signal?: AbortSignal;
  readonly maxDepth?: number;
  /** The caller's mock() replacements (a nested session: query(), Artifact.X()). */
  readonly mocks?: Mocks;
}


/** One scope for a sequence of statements; LET bindings persist between them. */
export class Session {
  scope: Scope;
  readonly env: Env;

  constructor(opts: SessionOptions) {
    this.env = {
      registry: opts.registry,
      // Recent log lines are kept for profile(logs=TRUE) (recent.ts).
      log: teeLogger(opts.log ?? (() => {})),
      maxDepth: opts.maxDepth ?? DEFAULT_MAX_DEPTH,
      context: new Map(),
      // Always an object, handed to the sessions this one starts (Artifact.X()): a remap() or
      // mock() inside an artifact applies to its caller too, as Velociraptor applies both to
      // the root scope.
      mocks: opts.mocks ?? { plugins: new Map(), functions: new Map() },
    };
    const signal = opts.signal ?? new AbortController().signal;
    // Concurrent workers each listen on the query's signal: no listener cap.
    setMaxListeners(0, signal);
    let s = new Scope(null, new VDict([['NULL', null]]), this.env, new AggContext(), 0, signal);
    for (const layer of opts.layers ?? []) s = s.child(layer);
    if (opts.vars) s = s.child(opts.vars instanceof VDict ? opts.vars : VDict.fromObject(opts.vars));
    this.scope = s;
  }

  /** Binds a variable in a new top layer, as a LET would. */
  bind(name: string, value: Value): void {
    const vars = new Map([[name, toValue(value)]]);
    const s = this.scope;
    this.scope = new Scope(s, new Bindings(vars), this.env, s.agg, s.depth, s.signal);
  }

  /**
   * Executes one statement. A SELECT yields batches of normalized rows; a LET yields
   * nothing. A plugin error ends this statement with a VqlError.
   */
  async *execute(stmt: Statement): RowStream {
    // Queries that do work are logged while they run, for profile(queries=TRUE) (recent.ts).
    const ended = stmt.kind === 'Select' || stmt.materialize ? queryStarted(stmt) : null;
    try {
      if (stmt.kind === 'Let') {
        await this.let(stmt);
        return;
      }
      yield* this.select(stmt);
    } finally {
      ended?.();
    }
  }

  private async *select(stmt: Select): RowStream {
    const compiled = compileSelect(stmt);
    const scope = this.scope;
    try {
      for await (const batch of asStream(compiled.open(scope))) {
        const out: Value[] = new Array(batch.length);
        for (let i = 0; i < batch.length; i++) {
          const r = normalizeRow(batch[i], scope);
          out[i] = r instanceof Promise ? await r : r;
        }
        yield out;
      }
    } catch (e) {
      if (isAbort(e) || scope.signal.aborted) return;
      throw e;
    }
  }

  private async let(stmt: Let): Promise<void> {
    const name = stmt.name.name;
    if (this.env.registry.functions.has(name)) {
      this.env.log('warn', `LET ${name} shadows the builtin function ${name}(): calls to ${name}(...) still use the builtin`);
    }
    let params = stmt.params && stmt.params.length > 0 ? compileParams(stmt.params) : undefined;
    let value: Value;
    if (stmt.materialize) {
      if (params) {
        this.env.log('warn', `LET ${name}(...) <= ignores its parameters and is evaluated now`);
        params = undefined;
      }
      value = await this.evaluateNow(stmt.body);
    } else if (stmt.body.kind === 'Select') {
      const c = compileSelect(stmt.body);
      value = new StoredQuery(name, (s) => c.open(s), params);
    } else {
      value = new StoredExpression(name, compileExpr(stmt.body), params);
    }
    this.bind(name, value);
  }

  private async evaluateNow(body: Select | Let['body']): Promise<Value> {
    const scope = this.scope.child(null);
    if (body.kind === 'Select') {
      const c = compileSelect(body);
      const rows: Value[] = [];
      for await (const b of asStream(c.open(scope))) for (const r of b) rows.push(r);
      return new MaterializedQuery(rows);
    }
    const v = await compileExpr(body)(scope);
    if (v instanceof MaterializedQuery) return v;
    if (isQuery(v)) return new MaterializedQuery(await collectRows(v, scope));
    return v;
  }

  /** Executes statements in order, yielding each statement's index with its row batches. */
  async *executeAll(statements: readonly Statement[]): AsyncGenerator<{ index: number; rows: Value[] }> {
    for (let i = 0; i < statements.length; i++) {
      if (this.scope.signal.aborted) return;
      try {
        for await (const rows of this.execute(statements[i]!)) yield { index: i, rows };
      } catch (e) {
        if (!(e instanceof VqlError)) throw e;
        this.env.log('error', e.message);
      }
    }
  }
}
