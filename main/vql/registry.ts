/**
 * Plugin and function definitions, and the registry that holds them. Plugins and functions
 * are separate namespaces (SPEC 5.3); registering a name again replaces the earlier entry.
 */
import type { ArgSchema } from './args.ts';
import type { Scope, LogLevel } from './eval/scope.ts';
import type { MaybePromise } from './eval/maybe.ts';
import type { Value } from './values/types.ts';
import { emptyProtocolTable, type BinaryProtocol, type ProtocolTable } from './protocols/dispatch.ts';

/** What a plugin receives when it is called. */
export interface PluginCall {
  /** The query scope the plugin was called from. */
  readonly scope: Scope;
  /** Evaluated, coerced arguments (see ArgType). Absent arguments are missing keys. */
  readonly args: Record<string, Value>;
  /** Aborted when the consumer stops (LIMIT, Ctrl-C, cancelled parent): stop promptly. */
  readonly signal: AbortSignal;
  log(level: LogLevel, message: string): void;
}

/** What a function receives when it is called. */
export interface FunctionCall {
  readonly scope: Scope;
  /** Evaluated, coerced arguments; `lazy` ones are LazyArg objects. */
  readonly args: Record<string, Value>;
  /** Per-call-site state (aggregates, rate()): lives in the current aggregate context. */
  readonly state: { value: unknown };
  log(level: LogLevel, message: string): void;
}

export interface PluginDef {
  readonly name: string;
  readonly doc: string;
  readonly args: ArgSchema;
  /** Accept any argument names (no validation): for free-form plugins. */
  readonly freeArgs?: boolean;
  /** `run` yields arrays of rows instead of rows (internal fast path). */
  readonly batched?: boolean;
  /** Version number reported by version(plugin=...). */
  readonly version?: number;
  /** Category for docs: 'event' plugins never end on their own. */
  readonly category?: string;
  run(call: PluginCall): Iterable<Value> | AsyncIterable<Value>;
}

export interface FunctionDef {
  readonly name: string;
  readonly doc: string;
  readonly args: ArgSchema;
  readonly freeArgs?: boolean;
  /** Keeps state per call site (SPEC 11): count, sum, min, max, enumerate, rate... */
  readonly isAggregate?: boolean;
  /** Value returned on an argument error (default null; format() returns false). */
  readonly onArgError?: Value;
  readonly version?: number;
  run(call: FunctionCall): MaybePromise<Value>;
}

/** The plugins and functions visible to a session. */
export class Registry {
  readonly plugins = new Map<string, PluginDef>();
  readonly functions = new Map<string, FunctionDef>();
  /** Host protocol handlers per operator (SPEC 17). */
  readonly protocols: ProtocolTable = emptyProtocolTable();
  /**
   * Truthiness of values SPEC 9.1 calls falsy "unless a host protocol says otherwise" (a time
   * under Velociraptor's protocols): each says true/false, or undefined when it does not apply.
   */
  readonly boolProtocols: Array<(v: Value) => boolean | undefined> = [];
  /**
   * Resolvers for plugin names that are not registered one by one, such as
   * `Artifact.Generic.Client.Stats`: consulted in order when a FROM name is not in `plugins`.
   */
  readonly pluginResolvers: Array<(name: string) => PluginDef | undefined> = [];

  /** The plugin called `name`: registered, or produced by a resolver. */
  findPlugin(name: string): PluginDef | undefined {
    const p = this.plugins.get(name);
    if (p || this.pluginResolvers.length === 0) return p;
    for (const r of this.pluginResolvers) {
      const d = r(name);
      if (d) return d;
    }
    return undefined;
  }

  registerPlugin(def: PluginDef): this {
    this.plugins.set(def.name, def);
    return this;
  }
  registerFunction(def: FunctionDef): this {
    this.functions.set(def.name, def);
    return this;
  }
  /** A copy that can be extended without changing this registry. */
  clone(): Registry {
    const r = new Registry();
    for (const [k, v] of this.plugins) r.plugins.set(k, v);
    for (const [k, v] of this.functions) r.functions.set(k, v);
    for (const k of Object.keys(this.protocols) as BinaryProtocol[]) r.protocols[k].push(...this.protocols[k]);
    r.pluginResolvers.push(...this.pluginResolvers);
    return r;
  }
}
