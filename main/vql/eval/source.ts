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
import { fromPluginOutput, type RowStream } from './stream.ts';
import { member, orNull } from '../protocols/member.ts';

export type SourceFn = (scope: Scope) => RowStream;

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
    const plugin = s.env.registry.plugins.get(full);
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
async function* deferred(setup: () => Promise<RowStream | null>): RowStream {
  const stream = await setup();
  if (stream) yield* stream;
}

/** A value used as a source (SPEC 6.1, bare variable). */
export function valueAsSource(v: Value, s: Scope): RowStream {
  if (isQuery(v)) return openQuery(v, s);
  if (v instanceof StoredExpression) {
    return deferred(async () => {
      const child = s.child(null);
      if (child.tooDeep) {
        s.log('error', 'Stack overflow: recursion depth limit reached');
        return single(null);
      }
      return valueAsSource(await v.evaluate(child), s);
    });
  }
  if (Array.isArray(v)) return single(...v);
  return single(v);
}

async function* single(...rows: Value[]): RowStream {
  if (rows.length) yield rows;
}

/** `FROM x(args)` where x is a variable (SPEC 6.1). */
function callAsSource(v: Value, name: string, args: readonly CompiledArg[], s: Scope): RowStream | null {
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
function callPlugin(plugin: PluginDef, args: readonly CompiledArg[], s: Scope): RowStream {
  return deferred(async () => {
    if (s.tooDeep) {
      s.log('error', 'Stack overflow: recursion depth limit reached');
      return null;
    }
    const given = await evalArgsEager(args, s);
    if (!plugin.freeArgs) {
      const err = checkArgNames('plugin', plugin.name, plugin.args, given.keys());
      if (err) {
        s.log('error', err);
        return null;
      }
    }
    const out: Record<string, Value> = {};
    try {
      for (const [k, v] of given) {
        const spec = plugin.args[k];
        const type: ArgType | undefined = spec ? (spec.type === 'lazy' ? 'any' : spec.type) : undefined;
        out[k] = type ? await coerce(v, type, k, s) : v;
      }
    } catch (e) {
      if (e instanceof CoerceError) {
        s.log('error', `plugin ${plugin.name}(): ${e.message}`);
        return null;
      }
      throw e;
    }
    return guardPlugin(plugin, out, s);
  });
}

async function* guardPlugin(plugin: PluginDef, args: Record<string, Value>, s: Scope): RowStream {
  try {
    const out = plugin.run({
      scope: s,
      args,
      signal: s.signal,
      log: (level, message) => s.log(level, `${plugin.name}: ${message}`),
    });
    yield* fromPluginOutput(out, !!plugin.batched, s.signal, () => s.batchLimit(512));
  } catch (e) {
    if (isAbort(e) || s.signal.aborted) return;
    if (e instanceof VqlError) throw e;
    throw new VqlError('PluginError', `plugin ${plugin.name}(): ${(e as Error)?.message ?? String(e)}`);
  }
}
