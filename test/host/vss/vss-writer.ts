/**
 * A test-only Volume Shadow Copy writer (there is no Windows here to take real ones): given the
 * volume's bytes as they were when each snapshot was taken and as they are now, it writes the
 * VSS volume header, the catalog and one store per snapshot as Windows lays them out (libyal's
 * libvshadow format), in space outside the file system (`areaStart` to the volume's end):
 *
 * - store i saves (copy-on-write) the old contents of every 16 KiB block that differs between
 *   snapshot i and the next state (snapshot i + 1, or the current volume for the newest), so
 *   that reading a block goes: this store, then the newer ones, then the current volume;
 * - the blocks of the VSS area itself were free when the snapshots were taken: every store's
 *   bitmap marks them, and a reader gives zeros there (as the kept copies have);
 * - optionally, a block whose old contents are another block of the next state is written as a
 *   forwarder, and a block where only some 512-byte sectors changed as an overlay (those
 *   sectors only, named by its allocation bitmap).
 *
 * `vssHeader()` is the 512 bytes at 0x1e00: it is written into the volume before the first
 * snapshot's copy is kept (its catalog offset never changes), as Windows writes it when the
 * first shadow copy is made.
 */
import { closeSync, openSync, readSync, writeSync, fstatSync } from 'node:fs';

export const BLOCK = 0x4000;
export const HEADER_OFFSET = 0x1e00;
const IDENTIFIER = Buffer.from('6b87083876c1484eb7ae04046e6cc752', 'hex');

/** A GUID's 16 bytes as stored (mixed-endian). */
export function guidBytes(guid: string): Buffer {
  const b = Buffer.from(guid.replace(/[{}-]/g, ''), 'hex');
  return Buffer.concat([Buffer.from(b.subarray(0, 4)).reverse(), Buffer.from(b.subarray(4, 6)).reverse(), Buffer.from(b.subarray(6, 8)).reverse(), b.subarray(8)]);
}

export function filetime(d: Date): bigint {
  return BigInt(d.getTime()) * 10_000n + 116444736000000000n;
}

export interface Snapshot {
  /** The volume's bytes when the snapshot was taken. */
  readonly state: Buffer;
  readonly storeId: string;
  readonly copyId: string;
  readonly copySetId: string;
  readonly created: Date;
}

export interface WriteOptions {
  /** Where the VSS structures go (16 KiB aligned); the volume's end is theirs too. */
  readonly areaStart: number;
  /** Write the catalog's entries newest first (readers order the stores by creation time). */
  readonly newestFirst?: boolean;
  /** Blocks where fewer sectors changed are written as overlays. */
  readonly overlays?: boolean;
  /** Blocks whose old contents are another block of the next state are written as forwarders. */
  readonly forwarders?: boolean;
  /** Forwarders go after the saved blocks in the block list (else in block order). */
  readonly forwardersLast?: boolean;
  readonly volumeId?: string;
}

export interface WriteStats {
  /** Per store (oldest first): blocks saved, overlays and forwarders written. */
  readonly stores: ReadonlyArray<{ saved: number; overlays: number; forwarders: number; blockList: number; header: number }>;
  readonly catalogOffset: number;
  /** The first byte after the VSS structures. */
  readonly end: number;
}

function recordHeader(type: number, relative: number, offset: number, next: number): Buffer {
  const h = Buffer.alloc(128);
  IDENTIFIER.copy(h, 0);
  h.writeUInt32LE(1, 16);
  h.writeUInt32LE(type, 20);
  h.writeBigUInt64LE(BigInt(relative), 24);
  h.writeBigUInt64LE(BigInt(offset), 32);
  h.writeBigUInt64LE(BigInt(next), 40);
  return h;
}

/** The VSS volume header (512 bytes, at 0x1e00 of the volume). */
export function vssHeader(catalogOffset: number, maximumSize: number, volumeId = '5C3A8C2E-1F7B-4D6A-9E0C-2B4D6F8A1C3E'): Buffer {
  const h = Buffer.alloc(512);
  IDENTIFIER.copy(h, 0);
  h.writeUInt32LE(1, 16);
  h.writeUInt32LE(1, 20);
  h.writeBigUInt64LE(BigInt(HEADER_OFFSET), 24);
  h.writeBigUInt64LE(BigInt(catalogOffset), 48);
  h.writeBigUInt64LE(BigInt(maximumSize), 56);
  guidBytes(volumeId).copy(h, 64);
  guidBytes(volumeId).copy(h, 80);
  return h;
}

