/**
 * Hyper-V's VHDX virtual disks ([MS-VHDX]), fixed and dynamic, read in place: the newer of the
 * two headers, the region table (where the block allocation table and the metadata are), the
 * metadata (block size, virtual disk size, logical sector size) and the BAT, whose payload
 * entries give each block's place in the file (a block not present, or zeroed, reads as
 * zeros; sector-bitmap entries are interleaved every "chunk ratio" payload entries).
 *
 * Differencing disks (with a parent) and disks whose log was not replayed (not closed cleanly)
 * are refused with what to do: their blocks are not all in this file, or not yet where the BAT
 * says.
 */
import type { FileReader } from '../files/accessors.ts';
import { readFull } from '../files/accessors.ts';
import { VdiskError } from './errors.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const BAT_GUID = '2DC27766-F623-4200-9D64-115E9BFD4A08';
const METADATA_GUID = '8B7CA206-4790-4B9A-B8FE-575F050F886E';
const FILE_PARAMETERS = 'CAA16737-FA36-4D43-B3B6-33F0AA44E76B';
const DISK_SIZE = '2FA54224-CD1B-4876-B211-5DBED83BF4B8';
const LOGICAL_SECTOR = '8141BF1D-A96F-4709-BA47-F233A8FAAB5F';

/** Payload block states (the low 3 bits of a BAT entry). */
const FULLY_PRESENT = 6;
const PARTIALLY_PRESENT = 7;

export function isVhdx(head: Uint8Array): boolean {
  return Buffer.from(head.subarray(0, 8)).toString('latin1') === 'vhdxfile';
}

/** A GUID as Windows prints it (the first three fields little-endian). */
function guid(b: Uint8Array, at: number): string {
  const h = (i: number) => b[at + i]!.toString(16).padStart(2, '0');
  const le = (...idx: number[]) => idx.map(h).join('');
  return `${le(3, 2, 1, 0)}-${le(5, 4)}-${le(7, 6)}-${le(8, 9)}-${le(10, 11, 12, 13, 14, 15)}`.toUpperCase();
}

export class VhdxImage implements FileReader {
  private constructor(
    private readonly file: FileReader,
    readonly label: string,
    readonly size: number,
    private readonly blockSize: number,
    private readonly bat: BigUint64Array,
    private readonly chunkRatio: number,
    readonly sectorSize: number,
  ) {}

