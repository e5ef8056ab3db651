/**
 * VMware's VMDK virtual disks, read in place: a sparse extent file (`KDMV`: monolithicSparse,
 * and streamOptimized with its deflated grains and its grain directory at the end), or a text
 * descriptor naming extents (sparse, flat, zero; `twoGbMaxExtentSparse`, `monolithicFlat`,
 * `vmfs`) found next to it. A grain that is not allocated reads as zeros.
 *
 * Snapshots (a descriptor with a parent) are refused with what to do: the blocks they do not
 * hold are in the parent disk.
 */
import { inflateSync } from 'node:zlib';
import type { FileReader } from '../files/accessors.ts';
import { readFull } from '../files/accessors.ts';
import { Lru } from '../files/lru.ts';
import { VdiskError } from './errors.ts';

const SECTOR = 512;
const GD_AT_END = 0xffffffffffffffffn;
const FLAG_COMPRESSED = 1 << 16;
const MAX_DESCRIPTOR = 1 << 20;

/** True when `head` is a sparse extent (`KDMV`) or a text descriptor. */
export function isVmdk(head: Uint8Array): boolean {
  const text = Buffer.from(head.subarray(0, 64)).toString('latin1');
  return text.startsWith('KDMV') || /^#\s*Disk DescriptorFile/i.test(text);
}

interface Extent {
  /** Sectors of the disk this extent holds. */
  readonly sectors: number;
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Opens a file next to the descriptor by the name the descriptor gives. */
export type ExtentOpener = (name: string) => Promise<FileReader>;

class SparseExtent implements Extent {
  private readonly grains = new Lru<number, Promise<Uint8Array | null>>(64);
  private readonly tables = new Lru<number, Promise<Uint32Array>>(64);

  private constructor(
    private readonly file: FileReader,
    private readonly label: string,
    readonly sectors: number,
    private readonly grainBytes: number,
    private readonly gtes: number,
    private readonly gd: Uint32Array,
    private readonly compressed: boolean,
  ) {}

  static async open(file: FileReader, label: string): Promise<{ extent: SparseExtent; descriptor: string }> {
    const fail = (m: string): never => {
      throw new VdiskError(`${label}: ${m}`);
    };
    let h = await readFull(file, 0, SECTOR);
    if (h.length < SECTOR || Buffer.from(h.subarray(0, 4)).toString('latin1') !== 'KDMV') fail('not a VMDK sparse extent (no KDMV signature)');
    let v = new DataView(h.buffer, h.byteOffset, SECTOR);
    const descriptorAt = Number(v.getBigUint64(28, true)) * SECTOR;
    const descriptorSize = Math.min(Number(v.getBigUint64(36, true)) * SECTOR, MAX_DESCRIPTOR);
    const descriptor = descriptorAt && descriptorSize ? Buffer.from(await readFull(file, descriptorAt, descriptorSize)).toString('latin1').replace(/\0.*$/s, '') : '';
    if (v.getBigUint64(56, true) === GD_AT_END) {
      // streamOptimized: the header at the end (footer marker, footer, end-of-stream marker) has the grain directory.
      const size = file.size ?? fail('its size is unknown: a VMDK must be a file');
      h = await readFull(file, size - 2 * SECTOR, SECTOR);
      if (h.length < SECTOR || Buffer.from(h.subarray(0, 4)).toString('latin1') !== 'KDMV') fail('its grain directory is at its end, and there is no footer there (a stream cut short?)');
      v = new DataView(h.buffer, h.byteOffset, SECTOR);
    }
    const flags = v.getUint32(8, true);
    const capacity = Number(v.getBigUint64(12, true));
    const grain = Number(v.getBigUint64(20, true));
    const gtes = v.getUint32(44, true);
    const gdAt = Number(v.getBigUint64(56, true)) * SECTOR;
    if (!grain || grain > 1 << 16 || !gtes || gtes > 1 << 16) fail(`a grain of ${grain} sectors and ${gtes} entries per grain table`);
    const gdEntries = Math.ceil(capacity / (grain * gtes));
    const gdRaw = await readFull(file, gdAt, gdEntries * 4);
    if (gdRaw.length < gdEntries * 4) fail(`its grain directory at byte ${gdAt} is truncated`);
    const gd = new Uint32Array(gdRaw.slice().buffer);
    return { extent: new SparseExtent(file, label, capacity, grain * SECTOR, gtes, gd, (flags & FLAG_COMPRESSED) !== 0), descriptor };
  }

  private table(i: number): Promise<Uint32Array> {
    return this.tables.getOrSet(i, async () => {
      const b = await readFull(this.file, this.gd[i]! * SECTOR, this.gtes * 4);
      if (b.length < this.gtes * 4) throw new VdiskError(`${this.label}: grain table ${i} is truncated`);
      return new Uint32Array(b.slice().buffer);
    });
  }

