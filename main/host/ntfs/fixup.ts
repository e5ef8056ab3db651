/**
 * NTFS update sequence array ("fixups") for multi-sector records (FILE, INDX, RCRD...).
 *
 * The header holds the update sequence array offset (u16 at 4) and its count (u16 at 6: one
 * for the update sequence number itself plus one per 512-byte sector). On disk, the last two
 * bytes of each sector hold the update sequence number; the real bytes are saved in the array.
 * applyFixups checks each sector and restores the saved bytes, in place.
 */
import { NtfsError } from './errors.ts';

/** The sector size fixups work in, whatever the device's sector size. */
export const FIXUP_SECTOR = 512;

/**
 * Applies the fixups of the record at the start of `buf` (`recordSize` bytes), in place.
 * Throws NtfsError naming `where` and the sector on a bad array or a torn sector.
 */
export function applyFixups(buf: Uint8Array, recordSize: number, where: string): void {
  if (recordSize > buf.length) {
    throw new NtfsError(`record of ${recordSize} bytes but only ${buf.length} available`, where);
  }
  if (recordSize < 8) throw new NtfsError(`record too small (${recordSize} bytes)`, where);
  const usaOffset = buf[4]! | (buf[5]! << 8);
  const usaCount = buf[6]! | (buf[7]! << 8);
  if (usaCount === 0) throw new NtfsError('update sequence array count is 0', where);
  const sectors = usaCount - 1;
  if (sectors * FIXUP_SECTOR > recordSize) {
    throw new NtfsError(`update sequence array count ${usaCount} too large for a ${recordSize}-byte record`, where);
  }
  if ((usaOffset & 1) !== 0 || usaOffset < 8 || usaOffset + usaCount * 2 > recordSize ||
      (sectors > 0 && usaOffset + usaCount * 2 > FIXUP_SECTOR - 2)) {
    throw new NtfsError(`bad update sequence array (offset ${usaOffset}, count ${usaCount})`, where);
  }
  const usn0 = buf[usaOffset]!;
  const usn1 = buf[usaOffset + 1]!;
  for (let i = 0; i < sectors; i++) {
    const end = (i + 1) * FIXUP_SECTOR - 2;
    if (buf[end] !== usn0 || buf[end + 1] !== usn1) {
      const found = (buf[end]! | (buf[end + 1]! << 8)).toString(16).padStart(4, '0');
      const want = (usn0 | (usn1 << 8)).toString(16).padStart(4, '0');
      throw new NtfsError(`fixup mismatch in sector ${i} (offset ${end}): found 0x${found}, expected 0x${want} (torn write or not a record)`, where);
    }
  }
  for (let i = 0; i < sectors; i++) {
    const end = (i + 1) * FIXUP_SECTOR - 2;
    const saved = usaOffset + 2 + i * 2;
    buf[end] = buf[saved]!;
    buf[end + 1] = buf[saved + 1]!;
  }
}
