/**
 * The NTFS boot sector ($Boot, the first sector of the volume): the geometry every other
 * structure is found with. Sizes given as a signed byte are clusters when positive and
 * 2^-n bytes when negative (an MFT record of 1 KiB on a volume of 4 KiB clusters is 0xF6).
 */
import { NtfsError } from './errors.ts';

export interface BootSector {
  readonly bytesPerSector: number;
  readonly sectorsPerCluster: number;
  readonly clusterSize: number;
  readonly totalSectors: number;
  /** The volume size in clusters (runs past it are damaged). */
  readonly totalClusters: number;
  /** The first cluster of $MFT. */
  readonly mftCluster: number;
  readonly mftMirrCluster: number;
  /** Bytes per MFT record (FILE record). */
  readonly recordSize: number;
  /** Bytes per index record (INDX record). */
  readonly indexRecordSize: number;
  readonly serial: bigint;
}

/** A size coded as a signed byte: clusters when positive, 2^-n bytes when negative. */
function codedSize(b: number, clusterSize: number): number {
  const s = b > 127 ? b - 256 : b;
  return s < 0 ? 2 ** -s : s * clusterSize;
}

/** Parses the boot sector in `b` (at least 512 bytes); `file` names the volume in errors. */
export function parseBootSector(b: Uint8Array, file: string): BootSector {
  const sig = b.length >= 11 ? String.fromCharCode(...b.subarray(3, 11)) : '';
  if (sig !== 'NTFS    ') throw new NtfsError('not an NTFS volume: ' + file + ' (no NTFS signature at offset 3)');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const bytesPerSector = dv.getUint16(0x0b, true);
  const spc = dv.getUint8(0x0d);
  const sectorsPerCluster = spc > 0x80 ? 2 ** (256 - spc) : spc;
  const where = `boot sector of ${file}`;
  if (![256, 512, 1024, 2048, 4096].includes(bytesPerSector)) throw new NtfsError(`bad bytes per sector ${bytesPerSector}`, where);
  if (sectorsPerCluster === 0 || (sectorsPerCluster & (sectorsPerCluster - 1)) !== 0) throw new NtfsError(`bad sectors per cluster ${spc}`, where);
  const clusterSize = bytesPerSector * sectorsPerCluster;
  if (clusterSize > 2 * 1024 * 1024) throw new NtfsError(`cluster size ${clusterSize} is too large`, where);
  const totalSectors = Number(dv.getBigUint64(0x28, true));
  const mftCluster = Number(dv.getBigUint64(0x30, true));
  const mftMirrCluster = Number(dv.getBigUint64(0x38, true));
  const recordSize = codedSize(dv.getUint8(0x40), clusterSize);
  const indexRecordSize = codedSize(dv.getUint8(0x44), clusterSize);
  if (recordSize < 256 || recordSize > 65536 || (recordSize & (recordSize - 1)) !== 0) throw new NtfsError(`bad MFT record size ${recordSize}`, where);
  if (indexRecordSize < 256 || indexRecordSize > 65536) throw new NtfsError(`bad index record size ${indexRecordSize}`, where);
  const totalClusters = Math.floor(totalSectors / sectorsPerCluster) + 1;
  if (mftCluster >= totalClusters) throw new NtfsError(`$MFT cluster ${mftCluster} is past the volume end (${totalClusters} clusters)`, where);
  return {
    bytesPerSector, sectorsPerCluster, clusterSize, totalSectors, totalClusters, mftCluster, mftMirrCluster,
    recordSize, indexRecordSize, serial: dv.getBigUint64(0x48, true),
  };
}
