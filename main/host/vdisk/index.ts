/**
 * Disk images read in place, on any OS: Expert Witness (`ewf`: .E01 and its segments), Hyper-V
 * (`vhdx`) and VMware (`vmdk`: sparse, stream-optimized, flat and split extents) images, each
 * the disk inside as one file (image-accessor.ts). `openDiskImage` tells the formats apart by
 * their first bytes (vql deaddisk, --evidence).
 */
import type { Registry } from '../../vql/index.ts';
import { readFull, type FileReader } from '../files/accessors.ts';
import { EwfImage, isEwf, isEwf2, segmentName } from './ewf.ts';
import { VhdxImage, isVhdx } from './vhdx.ts';
import { VdiskError } from './errors.ts';
import { VmdkImage, isVmdk } from './vmdk.ts';
import { imageAccessor, registerImageAccessors, type DiskImage, type ImageFileOpener } from './image-accessor.ts';

export { EwfError } from './ewf.ts';
export { VdiskError } from './errors.ts';

export type DiskImageFormat = 'ewf' | 'vhdx' | 'vmdk';

function ewf(label: string, file: ImageFileOpener, base: string): Promise<DiskImage> {
  return EwfImage.open(label, (i) => (i === 0 ? file() : file(segmentName(base, i)))).then((img) => Object.assign(img, {
    details: () => ({ ChunkSize: img.info.chunkSize, BytesPerSector: img.info.bytesPerSector, Segments: img.info.segments }),
  }));
}

async function named(file: ImageFileOpener, label: string): Promise<FileReader> {
  const r = await file();
  if (!r) throw new VdiskError(`${label}: cannot open it`);
  return r;
}

async function vhdx(label: string, file: ImageFileOpener): Promise<DiskImage> {
  const img = await VhdxImage.open(await named(file, label), label);
  return Object.assign(img, { details: () => ({ SectorSize: img.sectorSize }) });
}

async function vmdk(label: string, file: ImageFileOpener): Promise<DiskImage> {
  return VmdkImage.open(await named(file, label), label, async (name) => {
    const r = await file(name);
    if (!r) throw new VdiskError(`${label}: the extent ${name} it names is not next to it`);
    return r;
  });
}

export const OPENERS: Record<DiskImageFormat, (label: string, file: ImageFileOpener, base: string) => Promise<DiskImage>> = { ewf, vhdx, vmdk };

/** The image format `head` (a file's first 64 bytes) starts, or null (a raw image, or not an image). EWF2 is refused. */
export function diskImageFormat(head: Uint8Array, label: string): DiskImageFormat | null {
  if (isEwf2(head)) throw new VdiskError(`${label}: an EWF2 (Ex01) image: only E01 (EWF1) images are read; convert it with ewfexport -f raw (libewf)`);
  if (isEwf(head)) return 'ewf';
  if (isVhdx(head)) return 'vhdx';
  if (isVmdk(head)) return 'vmdk';
  return null;
}

/** Opens the image `first` reads, of `format`; `sibling(name)` opens a file next to it. */
export async function openDiskImage(format: DiskImageFormat, label: string, base: string, first: () => Promise<FileReader>, sibling: (name: string) => Promise<FileReader | null>): Promise<DiskImage> {
  return OPENERS[format](label, (name) => (name === undefined ? first() : sibling(name)), base);
}

export async function sniffDiskImage(r: FileReader, label: string): Promise<DiskImageFormat | null> {
  return diskImageFormat(await readFull(r, 0, 64), label);
}

export function registerDiskImages(registry: Registry): void {
  registerImageAccessors(registry, [
    imageAccessor('ewf', 'an Expert Witness (E01) image', ewf),
    imageAccessor('vhdx', 'a Hyper-V VHDX image', vhdx),
    imageAccessor('vmdk', 'a VMware VMDK image', vmdk),
  ]);
}
