/**
 * Builds the conformance test scope from `fixtures.json` (../shared/vql/conformance) through
 * the public API: scope layers from the typed value encoding, row plugins from their data,
 * and the behavioural fixtures (range, dict, panic, set_env...) by name, as fixtures.md
 * describes them.
 */
import {
  ABSENT, GET_MEMBER, Lazy, MEMBERS, VDict, VFloat, createRegistry, eq, goText, type HostObject, type Registry, type Value,
} from '../../main/vql/index.ts';

/** One typed value of fixtures.json. */
interface Typed {
  type: string;
  value?: unknown;
  class?: string;
  fields?: Record<string, Typed>;
  ref?: string;
}

interface FixtureFile {
  scope_layers: Array<{ layer: number; name?: string; vars: Array<[string, Typed]> }>;
  plugins: Array<{ name: string; rows?: Typed[] }>;
  functions: Array<{ name: string }>;
}

/** Process-wide fixture state (fixtures.md section 6): not reset between cases. */
const globalState = { objectWithMethods: 0, counter: 0 };

/** ObjectWithMethods: lazy-wrapper members Value1, Value2, Value3 (absent), Counter. */
class ObjectWithMethods implements HostObject {
  constructor(readonly value1: Value) {}
  [MEMBERS](): readonly string[] {
    return ['Value1', 'Value2', 'Value3', 'Counter'];
  }
  [GET_MEMBER](name: string): Value | typeof ABSENT {
    switch (name) {
      case 'Value1':
        return this.value1;
      case 'Value2':
        return new Lazy(() => {
          globalState.objectWithMethods++;
          return `I am a method, called ${globalState.objectWithMethods}`;
        });
      case 'Counter':
        return new Lazy(() => globalState.objectWithMethods);
      default:
        return ABSENT;
    }
  }
}

/** StructWithJson: field SrcIP, also reachable by its JSON name src_ip. */
class StructWithJson implements HostObject {
  constructor(readonly srcIP: Value) {}
  [MEMBERS](): readonly string[] {
    return ['SrcIP'];
  }
  [GET_MEMBER](name: string): Value | typeof ABSENT {
    return name === 'SrcIP' || name === 'src_ip' ? this.srcIP : ABSENT;
  }
}

/** Decodes the typed encoding; `self` refers to the dict being built. */
export function decodeTyped(t: Typed, self?: VDict): Value {
  switch (t.type) {
    case 'null':
      return null;
    case 'bool':
    case 'string':
      return t.value;
    case 'int':
      return typeof t.value === 'number' && !Number.isSafeInteger(t.value) ? BigInt(String(t.value)) : t.value;
    case 'float': {
      const n = t.value as number;
      return Number.isInteger(n) ? new VFloat(n) : n;
    }
    case 'array':
      return (t.value as Typed[]).map((x) => decodeTyped(x, self));
    case 'dict': {
      const d = new VDict();
      for (const [k, v] of t.value as Array<[string, Typed]>) d.set(k, decodeTyped(v, d));
      return d;
    }
    case 'self':
      return self ?? null;
    case 'object': {
      const f = t.fields ?? {};
      if (t.class === 'ObjectWithMethods') return new ObjectWithMethods(decodeTyped(f.Value1!));
      if (t.class === 'StructWithJson') return new StructWithJson(decodeTyped(f.SrcIP!));
      throw new Error(`fixtures: unknown host type ${t.class}`);
    }
    default:
      throw new Error(`fixtures: unknown typed value ${t.type}`);
  }
}

/** What a case needs: a registry, the layers, and the tripwire state. */
export interface TestScope {
  registry: Registry;
  layers: VDict[];
  /** Set when panic() tripped: the case fails. */
  tripped: string[];
}

function num(v: Value): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof VFloat) return v.value;
  return null;
}

/** Builds a fresh test scope for one case (fixtures.md section 1). */
export function buildTestScope(file: FixtureFile): TestScope {
  // The vfilter cases run against vfilter's core semantics, without Velociraptor's protocols.
  const registry = createRegistry({ velociraptorProtocols: false });
  const tripped: string[] = [];
  const layers: VDict[] = [];
  let rootEnv: VDict | undefined;
  for (const layer of file.scope_layers) {
    if (layer.layer === 0) continue; // the session's base layer already binds NULL
    const d = new VDict();
    for (const [k, v] of layer.vars) d.set(k, decodeTyped(v, d));
    if (layer.name === 'RootEnv') rootEnv = d;
    layers.push(d);
  }
  const pluginNames = new Set(file.plugins.map((p) => p.name));
  for (const p of file.plugins) {
    if (p.rows) {
      const rows = p.rows;
      registry.registerPlugin({ name: p.name, doc: 'fixture', args: {}, freeArgs: true, run: () => rows.map((r) => decodeTyped(r)) });
    }
  }
  if (pluginNames.has('range')) {
    registry.registerPlugin({
      name: 'range',
      doc: 'fixture: inclusive float range',
      args: {},
      freeArgs: true,
      *run({ args }) {
        // start, then end are read in that order; a failed read keeps what was read (fixtures.md).
        let start = 0;
        let end = 0;
        const s = num(args.start);
        if (s !== null) {
          start = s;
          const e = num(args.end);
          if (e !== null) end = e;
        }
        for (let v = start; v <= end; v++) yield new VDict([['value', Number.isInteger(v) ? new VFloat(v) : v]]);
      },
    });
  }
  if (pluginNames.has('dict')) {
    registry.registerPlugin({
      name: 'dict',
      doc: 'fixture: one row of the arguments',
      args: {},
      freeArgs: true,
      run: ({ args }) => [new VDict(Object.entries(args))],
    });
  }
  if (pluginNames.has('reset_objectwithmethods')) {
    registry.registerPlugin({
      name: 'reset_objectwithmethods',
      doc: 'fixture',
      args: {},
      freeArgs: true,
      run() {
        globalState.objectWithMethods = 0;
        return [];
      },
    });
  }
  const fnNames = new Set(file.functions.map((f) => f.name));
  if (fnNames.has('func_foo')) {
    registry.registerFunction({
      name: 'func_foo',
      doc: 'fixture',
      args: {},
      freeArgs: true,
      run: ({ args }) => ('return' in args ? args.return : 1),
    });
  }
  if (fnNames.has('set_env')) {
    registry.registerFunction({
      name: 'set_env',
      doc: 'fixture: RootEnv[column] = value',
      args: { column: { type: 'string', required: true, doc: '' }, value: { type: 'any', doc: '' } },
      run({ args }) {
        rootEnv?.set(args.column as string, args.value === undefined ? null : args.value);
        return true;
      },
    });
  }
  if (fnNames.has('panic')) {
    registry.registerFunction({
      name: 'panic',
      doc: 'fixture: tripwire',
      args: { column: { type: 'any', doc: '' }, value: { type: 'any', doc: '' } },
      run({ args, scope }) {
        const column = args.column === undefined ? null : args.column;
        const value = args.value === undefined ? null : args.value;
        if (eq(value, column)) {
          tripped.push(`panic(column=${goText(column)}, value=${goText(value)})`);
          scope.log('error', 'panic() tripped');
          return null;
        }
        return value;
      },
    });
  }
  if (fnNames.has('counter')) {
    registry.registerFunction({ name: 'counter', doc: 'fixture', args: {}, run: () => ++globalState.counter });
  }
  return { registry, layers, tripped };
}
