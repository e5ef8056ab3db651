/**
 * LevelDB (issue 10): Velociraptor's `leveldb()` plugin, with a read-only reader of the
 * database format of our own (log-reader.ts, manifest.ts, table.ts, merge.ts, database.ts),
 * so that browser stores such as Chrome's Session Storage can be listed while in use.
 */
import type { PluginDef, Registry } from '../../vql/index.ts';
import type { HostOptions } from '../options.ts';
import { leveldb } from './leveldb.ts';

export const leveldbPlugins: readonly PluginDef[] = [leveldb];

export function registerLeveldb(registry: Registry, opts: HostOptions): void {
  void opts;
  for (const p of leveldbPlugins) registry.registerPlugin(p);
}
