/**
 * Offline Windows registry hives, on any OS: the `raw_reg` / `raw_registry` accessors
 * (raw-reg-accessor.ts, over the regf reader in hive.ts) and the `read_reg_key` plugin.
 */
import type { Registry } from '../../vql/index.ts';
import type { HostOptions } from '../options.ts';
import { registerRawRegAccessors } from './raw-reg-accessor.ts';
import { readRegKey } from './read-reg-key.ts';

export function registerRegistry(registry: Registry, _opts: HostOptions = {}): void {
  registerRawRegAccessors(registry);
  registry.registerPlugin(readRegKey);
}