const blockOf = (b: Buffer, n: number) => b.subarray(n * BLOCK, (n + 1) * BLOCK);

/**
 * Writes the catalog and stores of `snapshots` (oldest first) into `current` (the volume now,
 * its header at 0x1e00 already written with catalog offset `opts.areaStart`).
 */
export function writeVss(current: Buffer, snapshots: readonly Snapshot[], opts: WriteOptions): WriteStats {
  const { areaStart } = opts;
  if (areaStart % BLOCK) throw new Error('areaStart must be 16 KiB aligned');
  const blocks = Math.ceil(current.length / BLOCK);
  const areaFirst = areaStart / BLOCK;
  let next = areaStart;
  const alloc = () => {
    const at = next;
    next += BLOCK;
    if (next > current.length) throw new Error(`the VSS area (from ${areaStart}) is full`);
    return at;
  };
  const put = (at: number, data: Buffer) => data.copy(current, at);
  const catalog = alloc();
  const stats: Array<{ saved: number; overlays: number; forwarders: number; blockList: number; header: number }> = [];
  const entries: Buffer[][] = [];
  snapshots.forEach((snap, i) => {
    const newer = i + 1 < snapshots.length ? snapshots[i + 1]!.state : current;
    const header = alloc();
    const descriptors: Buffer[] = [];
    let saved = 0;
    let overlays = 0;
    let forwarders = 0;
    // The next state's blocks by content (for forwarders).
    const byContent = new Map<string, number>();
    if (opts.forwarders) {
      for (let n = 0; n < areaFirst; n++) {
        const b = blockOf(newer, n);
        if (b.some((x) => x !== 0)) byContent.set(b.toString('base64'), n);
      }
    }
    const dataBlocks: Array<{ at: number; data: Buffer }> = [];
    const forwarded: Buffer[] = [];
    for (let n = 0; n < Math.min(blocks, areaFirst); n++) {
      const old = blockOf(snap.state, n);
      const now = blockOf(newer, n);
      if (old.equals(now)) continue;
      const d = Buffer.alloc(32);
      d.writeBigUInt64LE(BigInt(n * BLOCK), 0);
      const target = opts.forwarders ? byContent.get(old.toString('base64')) : undefined;
      if (target !== undefined && target !== n) {
        d.writeBigUInt64LE(BigInt(target * BLOCK), 8);
        d.writeUInt32LE(1, 24);
        forwarders++;
        (opts.forwardersLast ? forwarded : descriptors).push(d);
        continue;
      }
      let changed = 0;
      for (let s = 0; s < 32; s++) if (!old.subarray(s * 512, (s + 1) * 512).equals(now.subarray(s * 512, (s + 1) * 512))) changed |= 1 << s;
      const at = alloc();
      dataBlocks.push({ at, data: Buffer.from(old) });
      d.writeBigUInt64LE(BigInt(at - areaStart), 8);
      d.writeBigUInt64LE(BigInt(at), 16);
      if (opts.overlays && changed >>> 0 !== 0xffffffff) {
        d.writeUInt32LE(2, 24);
        d.writeUInt32LE(changed >>> 0, 28);
        overlays++;
      } else {
        saved++;
      }
      descriptors.push(d);
    }
    descriptors.push(...forwarded);
    // The block list: 508 descriptors per 16 KiB block.
    const perBlock = (BLOCK - 128) / 32;
    const listBlocks = Math.max(1, Math.ceil(descriptors.length / perBlock));
    const listAt = Array.from({ length: listBlocks }, alloc);
    listAt.forEach((at, k) => {
      const b = Buffer.alloc(BLOCK);
      recordHeader(3, at - areaStart, at, listAt[k + 1] ?? 0).copy(b, 0);
      descriptors.slice(k * perBlock, (k + 1) * perBlock).forEach((d, j) => d.copy(b, 128 + j * 32));
      put(at, b);
    });
    // The block range list: the store's data, one range per block.
    const rangeAt = alloc();
    const ranges = Buffer.alloc(BLOCK);
    recordHeader(5, rangeAt - areaStart, rangeAt, 0).copy(ranges, 0);
    dataBlocks.slice(0, (BLOCK - 128) / 24).forEach((d, j) => {
      ranges.writeBigUInt64LE(BigInt(d.at), 128 + j * 24);
      ranges.writeBigUInt64LE(BigInt(d.at - areaStart), 128 + j * 24 + 8);
      ranges.writeBigUInt64LE(BigInt(BLOCK), 128 + j * 24 + 16);
    });
    put(rangeAt, ranges);
    // The bitmap (current and previous): the VSS area's blocks were free.
    const bitsPerBlock = (BLOCK - 128) * 8;
    const bitmapBlocks = Math.max(1, Math.ceil(blocks / bitsPerBlock));
    const bitmapAt = Array.from({ length: bitmapBlocks }, alloc);
    bitmapAt.forEach((at, k) => {
      const b = Buffer.alloc(BLOCK);
      recordHeader(6, at - areaStart, at, bitmapAt[k + 1] ?? 0).copy(b, 0);
      for (let n = Math.max(areaFirst, k * bitsPerBlock); n < Math.min(blocks, (k + 1) * bitsPerBlock); n++) {
        const bit = n - k * bitsPerBlock;
        b[128 + (bit >> 3)]! |= 1 << (bit & 7);
      }
      put(at, b);
    });
    for (const d of dataBlocks) put(d.at, d.data);
    // The store header: the store information (GUIDs, machine names).
    const sh = Buffer.alloc(BLOCK);
    recordHeader(4, header - areaStart, header, 0).copy(sh, 0);
    const info = Buffer.alloc(BLOCK - 128);
    guidBytes('00000000-0000-0000-0000-000000000000').copy(info, 0);
    guidBytes(snap.copyId).copy(info, 16);
    guidBytes(snap.copySetId).copy(info, 32);
    info.writeUInt32LE(0, 48); // snapshot context
    info.writeUInt32LE(0, 52);
    info.writeUInt32LE(0x0042000d, 56); // attribute flags
    let at = 64;
    for (const name of ['WORKSTATION.example.test', 'WORKSTATION.example.test']) {
      const s = Buffer.from(name, 'utf16le');
      info.writeUInt16LE(s.length, at);
      s.copy(info, at + 2);
      at += 2 + s.length;
    }
    sh.writeBigUInt64LE(BigInt(at), 48);
    info.copy(sh, 128);
    put(header, sh);
    // The two catalog entries.
    const e2 = Buffer.alloc(128);
    e2.writeBigUInt64LE(2n, 0);
    e2.writeBigUInt64LE(BigInt(snap.state.length), 8);
    guidBytes(snap.storeId).copy(e2, 16);
    e2.writeBigUInt64LE(BigInt(i + 1), 32);
    e2.writeBigUInt64LE(0x40n, 40);
    e2.writeBigUInt64LE(filetime(snap.created), 48);
    const e3 = Buffer.alloc(128);
    e3.writeBigUInt64LE(3n, 0);
    e3.writeBigUInt64LE(BigInt(listAt[0]!), 8);
    guidBytes(snap.storeId).copy(e3, 16);
    e3.writeBigUInt64LE(BigInt(header), 32);
    e3.writeBigUInt64LE(BigInt(rangeAt), 40);
    e3.writeBigUInt64LE(BigInt(bitmapAt[0]!), 48);
    e3.writeBigUInt64LE(BigInt(next - areaStart), 64); // allocated size
    e3.writeBigUInt64LE(BigInt(bitmapAt[0]!), 72);
    entries.push([e2, e3]);
    stats.push({ saved, overlays, forwarders, blockList: listAt[0]!, header });
  });
  const cat = Buffer.alloc(BLOCK);
  recordHeader(2, 0, catalog, 0).copy(cat, 0);
  (opts.newestFirst ? [...entries].reverse() : entries).flat().forEach((e, j) => e.copy(cat, 128 + j * 128));
  put(catalog, cat);
  return { stores: stats, catalogOffset: catalog, end: next };
}

/** Reads a whole file. */
export function readImage(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const b = Buffer.alloc(size);
    let got = 0;
    while (got < size) got += readSync(fd, b, got, size - got, got);
    return b;
  } finally {
    closeSync(fd);
  }
}

/** Writes `data` at `offset` of an existing file. */
export function writeAt(path: string, offset: number, data: Buffer): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, data, 0, data.length, offset);
  } finally {
    closeSync(fd);
  }
}
