/**
 * Expert Witness (E01) disk images on any OS: the `ewf` accessor over the EWF reader (ewf.ts).
 */
import type { Registry } from '../../vql/index.ts';
import { registerEwf } from './ewf-accessor.ts';

export { EwfImage, EwfError, isEwf, isEwf2, segmentName } from './ewf.ts';

export function registerEwfAccessor(registry: Registry): void {
  registerEwf(registry);
}
