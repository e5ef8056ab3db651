/** Process and system plugins (registry only). */
import type { Registry } from '../../vql/index.ts';
import type { HostOptions } from '../options.ts';

export function registerSystem(registry: Registry, opts: HostOptions): void {
  void registry;
  void opts;
}
