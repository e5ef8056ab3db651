/**
 * Builds Windows disk evidence for the dead-disk tests: an NTFS partition image made by ntfs-3g's
 * mkntfs and filled through an ntfs-3g (FUSE) mount (test/host/ntfs/image.ts), so its directories, indexes and files are
 * laid out by a real NTFS driver; and a GPT disk image that holds it at sector 2048, as a
 * Windows installer lays out a disk.
 *
 * `windowsImageSupport()` says why it cannot be done here (no ntfs-3g, no FUSE), for a skip notice.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { makeVolume, ntfsSupport, withMount } from '../ntfs/image.ts';

const SECTOR = 512;
/** The partition's first sector in the disk image (1 MiB, Windows' alignment). */
export const PARTITION_LBA = 2048;

/** Null when images can be built here, else why not (for the skip notice). */
export const windowsImageSupport = ntfsSupport;

/**
 * Writes an NTFS partition image at `image` (`sizeMiB` large, sparse) holding `files`
 * (volume path with `/` separators → content; folders are made as needed).
 */
export function buildNtfsPartition(image: string, files: Readonly<Record<string, Uint8Array | string>>, sizeMiB = 24, sectorSize: 512 | 4096 = 512): void {
  makeVolume(image, sizeMiB, 'Windows', sectorSize);
  withMount(image, (mnt) => {
    for (const [path, content] of Object.entries(files)) {
      const target = join(mnt, path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, content);
    }
  });
}

function guidBytes(guid: string): Buffer {
  // Mixed-endian: the first three groups little-endian, the rest as written.
  const h = guid.replace(/[{}-]/g, '');
  const b = Buffer.from(h, 'hex');
  return Buffer.concat([Buffer.from(b.subarray(0, 4)).reverse(), Buffer.from(b.subarray(4, 6)).reverse(), Buffer.from(b.subarray(6, 8)).reverse(), b.subarray(8)]);
}

/** Windows' "Basic data partition" type. */
const BASIC_DATA = 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7';

/** The EFI system partition's type. */
const EFI_SYSTEM = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B';

/**
 * Writes a GPT disk image at `disk` (`sectorSize`-byte sectors: 512, or 4096 for a 4Kn disk)
 * with one "Basic data partition" at 1 MiB (PARTITION_LBA of 512 bytes) holding
 * the partition image's bytes, and, given `efi` (a FAT volume image), an "EFI system partition"
 * after it (1 MiB aligned): protective MBR, primary header and entries (CRCs set), and the
 * backup header at the last sector.
 */
export function wrapInGpt(partitionImage: string, disk: string, efi?: string, sectorSize: 512 | 4096 = SECTOR): void {
  const SECTOR = sectorSize;
  // 1 MiB alignment, in this disk's sectors (2048 of 512 bytes, 256 of 4096).
  const mib = (1 << 20) / SECTOR;
  const align = (n: number) => Math.ceil(n / mib) * mib;
  const first = mib;
  // The 128 entries of 128 bytes take 32 sectors of 512 bytes, or 4 of 4096.
  const entrySectors = (128 * 128) / SECTOR;
  const partSize = statSync(partitionImage).size;
  const partSectors = Math.ceil(partSize / SECTOR);
  const efiLba = align(first + partSectors);
  const efiSectors = efi ? Math.ceil(statSync(efi).size / SECTOR) : 0;
  const totalSectors = (efi ? efiLba + efiSectors : first + partSectors) + entrySectors + 1;
  const lastUsable = totalSectors - entrySectors - 2;
  const entries = Buffer.alloc(128 * 128);
  const entry = (i: number, type: string, id: string, first: number, sectors: number, name: string) => {
    guidBytes(type).copy(entries, i * 128);
    guidBytes(id).copy(entries, i * 128 + 16);
    entries.writeBigUInt64LE(BigInt(first), i * 128 + 32);
    entries.writeBigUInt64LE(BigInt(first + sectors - 1), i * 128 + 40);
    Buffer.from(name, 'utf16le').copy(entries, i * 128 + 56);
  };
  entry(0, BASIC_DATA, '6A4F3B2C-1D0E-4F5A-8B9C-0D1E2F3A4B5C', first, partSectors, 'Basic data partition');
  if (efi) entry(1, EFI_SYSTEM, '7B5A4C3D-2E1F-4A6B-9C8D-1E2F3A4B5C6D', efiLba, efiSectors, 'EFI system partition');
  const header = (current: number, backup: number, entriesLba: number): Buffer => {
    const h = Buffer.alloc(SECTOR);
    h.write('EFI PART', 0, 'latin1');
    h.writeUInt32LE(0x00010000, 8);
    h.writeUInt32LE(92, 12);
    h.writeBigUInt64LE(BigInt(current), 24);
    h.writeBigUInt64LE(BigInt(backup), 32);
    h.writeBigUInt64LE(BigInt(2 + entrySectors), 40);
    h.writeBigUInt64LE(BigInt(lastUsable), 48);
    guidBytes('0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0').copy(h, 56);
    h.writeBigUInt64LE(BigInt(entriesLba), 72);
    h.writeUInt32LE(128, 80);
    h.writeUInt32LE(128, 84);
    h.writeUInt32LE(crc32(entries), 88);
    h.writeUInt32LE(crc32(h.subarray(0, 92)), 16);
    return h;
  };
  const mbr = Buffer.alloc(SECTOR);
  mbr[0x1be + 4] = 0xee;
  mbr.writeUInt32LE(1, 0x1be + 8);
  mbr.writeUInt32LE(Math.min(totalSectors - 1, 0xffffffff), 0x1be + 12);
  mbr.writeUInt16LE(0xaa55, 0x1fe);
  writeFileSync(disk, '');
  execFileSync('truncate', ['-s', `${totalSectors * SECTOR}`, disk]);
  const fd = openSync(disk, 'r+');
  try {
    writeSync(fd, mbr, 0, SECTOR, 0);
    writeSync(fd, header(1, totalSectors - 1, 2), 0, SECTOR, SECTOR);
    writeSync(fd, entries, 0, entries.length, 2 * SECTOR);
    writeSync(fd, entries, 0, entries.length, (totalSectors - 1 - entrySectors) * SECTOR);
    writeSync(fd, header(totalSectors - 1, 1, totalSectors - 1 - entrySectors), 0, SECTOR, (totalSectors - 1) * SECTOR);
  } finally {
    closeSync(fd);
  }
  // The partition's bytes (sparse regions stay sparse: dd with conv=sparse).
  execFileSync('dd', [`if=${partitionImage}`, `of=${disk}`, 'bs=1M', `seek=${(first * SECTOR) / (1 << 20)}`, 'conv=notrunc,sparse', 'status=none']);
  if (efi) execFileSync('dd', [`if=${efi}`, `of=${disk}`, 'bs=1M', `seek=${(efiLba * SECTOR) / (1 << 20)}`, 'conv=notrunc,sparse', 'status=none']);
}
