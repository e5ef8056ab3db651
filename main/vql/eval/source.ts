/**
 * FROM sources (SPEC 6.1): plugin calls, stored query calls, and values used as sources.
 */
import type { Source } from '../ast/nodes.ts';
import { ABSENT, type Value } from '../values/types.ts';
import { checkArgNames, didYouMean, type ArgType } from '../args.ts';
import { VqlError } from '../errors.ts';
import type { PluginDef } from '../registry.ts';
import { AggContext, Bindings, type Scope } from './scope.ts';
import { then, type MaybePromise } from './maybe.ts';
import { MaterializedQuery, StoredExpression, StoredQuery, collectRows, isQuery, openQuery } from './query-values.ts';
import { bindParams, compileArgs, evalArgsEager, isAbort, resolveVar, type CompiledArg } from './expression.ts';
import { CoerceError, coerce } from './coerce.ts';
import { convertRows, fromPluginOutput, type RowSource, type RowStream } from './stream.ts';
import { member, orNull } from '../protocols/member.ts';

export type SourceFn = (scope: Scope) => RowSource;

export function compileSource(src: Source): SourceFn {
  const names = src.parts.map((p) => p.name);
  const first = names[0]!;
  const full = names.join('.');
  const resolvePath = (s: Scope): MaybePromise<Value> => {
    let v = resolveVar(first, s);
    for (const m of names.slice(1)) v = then(v, (x) => then(member(x, m, s), orNull));
    return v;
  };
  if (src.args === undefined) {
    if (names.length === 1) {
      return (s) =>
        deferred(async () => {
          const v = await s.lookup(first);
          if (v === ABSENT) {
            s.log('error', notFound(first, s));
            return null;
          }
          return valueAsSource(v, s);
        });
    }
    return (s) => deferred(async () => valueAsSource(await resolvePath(s), s));
  }
  const args = compileArgs(src.args);
  return (s) => {
    const plugin = s.env.mocks?.plugins.get(full) ?? s.env.registry.findPlugin(full);
    if (plugin) return callPlugin(plugin, args, s);
    return deferred(async () => {
      const v = names.length === 1 ? await s.lookup(first) : await resolvePath(s);
      if (v === ABSENT) {
        s.log('error', notFound(full, s));
        return null;
      }
      return callAsSource(v, full, args, s);
    });
  };
}

function notFound(name: string, s: Scope): string {
  const hint = didYouMean(name, s.env.registry.plugins.keys());
  const fn = s.env.registry.functions.has(name) ? ` There is also a function called \`${name}\`: call it in a column, like SELECT ${name}(...) FROM scope().` : '';
  return `Plugin ${name} not found${hint}${fn}`;
}

/** Runs an async setup that returns a stream (or null for no rows), then streams it. */
async function* deferred(setup: () => Promise<RowSource | null>): RowStream {
  const src = await setup();
  if (Array.isArray(src)) {
    if (src.length) yield src;
  } else if (src) yield* src;
}

/** A value used as a source (SPEC 6.1, bare variable). */
export function valueAsSource(v: Value, s: Scope): RowSource {
  if (isQuery(v)) return openQuery(v, s);
  if (v instanceof StoredExpression) {
    return deferred(async () => {
      const child = s.child(null);
      if (child.tooDeep) {
        s.log('error', 'Stack overflow: recursion depth limit reached');
        return [null];
      }
      return valueAsSource(await v.evaluate(child), s);
    });
  }
  if (Array.isArray(v)) return v.slice();
  return [v];
}

