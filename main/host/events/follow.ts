/**
 * Following a growing text file (`tail -F`), for watch_syslog() and watch_jsonl()
 * (VQL-FUNCTIONS.md 8.1), with Velociraptor's tail semantics:
 * - following starts after the last complete line at registration (the last `\n` within the
 *   final buffer of the file): existing content is not replayed, a partial last line is emitted
 *   once its newline arrives; a file that does not exist yet, or one added later by a
 *   `query`, is read from its start;
 * - each poll reads whole lines up to the size seen; a line longer than the buffer (16 KiB)
 *   is emitted in buffer-sized pieces; `Line` excludes the `\n` and keeps a `\r`;
 * - a file that shrank was truncated: reading restarts at 0 (an INFO log line);
 * - beyond Velociraptor (which only notices truncation), a file renamed away and recreated
 *   (logrotate's default) is noticed by its identity (device and inode): the rest of the old
 *   file is read to its end through the handle kept open, then the new file from its start.
 *
 * Local files (accessors file and auto) are read through a kept file handle; other accessors
 * are opened at each poll and only truncation is noticed.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Scope } from '../../vql/index.ts';
import type { Accessor } from '../files/accessors.ts';
import { localPath } from '../files/accessors.ts';
import type { OSPath } from '../files/ospath.ts';

/** Velociraptor's `defaults.watch_plugin_buffer_size`. */
export const BUFFER_SIZE = 16 * 1024;

