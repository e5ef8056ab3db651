/**
 * Volume Shadow Copies (VSS) of an NTFS volume, read with no OS support (libyal's libvshadow
 * format): the volume header at 0x1e00, the catalog of stores, and each store's block
 * descriptors, bitmaps and information, giving for each shadow copy (oldest = 1) a reader of
 * the volume as it was when the copy was taken.
 *
 * Layout (all integers little-endian; every structure starts with the VSS identifier GUID
 * {3808876b-c176-4e48-b7ae-04046e6cc752}, a version (1 or 2) and a record type):
 *
 * - volume header (type 1, 512 bytes at 0x1e00): the catalog's offset at 48;
 * - catalog (type 2): 16 KiB blocks chained by their next offset (at 40), each a 128-byte
 *   header then 128-byte entries: type 2 (store information: volume size at 8, store GUID at 16,
 *   creation FILETIME at 48) and type 3 (store locations: block list at 8, store GUID at 16,
 *   store header at 32, block range list at 40, current bitmap at 48, previous bitmap at 72);
 * - store blocks: 16 KiB, a 128-byte header (type 3 block list, 4 store header, 5 block range
 *   list, 6 bitmap) with the next block's offset at 40; block lists hold 32-byte descriptors
 *   (original offset, relative offset, store data offset, flags, allocation bitmap), flags 1 =
 *   forwarder, 2 = overlay, 4 = not used; bitmaps a bit per 16 KiB block of the volume.
 *
 * A block of shadow copy N is resolved as libvshadow (20190323, checked against vshadowmount)
 * does: the store's descriptor for it (its saved data; a forwarder sends the read to another
 * block of the next store; a block saved after a forwarder to it holds the forwarded block's
 * data), else the next (newer) store, else the current volume. Overlays (the 512-byte sectors
 * an allocation bitmap names) apply only when their own store is the copy read, and the bitmap
 * (blocks free when the copy was taken read as zeros) only when the newest copy is read.
 * A copy is as large as the NTFS file system of the volume (its boot sector's sector count and
 * the backup boot sector after them), as libvshadow has it; the catalog's volume size otherwise.
 */
import type { FileReader } from '../files/accessors.ts';

export const VSS_HEADER_OFFSET = 0x1e00;
export const VSS_BLOCK = 0x4000;
/** {3808876b-c176-4e48-b7ae-04046e6cc752} as stored. */
export const VSS_IDENTIFIER = Buffer.from('6b87083876c1484eb7ae04046e6cc752', 'hex');

const RECORD_VOLUME_HEADER = 1;
const RECORD_CATALOG = 2;
const RECORD_BLOCK_LIST = 3;
const RECORD_STORE_HEADER = 4;
const RECORD_BLOCK_RANGE_LIST = 5;
const RECORD_BITMAP = 6;

export const FLAG_FORWARDER = 1;
export const FLAG_OVERLAY = 2;
export const FLAG_NOT_USED = 4;

/** Damaged or truncated VSS structures: the message names the structure and its offset. */
export class VssError extends Error {
  constructor(message: string) {
    super(`vss: ${message}`);
    this.name = 'VssError';
  }
}

const hex = (n: number) => `0x${n.toString(16)}`;

/** A GUID as text (mixed-endian, upper case without braces: 3808876B-C176-4E48-B7AE-04046E6CC752). */
export function guidText(b: Uint8Array): string {
  const x = Buffer.from(b);
  const h = (s: Buffer) => s.toString('hex');
  const le = (s: Buffer) => h(Buffer.from(s).reverse());
  return `${le(x.subarray(0, 4))}-${le(x.subarray(4, 6))}-${le(x.subarray(6, 8))}-${h(x.subarray(8, 10))}-${h(x.subarray(10, 16))}`;
}

/** A FILETIME (100 ns since 1601) as a Date (millisecond precision). */
export function filetimeDate(ft: bigint): Date {
  return new Date(Number((ft - 116444736000000000n) / 10000n));
}

function u64(b: Buffer, at: number, what: string): number {
  const v = b.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new VssError(`${what}: value ${v} is too large`);
  return Number(v);
}

/** One 32-byte store block descriptor. */
export interface BlockDescriptor {
  readonly originalOffset: number;
  readonly relativeOffset: number;
  readonly storeOffset: number;
  readonly flags: number;
  readonly allocationBitmap: number;
}

