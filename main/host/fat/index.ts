/**
 * FAT volumes on any OS: the `fat` accessor (FAT12, FAT16 and FAT32 images: USB sticks, EFI
 * system partitions), read in place through any delegate accessor.
 */
import type { Registry } from '../../vql/index.ts';
import { registerFatAccessor } from './fat-accessor.ts';

export { FatError, FatVolume } from './fat.ts';

export function registerFat(registry: Registry): void {
  registerFatAccessor(registry);
}
