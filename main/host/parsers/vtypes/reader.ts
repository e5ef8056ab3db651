/**
 * The bytes under a parse_binary object: synchronous reads over a file of any size.
 *
 * parse_binary's objects are lazy (a field is read when it is first accessed) and member
 * access in the engine is synchronous when it can be. So reads are synchronous here: small
 * files (and `data`/`scope` values) are held whole, larger ones through an LRU of 64 KiB pages
 * (Velociraptor's paged reader; `BINARY_CACHE_SIZE` pages, 100 by default). A read that needs a
 * page not yet loaded throws a PageMiss carrying the load; `attempt()` runs a computation,
 * waits for the missing page and runs it again, so only the first access to a page is async.
 *
 * Reading past the end gives zeros for fixed-size reads (Velociraptor's zero-padded partial
 * reads) and a short result for `readAvailable`.
 */
import type { FileReader } from '../../files/accessors.ts';
import type { MaybePromise } from '../../../vql/eval/maybe.ts';

export const PAGE_SIZE = 64 * 1024;
/** Files up to this size are read whole. */
export const WHOLE_FILE_LIMIT = 4 * 1024 * 1024;
export const DEFAULT_CACHE_PAGES = 100;
/** An open reader idle this long is closed (and reopened on the next page miss). */
const IDLE_CLOSE_MS = 2000;

/** Thrown by a synchronous read that needs a page first; `load` settles when it is there. */
export class PageMiss {
  constructor(readonly load: Promise<void>) {}
}

/** Runs `f`, waiting for any missing page and running it again until it completes. */
export function attempt<T>(f: () => MaybePromise<T>): MaybePromise<T> {
  try {
    const v = f();
    if (v instanceof Promise) {
      return v.catch((e: unknown) => {
        if (e instanceof PageMiss) return e.load.then(() => attempt(f));
        throw e;
      });
    }
    return v;
  } catch (e) {
    if (e instanceof PageMiss) return e.load.then(() => attempt(f));
    throw e;
  }
}

export interface BinaryIO {
  /** The file's size when known. */
  readonly size: number | null;
  /** Exactly `length` bytes at `offset`, zeros past the end; may throw PageMiss. */
  read(offset: number, length: number): Uint8Array;
  /** Up to `length` bytes at `offset`, fewer at the end; may throw PageMiss. */
  readAvailable(offset: number, length: number): Uint8Array;
}

/** Bytes held in memory. */
export class MemoryIO implements BinaryIO {
  constructor(private readonly bytes: Uint8Array) {}
  get size(): number {
    return this.bytes.length;
  }
  read(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    if (offset < this.bytes.length && offset >= 0) out.set(this.bytes.subarray(offset, Math.min(offset + length, this.bytes.length)));
    return out;
  }
  readAvailable(offset: number, length: number): Uint8Array {
    if (offset < 0 || offset >= this.bytes.length) return new Uint8Array(0);
    return this.bytes.subarray(offset, Math.min(offset + length, this.bytes.length));
  }
}

/** Pages of a file behind an accessor, loaded on demand. */
export class PagedIO implements BinaryIO {
  private readonly pages = new Map<number, Uint8Array>();
  private readonly loading = new Map<number, Promise<void>>();
  private reader: FileReader | null = null;
  private opening: Promise<FileReader> | null = null;
  private idle: NodeJS.Timeout | null = null;

  constructor(
    private readonly open: () => Promise<FileReader>,
    readonly size: number | null,
    private readonly maxPages = DEFAULT_CACHE_PAGES,
  ) {}

  read(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.copy(offset, length, out);
    return out;
  }

  readAvailable(offset: number, length: number): Uint8Array {
    if (offset < 0) return new Uint8Array(0);
    let n = length;
    if (this.size !== null) n = Math.max(0, Math.min(length, this.size - offset));
    const out = new Uint8Array(n);
    const got = this.copy(offset, n, out);
    return got < n ? out.subarray(0, got) : out;
  }

  /** Copies [offset, offset+length) into `out`; returns the bytes that exist. */
  private copy(offset: number, length: number, out: Uint8Array): number {
    if (length <= 0 || offset < 0) return 0;
    const first = Math.floor(offset / PAGE_SIZE);
    const last = Math.floor((offset + length - 1) / PAGE_SIZE);
    const missing: number[] = [];
    for (let p = first; p <= last; p++) if (!this.pages.has(p)) missing.push(p);
    if (missing.length) throw new PageMiss(this.load(missing));
    let got = 0;
    for (let p = first; p <= last; p++) {
      const page = this.pages.get(p)!;
      // Touch: the most recently used page goes to the end of the LRU order.
      this.pages.delete(p);
      this.pages.set(p, page);
      const pageStart = p * PAGE_SIZE;
      const from = Math.max(offset, pageStart);
      const to = Math.min(offset + length, pageStart + page.length);
      if (to > from) {
        out.set(page.subarray(from - pageStart, to - pageStart), from - offset);
        got = to - offset;
      }
    }
    return got;
  }

  private async readerNow(): Promise<FileReader> {
    if (this.reader) return this.reader;
    this.opening ??= this.open().then((r) => {
      this.reader = r;
      this.opening = null;
      return r;
    });
    return this.opening;
  }

  private load(pages: number[]): Promise<void> {
    const waits = pages.map((p) => {
      let w = this.loading.get(p);
      if (!w) {
        w = (async () => {
          const r = await this.readerNow();
          const bytes = await r.read(p * PAGE_SIZE, PAGE_SIZE);
          this.pages.set(p, bytes.slice());
          this.evict(pages);
        })().finally(() => {
          this.loading.delete(p);
          this.scheduleClose();
        });
        this.loading.set(p, w);
      }
      return w;
    });
    return Promise.all(waits).then(() => {});
  }

  /** Drops the least recently used pages beyond the cap, never the ones just needed. */
  private evict(keep: number[]): void {
    const cap = Math.max(this.maxPages, keep.length);
    for (const p of this.pages.keys()) {
      if (this.pages.size <= cap) return;
      if (!keep.includes(p)) this.pages.delete(p);
    }
  }

  private scheduleClose(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = setTimeout(() => {
      this.idle = null;
      if (this.loading.size || !this.reader) return;
      const r = this.reader;
      this.reader = null;
      void r.close().catch(() => {});
    }, IDLE_CLOSE_MS);
    this.idle.unref();
  }
}
