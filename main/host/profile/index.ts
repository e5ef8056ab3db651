/**
 * Self-profiling, Velociraptor's `profile()`, `profile_goroutines()` and `profile_memory()`
 * (Generic.Client.Profile, Server.Monitor.Profile) with their Node.js counterparts: V8 CPU
 * profiles, heap snapshots and sampling heap profiles, Node trace events, process metrics, and
 * the engine's recent queries and log lines (main/vql/eval/recent.ts). See profile.ts for how
 * each Go profile maps.
 */
import type { Registry } from '../../vql/index.ts';
import type { HostOptions } from '../options.ts';
import { profile } from './profile.ts';
import { profileGoroutines } from './profile_goroutines.ts';
import { profileMemory } from './profile_memory.ts';

export function registerProfile(registry: Registry, _opts: HostOptions): void {
  registry.registerPlugin(profile);
  registry.registerPlugin(profileGoroutines);
  registry.registerPlugin(profileMemory);
}