  static async open(file: FileReader, label: string): Promise<VhdxImage> {
    const fail = (m: string): never => {
      throw new VdiskError(`${label}: ${m}`);
    };
    const id = await readFull(file, 0, 8);
    if (!isVhdx(id)) fail('not a VHDX file (no "vhdxfile" signature)');
    // The two headers: the valid one with the higher sequence number is current.
    let header: DataView | null = null;
    let seq = -1n;
    for (const at of [64 * KiB, 128 * KiB]) {
      const h = await readFull(file, at, 4 * KiB);
      if (h.length < 4 * KiB || Buffer.from(h.subarray(0, 4)).toString('latin1') !== 'head') continue;
      const v = new DataView(h.buffer, h.byteOffset, h.length);
      const s = v.getBigUint64(8, true);
      if (s > seq) [seq, header] = [s, v];
    }
    if (!header) fail('neither of its two headers is valid');
    const logGuid = new Uint8Array(header!.buffer, header!.byteOffset + 48, 16);
    if (logGuid.some((b) => b !== 0)) fail('its log was not replayed (the disk was not closed cleanly): replay it first (qemu-img check -r all, or attach it once in Hyper-V), or convert it: qemu-img convert -O raw');
    const regions = new Map<string, { offset: number; length: number }>();
    for (const at of [192 * KiB, 256 * KiB]) {
      const r = await readFull(file, at, 64 * KiB);
      if (r.length < 16 || Buffer.from(r.subarray(0, 4)).toString('latin1') !== 'regi') continue;
      const v = new DataView(r.buffer, r.byteOffset, r.length);
      const count = Math.min(v.getUint32(8, true), 2047);
      for (let i = 0; i < count; i++) {
        const e = 16 + i * 32;
        regions.set(guid(r, e), { offset: Number(v.getBigUint64(e + 16, true)), length: v.getUint32(e + 24, true) });
      }
      break;
    }
    const batRegion = regions.get(BAT_GUID) ?? fail('its region table has no block allocation table');
    const metaRegion = regions.get(METADATA_GUID) ?? fail('its region table has no metadata region');
    const meta = await readFull(file, metaRegion.offset, Math.min(metaRegion.length, MiB));
    if (Buffer.from(meta.subarray(0, 8)).toString('latin1') !== 'metadata') fail(`no metadata table at byte ${metaRegion.offset}`);
    const mv = new DataView(meta.buffer, meta.byteOffset, meta.length);
    const items = new Map<string, DataView>();
    const entries = Math.min(mv.getUint16(10, true), 2047);
    for (let i = 0; i < entries; i++) {
      const e = 32 + i * 32;
      if (e + 32 > meta.length) break;
      const off = mv.getUint32(e + 16, true);
      const len = mv.getUint32(e + 20, true);
      if (off + len > meta.length) fail(`metadata item ${guid(meta, e)} runs past its region`);
      items.set(guid(meta, e), new DataView(meta.buffer, meta.byteOffset + off, len));
    }
    const params = items.get(FILE_PARAMETERS) ?? fail('no file parameters in its metadata');
    const blockSize = params.getUint32(0, true);
    if (params.getUint32(4, true) & 2) fail('a differencing disk (it has a parent): its blocks are not all in this file; merge it first (qemu-img convert -O raw child.vhdx out.raw reads the chain)');
    const size = Number((items.get(DISK_SIZE) ?? fail('no virtual disk size in its metadata')).getBigUint64(0, true));
    const sectorSize = (items.get(LOGICAL_SECTOR) ?? fail('no logical sector size in its metadata')).getUint32(0, true);
    if (blockSize < MiB || blockSize > 256 * MiB || (blockSize & (blockSize - 1))) fail(`a block size of ${blockSize} bytes (1–256 MiB, a power of two)`);
    if (sectorSize !== 512 && sectorSize !== 4096) fail(`a logical sector size of ${sectorSize}`);
    const chunkRatio = (2 ** 23 * sectorSize) / blockSize;
    const blocks = Math.ceil(size / blockSize);
    const batEntries = blocks + Math.floor((blocks - 1) / chunkRatio);
    if (batEntries * 8 > batRegion.length) fail(`its BAT holds ${batRegion.length / 8} entries, ${batEntries} are needed`);
    const raw = await readFull(file, batRegion.offset, batEntries * 8);
    if (raw.length < batEntries * 8) fail('its BAT is truncated');
    const bat = new BigUint64Array(raw.slice().buffer);
    return new VhdxImage(file, label, size, blockSize, bat, chunkRatio, sectorSize);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const end = Math.min(this.size, offset + length);
    if (offset >= end) return new Uint8Array(0);
    const out = new Uint8Array(end - offset);
    for (let pos = offset; pos < end; ) {
      const block = Math.floor(pos / this.blockSize);
      const within = pos - block * this.blockSize;
      const n = Math.min(this.blockSize - within, end - pos);
      const entry = this.bat[block + Math.floor(block / this.chunkRatio)]!;
      const state = Number(entry & 7n);
      if (state === FULLY_PRESENT || state === PARTIALLY_PRESENT) {
        const at = Number(entry >> 20n) * MiB + within;
        const b = await readFull(this.file, at, n);
        if (b.length < n) throw new VdiskError(`${this.label}: block ${block} at byte ${at} is past the end of the file`);
        out.set(b, pos - offset);
      } // other states read as zeros
      pos += n;
    }
    return out;
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
