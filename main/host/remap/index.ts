/**
 * Remapping (Velociraptor's vql/remapping): running queries and artifacts against evidence
 * (a dead disk image, a triage folder) instead of this machine. The remap() function, the CLI's
 * `--remap FILE` (main/cli), and the `offset` accessor that DeadDiskRemapping's configs use
 * (`file_nocase` is main/host/more/file-nocase.ts). See docs/remapping.md.
 */
import type { Registry } from '../../vql/index.ts';
import { registerAccessor } from '../files/accessors.ts';
import { offsetAccessor } from './offset.ts';
import { remapFunction } from './remap-function.ts';

export { RemapError, parseRemapConfig, type RemapConfig } from './config.ts';
export { remapMocks, remapState, remapStateOf, applyToScope, type RemapState } from './apply.ts';

export function registerRemap(registry: Registry): void {
  registerAccessor(registry, offsetAccessor);
  registry.registerFunction(remapFunction);
}
