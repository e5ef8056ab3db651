/**
 * The engine the commands run: builtins, host plugins and `Artifact.<name>` plugins backed
 * by the repository (built-ins plus `--definitions`), created when first needed, and the tools
 * inventory artifacts' `tools:` resolve against (main/artifacts/tools.ts).
 */
import { createHostRegistry } from '../host/index.ts';
import { Repository, installArtifactPlugins, formatProblem } from '../artifacts/index.ts';
import type { Registry } from '../vql/index.ts';
import type { EngineFlags } from './flags.ts';
import { ToolInventory, attachTools, datastoreTools } from '../artifacts/tools.ts';

export interface Engine {
  readonly registry: Registry;
  /** The repository (loaded on first use: queries that call no artifact never read it). */
  repository(): Repository;
}

export function createEngine(flags: EngineFlags, log: (m: string) => void = (m) => process.stderr.write(m + '\n')): Engine {
  const registry = createHostRegistry({ allowExecve: flags.allowExecve, files: flags.files });
  let repo: Repository | undefined;
  const repository = (): Repository => {
    if (!repo) {
      repo = new Repository({ definitions: flags.definitions });
      // Files that failed to load are skipped, not fatal (Velociraptor's rule); say why.
      for (const p of repo.problems) log(`${p.severity === 'error' ? 'WARNING: skipped' : 'WARNING:'} ${formatProblem(p)}`);
    }
    return repo;
  };
  installArtifactPlugins(registry, repository);
  // The default datastore's tools and local state folders (_LocalFolder: the local hash
  // database), unless the run names others (--tools; the collector: its datastore's).
  attachTools(registry, new ToolInventory({ ...datastoreTools(), ...flags.tools }));
  return { registry, repository };
}
