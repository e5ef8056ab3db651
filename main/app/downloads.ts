/**
 * Exports handed to a browser as downloads. In the browser the workbench cannot write to a
 * path the user picks, and a view of millions of rows must not pass through the page: so
 * `table:export` with `download: true` writes the file into a folder of its own under the
 * table engine's temporary folder and registers it here under a random id; the web host
 * (main/web/host.ts) serves `GET /exports/<id>` behind its usual guard, once, then deletes the
 * file. Ids are 128 random bits; a file nobody fetched is deleted after DOWNLOAD_TTL_MS. The
 * registry holds only files it was given, each alone in a download folder under the root its
 * writer named: nothing else can be served, and deleting one removes nothing else.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';

/** How long an export waits for its download. */
export const DOWNLOAD_TTL_MS = 10 * 60_000;

export interface DownloadFile {
  /** The file on disk (inside the registry's folder). */
  path: string;
  /** The name the browser saves it under. */
  name: string;
  contentType: string;
}

const ID = /^[0-9a-f]{32}$/;

/** A download's file name from what the page asked for: letters, digits, `._-` (others become `_`), a sane length, never empty. */
export function safeFileName(name: unknown, fallback: string): string {
  const cleaned = typeof name === 'string' ? name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[.]+/, '').slice(0, 120) : '';
  return cleaned || fallback;
}

export class Downloads {
  private readonly files = new Map<string, DownloadFile & { root: string; timer: ReturnType<typeof setTimeout> | undefined }>();

  constructor(private readonly ttlMs = DOWNLOAD_TTL_MS) {}

  /** A fresh folder for one download's file under `root` (the caller's downloads folder), so names never collide. */
  newFolder(root: string): string {
    const dir = join(root, randomBytes(8).toString('hex'));
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /**
   * Registers a file written into `newFolder(root)`; returns its id. `keep`: the file waits
   * until it is taken or the process ends (a collection may be hours of work), not the TTL.
   */
  add(root: string, file: DownloadFile, keep = false): string {
    if (!holds(root, file.path)) throw new Error(`${file.path} is not in a download folder of ${root}`);
    const id = randomBytes(16).toString('hex');
    const timer = keep ? undefined : setTimeout(() => this.discard(id), this.ttlMs);
    timer?.unref?.();
    this.files.set(id, { ...file, root, timer });
    return id;
  }

  /** The file waiting under `id`, left waiting (null when there is none). */
  peek(id: string): DownloadFile | null {
    if (typeof id !== 'string' || !ID.test(id)) return null;
    const f = this.files.get(id);
    return f ? { path: f.path, name: f.name, contentType: f.contentType } : null;
  }

  /** Takes a download (it is then gone from the registry): the caller serves it, then calls `done`. */
  take(id: string): (DownloadFile & { done(): void }) | null {
    if (typeof id !== 'string' || !ID.test(id)) return null;
    const f = this.files.get(id);
    if (!f) return null;
    this.files.delete(id);
    clearTimeout(f.timer);
    return { path: f.path, name: f.name, contentType: f.contentType, done: () => removeFolderOf(f.root, f.path) };
  }

  /** Downloads waiting. */
  get size(): number {
    return this.files.size;
  }

  private discard(id: string): void {
    this.take(id)?.done();
  }
}

/** Is `path` a file in a download folder of `root` (`<root>/<sub>/<name>`)? */
function holds(root: string, path: string): boolean {
  const rel = relative(resolve(root), resolve(path));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) && rel.split(/[\\/]/).length === 2;
}

/** Deletes a download's file and its folder (only ever one under `root`). */
function removeFolderOf(root: string, path: string): void {
  if (holds(root, path)) rmSync(dirname(resolve(path)), { recursive: true, force: true });
}

let shared: Downloads | null = null;

/** The registry of this process: the table handlers add to it, the web host serves from it. */
export function sharedDownloads(): Downloads {
  shared ??= new Downloads();
  return shared;
}
