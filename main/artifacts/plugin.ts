/**
 * `SELECT * FROM Artifact.Generic.Client.Stats(Frequency=5)` (VELOCIRAPTOR.md 1.12): every
 * `Artifact.<name>` is a plugin resolved from the repository when it is called, so a reload
 * is visible at once. Special arguments: `source=` (one source), `preconditions=TRUE`
 * (evaluate them; off by default, as in Velociraptor).
 */
import { didYouMean, truthy, type PluginDef, type Registry, type Value } from '../vql/index.ts';
import type { Repository } from './repository.ts';
import { ArtifactCallError, artifactStack, artifactTools, runArtifact } from './run.ts';

const PREFIX = 'Artifact.';

function artifactPlugin(repo: Repository, name: string): PluginDef {
  return {
    name: PREFIX + name,
    doc: repo.get(name)?.artifact.description?.split('\n')[0] ?? `Run the artifact ${name}`,
    args: {},
    freeArgs: true,
    batched: true,
    async *run({ scope, args, signal, log }) {
      const loaded = repo.get(name);
      if (!loaded) {
        log('error', `Artifact ${name} not found${didYouMean(name, repo.names())}`);
        return;
      }
      const given = new Map<string, Value>(Object.entries(args));
      const source = given.get('source');
      given.delete('source');
      const pre = given.get('preconditions');
      given.delete('preconditions');
      // A nested artifact is part of its caller's flow: it sees the same _SessionId (as in Velociraptor, where it runs in a subscope).
      const sessionId = await scope.lookup('_SessionId');
      try {
        yield* runArtifact(repo, loaded, given, {
          registry: scope.env.registry,
          log: (level, m) => scope.log(level, m),
          signal,
          source: source === undefined || source === null ? undefined : String(source),
          preconditions: pre === undefined ? false : await truthy(pre, scope),
          stack: artifactStack(scope),
          tools: artifactTools(scope),
          mocks: scope.env.mocks,
          ...(typeof sessionId === 'string' && sessionId !== '' ? { sessionId } : {}),
        });
      } catch (e) {
        if (!(e instanceof ArtifactCallError)) throw e;
        log('error', e.message);
      }
    },
  };
}

const repositories = new WeakMap<Registry, () => Repository>();

/** The repository whose artifacts `registry` runs (installArtifactPlugins), if any. */
export function repositoryOf(registry: Registry): Repository | undefined {
  return repositories.get(registry)?.();
}

/**
 * Makes `Artifact.<name>(...)` callable in VQL run with `registry`. `repo` may be a function,
 * so the repository is only loaded when an artifact is first called.
 */
export function installArtifactPlugins(registry: Registry, repo: Repository | (() => Repository)): void {
  const get = typeof repo === 'function' ? repo : () => repo;
  repositories.set(registry, get);
  registry.pluginResolvers.push((name) => (name.startsWith(PREFIX) ? artifactPlugin(get(), name.slice(PREFIX.length)) : undefined));
}
