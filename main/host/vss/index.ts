/**
 * Volume Shadow Copies in NTFS volume images, read with no OS support (libvshadow's view of
 * the format): the `vss` accessor (a copy's bytes) and Velociraptor's `ntfs_vss` accessor (a
 * glob that also finds the files of every shadow copy). See format.ts and accessor.ts.
 */
import type { Registry } from '../../vql/index.ts';
import { registerVssAccessors } from './accessor.ts';

export { VssVolume, VssError, type ShadowStore } from './format.ts';
export { shadowDevice } from './accessor.ts';

export function registerVss(registry: Registry): void {
  registerVssAccessors(registry);
}