/** A shadow copy (a store) as the catalog and its store header describe it. */
export interface ShadowStore {
  /** 1 for the oldest. */
  readonly index: number;
  /** The store identifier GUID (the catalog's). */
  readonly storeId: string;
  /** The shadow copy and shadow copy set GUIDs (the store header's). */
  readonly copyId: string;
  readonly copySetId: string;
  readonly creationFiletime: bigint;
  readonly created: Date;
  readonly volumeSize: number;
  readonly attributeFlags: number;
  readonly operatingMachine: string;
  readonly serviceMachine: string;
  readonly blockListOffset: number;
  readonly blockRangeListOffset: number;
  readonly bitmapOffset: number;
  readonly previousBitmapOffset: number;
  readonly storeHeaderOffset: number;
}

/** A store's block descriptors, by original block offset, and its free-block bitmap. */
interface LoadedStore {
  readonly forward: Map<number, BlockDescriptor>;
  readonly overlays: Map<number, BlockDescriptor>;
  /** Bit set: the block was free when the copy was taken (reads as zeros from the current volume). */
  readonly bitmap: Uint8Array | null;
}

async function readExact(r: FileReader, offset: number, length: number, what: string): Promise<Buffer> {
  const out = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const chunk = await r.read(offset + got, length - got);
    if (!chunk.length) break;
    Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length).copy(out, got);
    got += chunk.length;
  }
  if (got < length) throw new VssError(`${what} at ${hex(offset)}: truncated (${got} of ${length} bytes: the volume ends at ${hex(offset + got)})`);
  return out;
}

/** Checks a 16 KiB (or header) block's identifier and record type. */
function checkRecord(b: Buffer, offset: number, type: number, what: string): void {
  if (!b.subarray(0, 16).equals(VSS_IDENTIFIER)) throw new VssError(`${what} at ${hex(offset)}: no VSS identifier (found ${b.subarray(0, 16).toString('hex')})`);
  const version = b.readUInt32LE(16);
  if (version !== 1 && version !== 2) throw new VssError(`${what} at ${hex(offset)}: unsupported version ${version}`);
  const rt = b.readUInt32LE(20);
  if (rt !== type) throw new VssError(`${what} at ${hex(offset)}: record type ${rt}, expected ${type}`);
}

/** Follows a chain of 16 KiB blocks from `first` (next offset at 40), checking each. */
async function* chain(r: FileReader, first: number, type: number, what: string, size: number): AsyncGenerator<{ offset: number; block: Buffer }> {
  const seen = new Set<number>();
  for (let at = first; at !== 0;) {
    if (seen.has(at)) throw new VssError(`${what} at ${hex(at)}: the chain of blocks loops`);
    if (seen.size > 1 << 20) throw new VssError(`${what}: more than a million blocks`);
    if (at % 512 !== 0 || at < 0 || at + VSS_BLOCK > size) throw new VssError(`${what} at ${hex(at)}: offset outside the volume (${hex(size)} bytes) or not sector aligned`);
    seen.add(at);
    const block = await readExact(r, at, VSS_BLOCK, what);
    checkRecord(block, at, type, what);
    yield { offset: at, block };
    at = u64(block, 40, `${what} at ${hex(at)}: next offset`);
  }
}

/** The VSS volume header, or null when there is none (no identifier at 0x1e00). */
export async function readVolumeHeader(r: FileReader): Promise<{ version: number; catalogOffset: number; maximumSize: number; volumeId: string; storeVolumeId: string } | null> {
  if (r.size !== null && r.size < VSS_HEADER_OFFSET + 512) return null;
  const h = Buffer.from(await r.read(VSS_HEADER_OFFSET, 512));
  if (h.length < 512 || !h.subarray(0, 16).equals(VSS_IDENTIFIER)) return null;
  checkRecord(h, VSS_HEADER_OFFSET, RECORD_VOLUME_HEADER, 'volume header');
  return {
    version: h.readUInt32LE(16),
    catalogOffset: u64(h, 48, 'volume header: catalog offset'),
    maximumSize: u64(h, 56, 'volume header: maximum size'),
    volumeId: guidText(h.subarray(64, 80)),
    storeVolumeId: guidText(h.subarray(80, 96)),
  };
}

function utf16(b: Buffer, at: number): { text: string; end: number } {
  if (at + 2 > b.length) return { text: '', end: at };
  const n = b.readUInt16LE(at);
  const end = Math.min(b.length, at + 2 + n);
  return { text: b.subarray(at + 2, end).toString('utf16le').replace(/\0+$/, ''), end };
}

