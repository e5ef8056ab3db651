/** Runs VQL against the builtins plus the file and parser host functions, for the tests. */
import { createRegistry, type Registry } from '../../../main/vql/index.ts';
import { registerFiles } from '../../../main/host/files/index.ts';
import { registerParsers } from '../../../main/host/parsers/index.ts';
import { runner } from '../files/query-runner.ts';

export type { QueryResult } from '../files/query-runner.ts';

export function parsersRegistry(): Registry {
  const registry = createRegistry();
  registerFiles(registry, {});
  registerParsers(registry, {});
  return registry;
}

export const { query, value } = runner(parsersRegistry);
