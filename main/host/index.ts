/**
 * The host plugins and functions: the engine's eyes on this machine (processes, system
 * information, files, parsers). `createHostRegistry()` is what the CLI, the collector and the
 * app use: the builtins plus everything here.
 */
import { createRegistry, type Registry, type RegistryOptions } from '../vql/index.ts';
import type { HostOptions } from './options.ts';
import { registerSystem } from './system/index.ts';
import { registerFiles } from './files/index.ts';
import { registerCollect } from './collect/index.ts';
import { registerParsers } from './parsers/index.ts';
import { registerNet } from './net/index.ts';
import { registerEvents } from './events/index.ts';
import { registerTracker } from './tracker/index.ts';
import { registerYara } from './yara/index.ts';
import { registerMore } from './more/index.ts';
import { registerJournald } from './journald/index.ts';
import { registerProfile } from './profile/index.ts';
import { registerLeveldb } from './leveldb/index.ts';
import { registerShell } from './shell/index.ts';
import { registerRegistry } from './registry/index.ts';
import { registerNtfs } from './ntfs/index.ts';
import { registerRemap } from './remap/index.ts';
import { registerOle } from './ole/index.ts';
import { registerDiskImages } from './vdisk/index.ts';
import { registerFat } from './fat/index.ts';
import { registerEse } from './ese/index.ts';
import { registerVss } from './vss/index.ts';
import { registerPst } from './pst/index.ts';
import { verifyFunction } from '../artifacts/verify-function.ts';

export type { HostOptions } from './options.ts';

/** Registers every host plugin and function into `registry`. */
export function registerHost(registry: Registry, opts: HostOptions = {}): Registry {
  registerSystem(registry, opts);
  registerFiles(registry, opts);
  registerCollect(registry, opts);
  registerParsers(registry, opts);
  registerNet(registry, opts);
  registerEvents(registry, opts);
  registerTracker(registry, opts);
  registerYara(registry, opts);
  registerMore(registry, opts);
  registerJournald(registry, opts);
  registerProfile(registry, opts);
  registerLeveldb(registry, opts);
  registerShell(registry, opts);
  registerRegistry(registry, opts);
  registerNtfs(registry, opts);
  registerOle(registry);
  registerDiskImages(registry);
  registerFat(registry);
  registerEse(registry);
  registerVss(registry);
  registerPst(registry);
  registerRemap(registry);
  registry.registerFunction(verifyFunction);
  return registry;
}

/** The builtins plus the host plugins and functions. */
export function createHostRegistry(opts: HostOptions & RegistryOptions = {}): Registry {
  return registerHost(createRegistry(opts), opts);
}