/**
 * The shadow copies of a volume: `open()` reads the header and catalog (null: the volume has
 * no VSS), `reader(n)` gives shadow copy n's bytes.
 */
export class VssVolume {
  private readonly loaded = new Map<number, Promise<LoadedStore>>();

  private constructor(
    private readonly volume: FileReader,
    readonly size: number,
    readonly catalogOffset: number,
    readonly stores: readonly ShadowStore[],
    /** The NTFS file system's size (its boot sector's sector count, plus the backup boot sector), if the volume has one. */
    readonly ntfsSize: number | null = null,
  ) {}

  /** The volume's shadow copies (oldest first), or null when it has no VSS volume header. */
  static async open(volume: FileReader): Promise<VssVolume | null> {
    const header = await readVolumeHeader(volume);
    if (!header) return null;
    const size = volume.size ?? Number.MAX_SAFE_INTEGER;
    if (header.catalogOffset === 0) return new VssVolume(volume, size, 0, []);
    // As libvshadow, a shadow copy of an NTFS volume is as large as the file system.
    const boot = Buffer.from(await volume.read(0, 512));
    let ntfsSize: number | null = null;
    if (boot.length === 512 && boot.subarray(3, 11).toString('latin1') === 'NTFS    ') {
      const n = (Number(boot.readBigUInt64LE(0x28)) + 1) * boot.readUInt16LE(11);
      if (Number.isSafeInteger(n) && n > 0) ntfsSize = n;
    }
    const info = new Map<string, { volumeSize: number; creation: bigint; order: number }>();
    const locations = new Map<string, { blockList: number; header: number; rangeList: number; bitmap: number; previousBitmap: number }>();
    let order = 0;
    for await (const { offset, block } of chain(volume, header.catalogOffset, RECORD_CATALOG, 'catalog block', size)) {
      for (let at = 128; at + 128 <= VSS_BLOCK; at += 128) {
        const e = block.subarray(at, at + 128);
        const type = e.readBigUInt64LE(0);
        const where = `catalog entry at ${hex(offset + at)}`;
        if (type === 2n) {
          const id = guidText(e.subarray(16, 32));
          info.set(id, { volumeSize: u64(e, 8, where), creation: e.readBigUInt64LE(48), order: order++ });
        } else if (type === 3n) {
          const id = guidText(e.subarray(16, 32));
          locations.set(id, {
            blockList: u64(e, 8, where), header: u64(e, 32, where), rangeList: u64(e, 40, where),
            bitmap: u64(e, 48, where), previousBitmap: u64(e, 72, where),
          });
        } else if (type > 3n) {
          throw new VssError(`${where}: unknown entry type ${type}`);
        }
      }
    }
    const found: Array<Omit<ShadowStore, 'index'> & { order: number }> = [];
    for (const [id, i] of info) {
      const loc = locations.get(id);
      if (!loc) continue; // a store without data (being created or deleted): libvshadow skips it too
      const sh = await readExact(volume, loc.header, VSS_BLOCK, `store header of ${id}`);
      checkRecord(sh, loc.header, RECORD_STORE_HEADER, `store header of ${id}`);
      const si = sh.subarray(128);
      const operating = utf16(si, 64);
      const service = utf16(si, operating.end);
      found.push({
        order: i.order,
        storeId: id,
        copyId: guidText(si.subarray(16, 32)),
        copySetId: guidText(si.subarray(32, 48)),
        attributeFlags: si.readUInt32LE(56),
        operatingMachine: operating.text,
        serviceMachine: service.text,
        creationFiletime: i.creation,
        created: filetimeDate(i.creation),
        volumeSize: i.volumeSize,
        blockListOffset: loc.blockList,
        blockRangeListOffset: loc.rangeList,
        bitmapOffset: loc.bitmap,
        previousBitmapOffset: loc.previousBitmap,
        storeHeaderOffset: loc.header,
      });
    }
    // Oldest first (libvshadow orders the stores by creation time; the catalog order breaks ties).
    found.sort((a, b) => (a.creationFiletime < b.creationFiletime ? -1 : a.creationFiletime > b.creationFiletime ? 1 : a.order - b.order));
    const stores = found.map(({ order: _o, ...s }, i) => ({ ...s, index: i + 1 }));
    return new VssVolume(volume, size, header.catalogOffset, stores, ntfsSize);
  }

