/**
 * Scopes (SPEC section 5): a stack of layers, looked up from the top down, plus the
 * per-run environment (registry, logger, cancellation) and the aggregate context.
 */
import { ABSENT, GET_MEMBER, VDict, isHostObject, type Absent, type HostObject, type Value } from '../values/types.ts';
import type { FunctionDef, PluginDef, Registry } from '../registry.ts';
import type { MaybePromise } from './maybe.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Receives the engine's diagnostics. Logs never change results (SPEC preamble). */
export type Logger = (level: LogLevel, message: string) => void;

/** Shared by every scope of one session: what is registered, where logs go, limits. */
export interface Env {
  readonly registry: Registry;
  readonly log: Logger;
  /** The recursion guard (SPEC 5.5). */
  readonly maxDepth: number;
  /** Per-session key/value store that VQL cannot see (compiled regex cache, rate() state). */
  readonly context: Map<unknown, unknown>;
  /**
   * Plugins and functions replaced by mock() for this session and the sessions it starts
   * (query(), Artifact.X()): looked up before the registry. Absent until mock() is called.
   */
  mocks?: Mocks;
}

/** What mock() installed: these names resolve here before the registry. */
export interface Mocks {
  readonly plugins: Map<string, PluginDef>;
  readonly functions: Map<string, FunctionDef>;
}

/** Aggregate state keyed by call site (SPEC 11.1). */
export class AggContext {
  readonly states = new Map<object, { value: unknown }>();

  /** The state cell of a call site, created on first use. */
  cell(site: object): { value: unknown } {
    let c = this.states.get(site);
    if (!c) {
      c = { value: undefined };
      this.states.set(site, c);
    }
    return c;
  }
}

/**
 * A layer that resolves names itself (lazy rows, bindings). `lookup` returns ABSENT when
 * the name is not in this layer, or a promise when computing the value is asynchronous.
 */
export interface Layer {
  lookupName(name: string): MaybePromise<Value | Absent>;
}

function isLayer(v: unknown): v is Layer {
  return typeof v === 'object' && v !== null && typeof (v as Partial<Layer>).lookupName === 'function';
}

/** A set of LET bindings (one per LET statement). */
export class Bindings implements Layer {
  constructor(readonly vars: Map<string, Value>) {}
  lookupName(name: string): Value | Absent {
    const v = this.vars.get(name);
    if (v === undefined && !this.vars.has(name)) return ABSENT;
    return v;
  }
}

/**
 * How many more rows a consumer up the chain can still use (LIMIT, truthiness, indexing).
 * Row producers never compute more than this ahead, so work past a LIMIT is never done
 * (SPEC 13: the `panic` tripwires).
 */
export interface Demand {
  readonly remaining: number;
}

/** One link of the scope chain. Children are cheap: one object per layer. */
export class Scope {
  /** Set by consumers that need only a few rows; inherited by children. */
  demand: Demand | undefined = undefined;
  /** EXPLAIN tracing is on for this query and its children (SPEC 6.7). */
  explain = false;
  /** What kind of layer this is, decided once (lookups are the hottest path). */
  private kind: LayerKind = LayerKind.Unknown;

  constructor(
    readonly parent: Scope | null,
    /** The value whose members this layer exposes (dict, row, host object, Layer) or null. */
    public layer: unknown,
    readonly env: Env,
    readonly agg: AggContext,
    readonly depth: number,
    readonly signal: AbortSignal,
  ) {}

  /** A new scope with `layer` on top. */
  child(layer: unknown, agg: AggContext = this.agg, signal: AbortSignal = this.signal): Scope {
    const s = new Scope(this, layer, this.env, agg, this.depth + 1, signal);
    s.demand = this.demand;
    s.explain = this.explain;
    return s;
  }

  private copy(agg: AggContext, signal: AbortSignal, demand: Demand | undefined): Scope {
    const s = new Scope(this.parent, this.layer, this.env, agg, this.depth, signal);
    s.demand = demand;
    s.explain = this.explain;
    return s;
  }

  /** The same layers with another aggregate context (GROUP BY bins, fresh contexts). */
  withAgg(agg: AggContext): Scope {
    return this.copy(agg, this.signal, this.demand);
  }

  /** The same layers with another cancellation signal. */
  withSignal(signal: AbortSignal): Scope {
    return this.copy(this.agg, signal, this.demand);
  }

  /** The same layers with another row demand (undefined: consume everything). */
  withDemand(demand: Demand | undefined): Scope {
    return this.copy(this.agg, this.signal, demand);
  }

  /** How many rows a producer may compute now: the demand, capped at `max`. */
  batchLimit(max: number): number {
    const d = this.demand;
    if (!d) return max;
    return Math.max(1, Math.min(max, d.remaining));
  }

  get tooDeep(): boolean {
    return this.depth >= this.env.maxDepth;
  }

  /** Looks `name` up from the top layer down; ABSENT when no layer has it. */
  lookup(name: string): MaybePromise<Value | Absent> {
    let s: Scope | null = this;
    while (s !== null) {
      let v: MaybePromise<Value | Absent>;
      let kind = s.kind;
      if (kind === LayerKind.Unknown) kind = s.kind = layerKind(s.layer);
      switch (kind) {
        case LayerKind.None:
          s = s.parent;
          continue;
        case LayerKind.Dict:
          v = (s.layer as VDict).get(name);
          break;
        case LayerKind.Layer:
          v = (s.layer as Layer).lookupName(name);
          break;
        case LayerKind.Scope:
          v = (s.layer as Scope).lookup(name);
          break;
        default:
          v = (s.layer as HostObject)[GET_MEMBER](name);
      }
      if (v instanceof Promise) {
        const parent = s.parent;
        return v.then((r) => (r === ABSENT && parent ? parent.lookup(name) : r));
      }
      if (v !== ABSENT) return v;
      s = s.parent;
    }
    return ABSENT;
  }

  log(level: LogLevel, message: string): void {
    this.env.log(level, message);
  }

  /**
   * Where a name missing from the scope is a field one level down in a row column (`RSS` is
   * `MemoryInfo.RSS` in a pslist row), for the "not found" warning; undefined when nowhere.
   */
  nestedField(name: string): string | undefined {
    for (let s: Scope | null = this; s !== null; s = s.parent) {
      if (!(s.layer instanceof VDict)) continue;
      for (const [key, value] of s.layer.entries()) {
        let found: unknown = ABSENT;
        if (value instanceof VDict) found = value.get(name);
        else if (isHostObject(value)) found = value[GET_MEMBER](name);
        if (found !== ABSENT && found !== undefined && !(found instanceof Promise)) return `${key}.${name}`;
      }
    }
    return undefined;
  }
}

const enum LayerKind {
  Unknown,
  None,
  Dict,
  Layer,
  Scope,
  Host,
}

function layerKind(layer: unknown): LayerKind {
  if (layer instanceof VDict) return LayerKind.Dict;
  if (isLayer(layer)) return LayerKind.Layer;
  if (layer instanceof Scope) return LayerKind.Scope;
  if (isHostObject(layer)) return LayerKind.Host;
  return LayerKind.None;
}

/** Looks a name up in one layer value. */
export function lookupInLayer(layer: unknown, name: string): MaybePromise<Value | Absent> {
  if (layer instanceof VDict) return layer.get(name);
  if (isLayer(layer)) return layer.lookupName(name);
  if (layer instanceof Scope) return layer.lookup(name);
  if (isHostObject(layer)) return layer[GET_MEMBER](name);
  return ABSENT;
}
