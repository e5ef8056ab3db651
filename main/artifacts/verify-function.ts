/**
 * `verify(artifact=)` (Velociraptor's vql/tools/verify.go): checks an artifact, given as its
 * YAML text or as the name of a loaded artifact, as `vql artifacts verify` does, and returns a
 * dict: `Artifact` (its name), `Errors` (it cannot be loaded or run) and `Warnings` (calls the
 * engine does not know, wrong arguments), each a list of `line:column: message` strings. The
 * calls it makes to other artifacts resolve against the repository of the run (built-ins when
 * the run has none).
 */
import { VDict, type FunctionDef, type Registry } from '../vql/index.ts';
import { loadArtifactText } from './loader.ts';
import { lintArtifact } from './lint.ts';
import { Repository } from './repository.ts';
import { repositoryOf } from './plugin.ts';

let builtins: Repository | undefined;

function repositoryFor(registry: Registry): Repository {
  return repositoryOf(registry) ?? (builtins ??= new Repository());
}

export const verifyFunction: FunctionDef = {
  name: 'verify',
  doc: 'Checks an artifact (YAML text, or the name of a loaded artifact): a dict of Artifact, Errors and Warnings',
  args: {
    artifact: { type: 'string', required: true, doc: 'The artifact\'s YAML, or its name' },
  },
  run(call) {
    const text = String(call.args.artifact);
    const repo = repositoryFor(call.scope.env.registry);
    const named = /^[\w.-]+$/.test(text.trim()) ? repo.get(text.trim()) : undefined;
    const loaded = named ? { loaded: named, problems: [] } : loadArtifactText(text, '<artifact>');
    const problems = [...loaded.problems];
    if (loaded.loaded) problems.push(...lintArtifact(loaded.loaded, call.scope.env.registry, repo));
    const lines = (severity: 'error' | 'warning') => problems.filter((p) => p.severity === severity).map((p) => `${p.line}:${p.column}: ${p.message}`);
    return new VDict([
      ['Artifact', loaded.loaded?.artifact.name ?? ''],
      ['Errors', lines('error')],
      ['Warnings', lines('warning')],
    ]);
  },
};