  private load(index: number): Promise<LoadedStore> {
    let p = this.loaded.get(index);
    if (!p) {
      p = this.readStore(this.stores[index - 1]!);
      this.loaded.set(index, p);
      p.catch(() => this.loaded.delete(index));
    }
    return p;
  }

  private async readStore(s: ShadowStore): Promise<LoadedStore> {
    const forward = new Map<number, BlockDescriptor>();
    const overlays = new Map<number, BlockDescriptor>();
    /** Forwarders of this store by target: R → O. */
    const movedTo = new Map<number, number>();
    const what = `store block list of shadow copy ${s.index} (${s.storeId})`;
    for await (const { offset, block } of chain(this.volume, s.blockListOffset, RECORD_BLOCK_LIST, what, this.size)) {
      for (let at = 128; at + 32 <= VSS_BLOCK; at += 32) {
        const where = `${what}: block descriptor at ${hex(offset + at)}`;
        const d: BlockDescriptor = {
          originalOffset: u64(block, at, where),
          relativeOffset: u64(block, at + 8, where),
          storeOffset: u64(block, at + 16, where),
          flags: block.readUInt32LE(at + 24),
          allocationBitmap: block.readUInt32LE(at + 28),
        };
        if (d.originalOffset === 0 && d.relativeOffset === 0 && d.storeOffset === 0 && d.flags === 0) continue;
        if (d.flags & FLAG_NOT_USED) continue;
        if (d.originalOffset % VSS_BLOCK !== 0) throw new VssError(`${where}: original offset ${hex(d.originalOffset)} is not a multiple of 16 KiB`);
        if (d.flags & FLAG_FORWARDER) {
          if (d.relativeOffset % VSS_BLOCK !== 0) throw new VssError(`${where}: forwarder to ${hex(d.relativeOffset)}, not a multiple of 16 KiB`);
        } else if (d.storeOffset + VSS_BLOCK > this.size) {
          throw new VssError(`${where}: store data offset ${hex(d.storeOffset)} is outside the volume (${hex(this.size)} bytes)`);
        }
        if (d.flags & FLAG_OVERLAY) {
          // Overlays of one block add up: the newest descriptor's sectors win.
          const prev = overlays.get(d.originalOffset);
          if (prev) overlays.set(d.originalOffset, { ...d, allocationBitmap: (d.allocationBitmap | prev.allocationBitmap) >>> 0, previous: prev } as BlockDescriptor);
          else overlays.set(d.originalOffset, d);
        } else if (d.flags & FLAG_FORWARDER) {
          // Block O's data moved to R: O reads R in the newer stores (or the volume).
          if (!forward.has(d.originalOffset)) {
            forward.set(d.originalOffset, d);
            movedTo.set(d.relativeOffset, d.originalOffset);
          }
        } else {
          // R saved after O was forwarded to it holds O's data (the copy made when R, holding
          // O's data, was overwritten); R itself then reads from the newer stores.
          const from = movedTo.get(d.originalOffset);
          if (from !== undefined && forward.get(from)?.flags! & FLAG_FORWARDER) {
            forward.set(from, { ...d, originalOffset: from });
            movedTo.delete(d.originalOffset);
          } else if (!forward.has(d.originalOffset)) {
            forward.set(d.originalOffset, d);
          }
        }
      }
    }
    let bitmap: Uint8Array | null = null;
    if (s.bitmapOffset) {
      const parts: Buffer[] = [];
      for await (const { block } of chain(this.volume, s.bitmapOffset, RECORD_BITMAP, `store bitmap of shadow copy ${s.index} (${s.storeId})`, this.size)) parts.push(block.subarray(128));
      bitmap = Buffer.concat(parts);
    }
    return { forward, overlays, bitmap };
  }

  /** Reads the store block list, bitmap (and checks the range list) of every store: a damaged one throws. */
  async check(): Promise<void> {
    for (const s of this.stores) {
      await this.load(s.index);
      if (s.blockRangeListOffset) {
        for await (const _ of chain(this.volume, s.blockRangeListOffset, RECORD_BLOCK_RANGE_LIST, `store block range list of shadow copy ${s.index} (${s.storeId})`, this.size)) { /* checked */ }
      }
    }
  }

