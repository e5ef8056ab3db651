/**
 * A file opened when needed and closed after IDLE_MS without reads: the image under an NTFS
 * volume, the segments of an EWF image (both kept for the whole query, their files not held
 * open).
 */
import type { FileReader } from './accessors.ts';

/**
 * How long the file stays open after the last read (ms). The timer is not unref'd: it keeps the
 * file reachable until it is closed (a handle dropped open is closed by the GC with a warning),
 * and holds a finished process at most this long.
 */
const IDLE_MS = 300;

/** Opens a FileReader when first read, closes it when idle. */
export class IdleReader implements FileReader {
  private current: Promise<FileReader> | null = null;
  private busy = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  /** `open`: a reader already open on the file, used first (and closed when idle). */
  constructor(private readonly openFile: () => Promise<FileReader>, readonly size: number | null, open?: FileReader) {
    if (open) {
      this.current = Promise.resolve(open);
      this.timer = setTimeout(() => void this.close(), IDLE_MS);
    }
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.busy++;
    try {
      const r = await (this.current ??= this.openFile());
      return await r.read(offset, length);
    } catch (e) {
      this.current = null;
      throw e;
    } finally {
      if (--this.busy === 0) {
        this.timer = setTimeout(() => void this.close(), IDLE_MS);
      }
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.busy > 0) return; // in use: closed when it goes idle
    const c = this.current;
    this.current = null;
    if (c) await (await c).close().catch(() => {});
  }
}
