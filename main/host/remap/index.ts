/**
 * Remapping (Velociraptor's vql/remapping): running queries and artifacts against evidence
 * (a dead disk image, a triage folder) instead of this machine. The remap() function, the CLI's
 * `--remap FILE` (main/cli), the `offset` accessor that DeadDiskRemapping's configs use and the
 * `overlay` accessor of Windows.Collectors.Remapping's
 * (`file_nocase` is main/host/more/file-nocase.ts). See docs/remapping.md.
 */
import type { Registry } from '../../vql/index.ts';
import { registerAccessor } from '../files/accessors.ts';
import { offsetAccessor } from './offset.ts';
import { overlayAccessor } from './overlay.ts';
import { remapFunction } from './remap-function.ts';

export { RemapError, parseRemapConfig, type RemapConfig } from './config.ts';
export { remapMocks, remapState, remapStateOf, applyToScope, type RemapState } from './apply.ts';

export function registerRemap(registry: Registry): void {
  registerAccessor(registry, offsetAccessor);
  registerAccessor(registry, overlayAccessor);
  registry.registerFunction(remapFunction);
}