  /** Grain `g`'s bytes, or null for a grain not allocated (zeros). */
  private grain(g: number): Promise<Uint8Array | null> {
    return this.grains.getOrSet(g, async () => {
      const t = Math.floor(g / this.gtes);
      if (t >= this.gd.length || this.gd[t] === 0) return null;
      const sector = (await this.table(t))[g % this.gtes]!;
      if (sector <= 1) return null; // 0: not allocated; 1: a zeroed grain
      const at = sector * SECTOR;
      if (!this.compressed) {
        const b = await readFull(this.file, at, this.grainBytes);
        if (b.length < this.grainBytes) throw new VdiskError(`${this.label}: grain ${g} at byte ${at} runs past the end of the file (a file cut short?)`);
        return b;
      }
      // A compressed grain is stored behind its GrainMarker {lba uint64, size uint32}, markers or not.
      const head = await readFull(this.file, at, 12);
      if (head.length < 12) throw new VdiskError(`${this.label}: grain ${g} at byte ${at} runs past the end of the file (a file cut short?)`);
      const size = new DataView(head.buffer, head.byteOffset, head.length).getUint32(8, true);
      const data = await readFull(this.file, at + 12, size);
      try {
        return inflateSync(data);
      } catch (e) {
        throw new VdiskError(`${this.label}: grain ${g} (disk bytes ${g * this.grainBytes}–${(g + 1) * this.grainBytes - 1}) does not inflate: ${(e as Error).message}`);
      }
    });
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    for (let pos = offset; pos < offset + length; ) {
      const g = Math.floor(pos / this.grainBytes);
      const within = pos - g * this.grainBytes;
      const n = Math.min(this.grainBytes - within, offset + length - pos);
      const data = await this.grain(g);
      if (data) out.set(data.subarray(within, within + n), pos - offset);
      pos += n;
    }
    return out;
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

/** One extent line of a descriptor: `RW 4192256 SPARSE "disk-s001.vmdk"`, `RW 8388608 FLAT "disk-flat.vmdk" 0`. */
interface ExtentLine {
  readonly sectors: number;
  readonly type: string;
  readonly file: string;
  readonly offset: number;
}

export function parseDescriptor(text: string, label: string): { extents: ExtentLine[]; parent: boolean } {
  const extents: ExtentLine[] = [];
  let parent = false;
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(RW|RDONLY|NOACCESS)\s+(\d+)\s+(\w+)(?:\s+"([^"]*)"(?:\s+(\d+))?)?/i.exec(line);
    if (m) extents.push({ sectors: Number(m[2]), type: m[3]!.toUpperCase(), file: m[4] ?? '', offset: Number(m[5] ?? 0) });
    const p = /^\s*parentCID\s*=\s*(\w+)/i.exec(line);
    if (p && p[1]!.toLowerCase() !== 'ffffffff') parent = true;
  }
  if (!extents.length) throw new VdiskError(`${label}: its descriptor names no extent`);
  return { extents, parent };
}

export class VmdkImage implements FileReader {
  readonly size: number;
  private readonly starts: number[] = [];

  private constructor(readonly label: string, private readonly extents: Extent[]) {
    let at = 0;
    for (const e of extents) {
      this.starts.push(at);
      at += e.sectors * SECTOR;
    }
    this.size = at;
  }

  /** Opens the disk whose first file `first` holds (a sparse extent or a descriptor); `open` finds the files it names. */
  static async open(first: FileReader, label: string, open: ExtentOpener): Promise<VmdkImage> {
    const opened: Extent[] = [];
    try {
      const head = await readFull(first, 0, 64);
      let descriptor: string;
      let self: SparseExtent | null = null;
      if (Buffer.from(head.subarray(0, 4)).toString('latin1') === 'KDMV') {
        const s = await SparseExtent.open(first, label);
        self = s.extent;
        descriptor = s.descriptor;
        if (!descriptor) {
          opened.push(self);
          return new VmdkImage(label, opened);
        }
      } else {
        if ((first.size ?? 0) > MAX_DESCRIPTOR) throw new VdiskError(`${label}: not a VMDK (neither a KDMV sparse extent nor a small descriptor file)`);
        descriptor = Buffer.from(await readFull(first, 0, MAX_DESCRIPTOR)).toString('latin1');
        await first.close();
      }
      const { extents, parent } = parseDescriptor(descriptor, label);
      if (parent) throw new VdiskError(`${label}: a snapshot (its descriptor names a parent disk): the blocks it does not hold are in the parent; read the parent, or merge them first (qemu-img convert -O raw snapshot.vmdk out.raw reads the chain)`);
      for (const x of extents) {
        if (x.type === 'ZERO') {
          opened.push({ sectors: x.sectors, read: async (_o, n) => new Uint8Array(n), close: async () => {} });
          continue;
        }
        if (self && extents.length === 1) {
          opened.push(self); // monolithicSparse: the descriptor is inside the extent
          continue;
        }
        const r = await open(x.file);
        if (x.type === 'SPARSE' || x.type === 'VMFSSPARSE') {
          opened.push((await SparseExtent.open(r, `${label}: extent ${x.file}`)).extent);
        } else if (x.type === 'FLAT' || x.type === 'VMFS') {
          const base = x.offset * SECTOR;
          opened.push({ sectors: x.sectors, read: async (o, n) => { const b = await readFull(r, base + o, n); if (b.length === n) return b; const full = new Uint8Array(n); full.set(b); return full; }, close: () => r.close() });
        } else {
          await r.close();
          throw new VdiskError(`${label}: extent ${x.file} is of type ${x.type}, which is not read here`);
        }
      }
      return new VmdkImage(label, opened);
    } catch (e) {
      await Promise.all(opened.map((x) => x.close().catch(() => {})));
      throw e;
    }
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const end = Math.min(this.size, offset + length);
    if (offset >= end) return new Uint8Array(0);
    const out = new Uint8Array(end - offset);
    for (let pos = offset; pos < end; ) {
      let i = this.starts.length - 1;
      while (this.starts[i]! > pos) i--;
      const e = this.extents[i]!;
      const within = pos - this.starts[i]!;
      const n = Math.min(e.sectors * SECTOR - within, end - pos);
      out.set(await e.read(within, n), pos - offset);
      pos += n;
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.extents.map((x) => x.close().catch(() => {})));
  }
}
