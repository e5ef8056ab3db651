/** File, parsing and string plugins and functions (registry only). */
import type { Registry } from '../../vql/index.ts';
import type { HostOptions } from '../options.ts';

export function registerFiles(registry: Registry, opts: HostOptions): void {
  void registry;
  void opts;
}