export type FollowLog = (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;

interface Identity {
  dev: number;
  ino: number;
}

export class FileFollower {
  /** Bytes of the current file consumed (lines emitted, plus the pending partial line). */
  private offset = -1;
  private pending: Buffer = Buffer.alloc(0);
  private handle: FileHandle | null = null;
  private identity: Identity | null = null;
  private readonly local: boolean;
  private missingLogged = false;

  /**
   * `fromStart`: read what the file already holds (files found later by a `query`); otherwise
   * start after its last complete line.
   */
  constructor(
    readonly path: OSPath,
    private readonly accessor: Accessor,
    private readonly scope: Scope,
    private readonly log: FollowLog,
    private fromStart = false,
  ) {
    this.local = accessor.name === 'file' || accessor.name === 'auto';
  }

  /** The local filesystem path (for directory watches), or null for other accessors. */
  get localFile(): string | null {
    return this.local ? localPath(this.path) : null;
  }

  /** Finds the starting offset now (registration time). */
  async start(): Promise<void> {
    if (this.fromStart) return;
    if (this.local && !(await this.openLocal())) {
      this.fromStart = true;
      return;
    }
    const size = this.local ? (await this.handle!.stat()).size : await this.size();
    if (size === null) {
      // Not there yet: when it appears, all of it is new.
      this.fromStart = true;
      return;
    }
    const from = Math.max(0, size - BUFFER_SIZE);
    const tail = await this.readRange(from, size - from);
    const nl = tail.lastIndexOf(0x0a);
    this.offset = nl >= 0 ? from + nl + 1 : size <= BUFFER_SIZE ? 0 : size;
  }

  private async size(): Promise<number | null> {
    try {
      if (this.local) {
        const st = await stat(localPath(this.path));
        return st.isFile() ? st.size : null;
      }
      const st = await this.accessor.stat?.(this.path);
      return st ? Number(st.size) : null;
    } catch {
      return null;
    }
  }

  private async readRange(from: number, length: number, handle = this.handle): Promise<Buffer> {
    if (length <= 0) return Buffer.alloc(0);
    if (this.local) {
      const h = handle ?? (await open(localPath(this.path), 'r'));
      try {
        const buf = Buffer.alloc(length);
        const { bytesRead } = await h.read(buf, 0, length, from);
        return buf.subarray(0, bytesRead);
      } finally {
        if (!handle) await h.close();
      }
    }
    const r = await this.accessor.open(this.path, this.scope);
    try {
      const out: Buffer[] = [];
      let pos = from;
      while (pos < from + length) {
        const b = await r.read(pos, Math.min(BUFFER_SIZE * 4, from + length - pos));
        if (b.length === 0) break;
        out.push(Buffer.from(b));
        pos += b.length;
      }
      return Buffer.concat(out);
    } finally {
      await r.close();
    }
  }

  /** Splits off complete lines (and buffer-sized pieces of an overlong one). */
  private lines(data: Buffer, final: boolean): string[] {
    let buf = this.pending.length ? Buffer.concat([this.pending, data]) : data;
    const out: string[] = [];
    for (;;) {
      const nl = buf.indexOf(0x0a);
      if (nl >= 0 && nl <= BUFFER_SIZE) {
        out.push(buf.toString('utf8', 0, nl));
        buf = buf.subarray(nl + 1);
      } else if (buf.length >= BUFFER_SIZE) {
        out.push(buf.toString('utf8', 0, BUFFER_SIZE));
        buf = buf.subarray(BUFFER_SIZE);
      } else break;
    }
    if (final && buf.length) {
      out.push(buf.toString('utf8'));
      buf = Buffer.alloc(0);
    }
    this.pending = Buffer.from(buf);
    return out;
  }

  /** Reads from `offset` to `size` of the current file and returns the finished lines. */
  private async readNew(size: number, handle: FileHandle | null, final = false): Promise<string[]> {
    const out: string[] = [];
    while (this.offset < size) {
      if (this.scope.signal.aborted) break;
      const chunk = await this.readRange(this.offset, Math.min(BUFFER_SIZE * 4, size - this.offset), handle);
      if (chunk.length === 0) break;
      this.offset += chunk.length;
      out.push(...this.lines(chunk, false));
    }
    if (final) out.push(...this.lines(Buffer.alloc(0), true));
    return out;
  }

  private async openLocal(): Promise<boolean> {
    try {
      const h = await open(localPath(this.path), 'r');
      const st = await h.stat();
      this.handle = h;
      this.identity = { dev: st.dev, ino: st.ino };
      return true;
    } catch {
      return false;
    }
  }

  /** One poll: the lines added since the last one. */
  async poll(): Promise<string[]> {
    return this.local ? this.pollLocal() : this.pollAccessor();
  }

  private async pollLocal(): Promise<string[]> {
    const out: string[] = [];
    const file = localPath(this.path);
    let st;
    try {
      st = await stat(file);
    } catch {
      st = null;
    }
    if (this.handle && this.identity && (!st || st.ino !== this.identity.ino || st.dev !== this.identity.dev)) {
      // Renamed away (and perhaps recreated): finish the old file through the kept handle.
      const old = this.handle;
      const oldSize = (await old.stat()).size;
      out.push(...(await this.readNew(oldSize, old, true)));
      await old.close().catch(() => {});
      this.handle = null;
      this.identity = null;
      this.offset = 0;
      this.pending = Buffer.alloc(0);
      if (st) this.log('info', `${file} was rotated (a new file replaced it): reading the new file from its start`);
    }
    if (!st || !st.isFile()) {
      if (!st && !this.missingLogged && this.offset < 0) {
        this.missingLogged = true;
        this.log('info', `${file} does not exist yet: waiting for it`);
      }
      return out;
    }
    if (!this.handle) {
      if (!(await this.openLocal())) return out;
      if (this.offset < 0) this.offset = 0;
    }
    const size = (await this.handle!.stat()).size;
    if (size < this.offset) {
      this.log('info', `${file} was truncated: reading it again from the start`);
      this.offset = 0;
      this.pending = Buffer.alloc(0);
    }
    out.push(...(await this.readNew(size, this.handle)));
    return out;
  }

  private async pollAccessor(): Promise<string[]> {
    const size = await this.size();
    if (size === null) return [];
    if (this.offset < 0) this.offset = 0;
    if (size < this.offset) {
      this.log('info', `${this.path.toString()} was truncated: reading it again from the start`);
      this.offset = 0;
      this.pending = Buffer.alloc(0);
    }
    return this.readNew(size, null);
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = null;
    await h?.close().catch(() => {});
  }
}
