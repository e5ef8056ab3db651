/**
 * `mock(plugin=, function=, artifact=, results=)`: Velociraptor's test helper
 * (vql/tools/mock.go). It replaces a plugin, a function or an artifact, for the rest of the
 * session and the sessions it starts (query(), Artifact.X()), with one that returns canned
 * results, so an artifact's logic can be tried on rows from another machine.
 *
 * - A plugin (or artifact) mocked with a list of rows gives all of them on every call. With a
 *   list of lists, each call gives the next list, starting over after the last.
 * - A function mocked with a list gives the next item on each call, starting over after the last.
 *
 * The replacement lives in the session's environment (Env.mocks), never in the shared registry:
 * other sessions and runs are not affected.
 */
import { VDict, type FunctionDef, type PluginDef, type Scope, type Value } from '../../vql/index.ts';

/** Cycles through `items`: the next one on each call. */
class Turns {
  private next = 0;
  constructor(private readonly items: readonly Value[]) {}
  take(): Value {
    if (this.items.length === 0) return null;
    const v = this.items[this.next % this.items.length]!;
    this.next++;
    return v;
  }
}

function mockPlugin(name: string, results: readonly Value[]): PluginDef {
  const perCall = results.length > 0 && results.every(Array.isArray);
  const turns = new Turns(results);
  return {
    name,
    doc: `mock() replacement of ${name}`,
    args: {},
    freeArgs: true,
    *run() {
      const rows = perCall ? (turns.take() as Value[]) : results;
      for (const r of rows) yield r;
    },
  };
}

function mockFunction(name: string, results: readonly Value[]): FunctionDef {
  const turns = new Turns(results);
  return {
    name,
    doc: `mock() replacement of ${name}()`,
    args: {},
    freeArgs: true,
    run: () => turns.take(),
  };
}

/** `Artifact.X` given as a string (`'X'` or `'Artifact.X'`) or as the plugin value. */
function artifactName(v: Value): string | undefined {
  if (typeof v === 'string' && v !== '') return v.startsWith('Artifact.') ? v : `Artifact.${v}`;
  if (v instanceof VDict) {
    const name = v.get('name');
    if (typeof name === 'string') return artifactName(name);
  }
  return undefined;
}

function install(scope: Scope): NonNullable<Scope['env']['mocks']> {
  const env = scope.env;
  if (!env.mocks) env.mocks = { plugins: new Map(), functions: new Map() };
  return env.mocks;
}

export const mock: FunctionDef = {
  name: 'mock',
  doc: 'Replaces a plugin, function or artifact for the rest of the session with one that returns `results` (a list of rows: every call; a list of lists: one list per call)',
  args: {
    plugin: { type: 'string', doc: 'The plugin to replace' },
    function: { type: 'string', doc: 'The function to replace: each call returns the next item of results' },
    artifact: { type: 'any', doc: 'The artifact to replace (its name, or Artifact.Name)' },
    results: { type: 'any', doc: 'The rows (or values) to return', required: true },
  },
  run(call) {
    const { plugin, function: fn, artifact } = call.args;
    const given = call.args.results;
    const results: Value[] = Array.isArray(given) ? given : given === null || given === undefined ? [] : [given];
    const named = [plugin, fn, artifact].filter((v) => v !== undefined && v !== null && v !== '').length;
    if (named !== 1) {
      call.log('error', 'mock: name exactly one of plugin=, function= or artifact=');
      return null;
    }
    const mocks = install(call.scope);
    if (typeof plugin === 'string' && plugin !== '') {
      mocks.plugins.set(plugin, mockPlugin(plugin, results));
    } else if (typeof fn === 'string' && fn !== '') {
      mocks.functions.set(fn, mockFunction(fn, results));
    } else {
      const name = artifactName(artifact as Value);
      if (!name) {
        call.log('error', `mock: argument artifact: expected an artifact name such as 'Linux.Sys.Users' (got ${JSON.stringify(artifact)})`);
        return null;
      }
      mocks.plugins.set(name, mockPlugin(name, results));
    }
    return null;
  },
};