  /**
   * The bytes of block `block` (a 16 KiB aligned offset) as store `index` sees it, from `from`
   * to `to` within the block; `active` is the shadow copy being read. As libvshadow: the
   * overlays of a store apply when that store is the one read, and the bitmap (blocks free when
   * the copy was taken read as zeros) when the newest store is read.
   */
  private async readBlock(index: number, block: number, from: number, to: number, active: { index: number; store: LoadedStore }, out: Buffer, outAt: number): Promise<void> {
    if (index > this.stores.length) {
      if (block >= this.size) return; // past the volume's end: zeros
      const bit = block / VSS_BLOCK;
      const bitmap = active.index === this.stores.length ? active.store.bitmap : null;
      if (bitmap && bit >> 3 < bitmap.length && bitmap[bit >> 3]! & (1 << (bit & 7))) return; // free at the time: zeros
      const b = await readExact(this.volume, block + from, Math.min(to, this.size - block) - from, 'volume data');
      b.copy(out, outAt);
      return;
    }
    const st = await this.load(index);
    const overlay = index === active.index ? st.overlays.get(block) : undefined;
    if (overlay) {
      // The sectors the overlay holds come from it, the others as if it were not there.
      for (let s = from; s < to;) {
        const sector = Math.floor(s / 512);
        const end = Math.min(to, (sector + 1) * 512);
        let run = end;
        const has = (overlay.allocationBitmap >>> sector) & 1;
        // (Merged overlays may hold neighbouring sectors at different places: one at a time.)
        const merged = (overlay as BlockDescriptor & { previous?: BlockDescriptor }).previous !== undefined;
        while (run < to && !(has && merged) && ((overlay.allocationBitmap >>> Math.floor(run / 512)) & 1) === has) run = Math.min(to, run + 512);
        if (has) {
          const src = await this.overlaySource(overlay, sector);
          (await readExact(this.volume, src + s, run - s, `overlay data of shadow copy ${index}`)).copy(out, outAt + (s - from));
        } else {
          await this.readBase(index, st, block, s, run, active, out, outAt + (s - from));
        }
        s = run;
      }
      return;
    }
    await this.readBase(index, st, block, from, to, active, out, outAt);
  }

  /** The store offset of an overlay's sector (the newest overlay descriptor holding it). */
  private overlaySource(d: BlockDescriptor, sector: number): number {
    let at: (BlockDescriptor & { previous?: BlockDescriptor }) | undefined = d;
    // The merged descriptor keeps the newest offset; older ones are chained in `previous`.
    while (at) {
      const own = at.previous ? at.allocationBitmap & ~at.previous.allocationBitmap : at.allocationBitmap;
      if ((own >>> sector) & 1) return at.storeOffset;
      at = at.previous as typeof at;
    }
    return d.storeOffset;
  }

  private async readBase(index: number, st: LoadedStore, block: number, from: number, to: number, active: { index: number; store: LoadedStore }, out: Buffer, outAt: number): Promise<void> {
    const d = st.forward.get(block);
    if (!d) return this.readBlock(index + 1, block, from, to, active, out, outAt);
    if (d.flags & FLAG_FORWARDER) return this.readBlock(index + 1, d.relativeOffset, from, to, active, out, outAt);
    (await readExact(this.volume, d.storeOffset + from, to - from, `store data of shadow copy ${index}`)).copy(out, outAt);
  }

  /** The size of shadow copy `index` (the file system's, else the catalog's volume size). */
  sizeOf(index: number): number {
    const s = this.stores[index - 1];
    return this.ntfsSize ?? (s?.volumeSize || this.size);
  }

  /** Shadow copy `index`'s bytes (1 = the oldest): the volume as it was. */
  async reader(index: number): Promise<FileReader> {
    const s = this.stores[index - 1];
    if (!s) throw new VssError(`there is no shadow copy ${index} (the volume has ${this.stores.length})`);
    const active = { index, store: await this.load(index) };
    for (let i = index + 1; i <= this.stores.length; i++) await this.load(i);
    const size = this.sizeOf(index);
    return {
      size,
      read: async (offset, length) => {
        const end = Math.min(size, offset + length);
        if (offset >= end) return new Uint8Array(0);
        const out = Buffer.alloc(end - offset);
        const jobs: Array<Promise<void>> = [];
        for (let at = offset; at < end;) {
          const block = at - (at % VSS_BLOCK);
          const to = Math.min(end - block, VSS_BLOCK);
          jobs.push(this.readBlock(index, block, at - block, to, active, out, at - offset));
          at = block + to;
        }
        await Promise.all(jobs);
        return out;
      },
      close: async () => {},
    };
  }
}