/** `FROM x(args)` where x is a variable (SPEC 6.1). */
function callAsSource(v: Value, name: string, args: readonly CompiledArg[], s: Scope): RowSource | null {
  if (v instanceof StoredQuery) {
    return deferred(async () => {
      const given = await evalArgsEager(args, s);
      // The plugin path materializes query-valued arguments into row arrays.
      for (const [k, x] of given) if (isQuery(x)) given.set(k, await collectRows(x, s));
      if (v.params) {
        const known = new Set(v.params.map((p) => p.name));
        for (const k of given.keys()) if (!known.has(k)) s.log('warn', `${name}(): extra argument ${k} (parameters: ${[...known].join(', ') || 'none'})`);
        for (const p of v.params) if (!given.has(p.name) && !p.defaultValue) s.log('warn', `${name}(): missing argument ${p.name}`);
      }
      const bound = await bindParams(v.params, given, s);
      return v.open(s.child(new Bindings(bound), new AggContext()));
    });
  }
  if (v instanceof StoredExpression) {
    return deferred(async () => {
      const given = await evalArgsEager(args, s);
      const bound = await bindParams(v.params, given, s);
      const child = s.child(new Bindings(bound));
      if (child.tooDeep) return null;
      return valueAsSource(await v.evaluate(child), s);
    });
  }
  if (v instanceof MaterializedQuery) {
    s.log('error', `${name} is a materialized query and is not callable: use FROM ${name} without parentheses`);
    return null;
  }
  s.log('error', `${name} is not callable`);
  return null;
}

/** Calls a plugin: eager arguments (SPEC 6.1), validation, coercion, errors named. */
function callPlugin(plugin: PluginDef, args: readonly CompiledArg[], s: Scope): RowSource {
  if (s.tooDeep) {
    s.log('error', 'Stack overflow: recursion depth limit reached');
    return NO_ROWS;
  }
  const given = evalArgsEager(args, s);
  if (given instanceof Promise) return deferred(async () => startPlugin(plugin, await given, s));
  return startPlugin(plugin, given, s);
}

const NO_ROWS: Value[] = [];


/**
 * Validates and coerces the arguments and starts the plugin. A plugin that returns an
 * array synchronously (scope(), fixtures) gives its rows directly: no async machinery.
 */
function startPlugin(plugin: PluginDef, given: Map<string, Value>, s: Scope): RowSource {
  const err = checkArgNames('plugin', plugin.name, plugin.args, given.keys(), plugin.freeArgs);
  if (err) {
    s.log('error', err);
    return NO_ROWS;
  }
  const out: Record<string, Value> = {};
  let pending: Promise<void> | null = null;
  try {
    for (const [k, v] of given) {
      const spec = plugin.args[k];
      const type: ArgType | undefined = spec ? (spec.type === 'lazy' ? 'any' : spec.type) : undefined;
      const c: MaybePromise<Value> = type ? (pending ? pending.then(() => coerce(v, type, k, s)) : coerce(v, type, k, s)) : v;
      if (c instanceof Promise) pending = c.then((x) => void (out[k] = x));
      else out[k] = c;
    }
  } catch (e) {
    return coerceFailed(plugin, e, s);
  }
  if (pending) {
    const p = pending;
    return deferred(async () => {
      try {
        await p;
      } catch (e) {
        return coerceFailed(plugin, e, s);
      }
      return runPlugin(plugin, out, s);
    });
  }
  return runPlugin(plugin, out, s);
}

function coerceFailed(plugin: PluginDef, e: unknown, s: Scope): RowSource {
  if (e instanceof CoerceError) {
    s.log('error', `plugin ${plugin.name}(): ${e.message}`);
    return NO_ROWS;
  }
  throw e;
}

function pluginError(plugin: PluginDef, e: unknown): VqlError {
  if (e instanceof VqlError) return e;
  return new VqlError('PluginError', `plugin ${plugin.name}(): ${(e as Error)?.message ?? String(e)}`);
}

function runPlugin(plugin: PluginDef, args: Record<string, Value>, s: Scope): RowSource {
  let out: Iterable<Value> | AsyncIterable<Value>;
  try {
    out = plugin.run({
      scope: s,
      args,
      signal: s.signal,
      log: (level, message) => s.log(level, `${plugin.name}: ${message}`),
    });
  } catch (e) {
    throw pluginError(plugin, e);
  }
  if (Array.isArray(out) && !plugin.batched && out.length <= 512) return convertRows(out);
  return guardPlugin(plugin, out, s);
}

async function* guardPlugin(plugin: PluginDef, out: Iterable<Value> | AsyncIterable<Value>, s: Scope): RowStream {
  try {
    yield* fromPluginOutput(out, !!plugin.batched, s.signal, () => s.batchLimit(512));
  } catch (e) {
    if (isAbort(e) || s.signal.aborted) return;
    throw pluginError(plugin, e);
  }
}
