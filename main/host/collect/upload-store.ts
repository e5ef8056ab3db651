/**
 * Where upload() puts files: a folder laid out as a Velociraptor collection's uploads
 * (VELOCIRAPTOR-FORMATS.md 1.6): `uploads/<accessor>/<component>/...`, each component escaped
 * as in a container (zip-escape.ts, so a name never climbs out of the folder nor holds a drive
 * colon), plus `uploads.json` (Velociraptor's rows: vfs_path, _Components, file_size,
 * uploaded_size...). The CLI either leaves the folder to the user (a plain `vql query`, or a
 * collection without --output) or packs it into the collection zip at the end (container.ts),
 * from the store's index `.vql-uploads.jsonl`: one line per upload that completed, written
 * after the file is whole. The file is written under a temporary name and renamed when
 * complete, so a run stopped mid-upload (a worker ended at --timeout) leaves no half file
 * under a real name, and the packer never takes one.
 *
 * Files are streamed (1 MiB at a time): a large upload is never held in memory. SHA-256 and
 * MD5 are of the bytes stored. The same accessor and name uploaded twice in one run is stored
 * once: the second call gets the first one's answer (Velociraptor's deduplication).
 */
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { VDict, VTime } from '../../vql/index.ts';
import type { FileReader } from '../files/accessors.ts';
import { escapeComponent, keptComponents } from './zip-escape.ts';

/** What one upload() asks for. */
export interface UploadRequest {
  /** The accessor's name, recorded in the path (`uploads/<accessor>/...`). */
  readonly accessor: string;
  /** The components the file is stored under (`name=`, else the file's path). */
  readonly components: readonly string[];
  /** The source path as text (the response's Path). */
  readonly sourcePath: string;
  /** The size stat gave (the response's Size; the bytes stored may differ); null: the bytes stored. */
  readonly expectedSize: number | null;
  /** The zip entry's time (the file's mtime by default). */
  readonly mtime: VTime | null;
  readonly isDir: boolean;
  readonly open: () => Promise<FileReader>;
  readonly signal: AbortSignal;
}

/** One completed upload, as the index keeps it (what the packer needs). */
export interface UploadRecord {
  /** The member name in a container (`uploads/auto/etc/passwd`: escaped, no leading `/`). */
  readonly member: string;
  /** Where the bytes are, relative to the store folder (usually `member`). */
  readonly file: string;
  /** `["uploads", accessor, c1, ...]`, unescaped. */
  readonly components: readonly string[];
  readonly path: string;
  readonly size: number;
  readonly stored: number;
  readonly sha256: string;
  readonly md5: string;
  /** Unix seconds, or null. */
  readonly mtime: number | null;
  readonly isDir: boolean;
}

export const INDEX_FILE = '.vql-uploads.jsonl';
const CHUNK = 1 << 20;

/** The response upload() returns (uploads.UploadResponse.AsDict's key order). */
function response(r: UploadRecord): VDict {
  const d = new VDict([['Path', r.path], ['Size', r.size], ['UploadId', 0]]);
  if (r.stored > 0) d.set('StoredSize', r.stored);
  if (!r.isDir) {
    d.set('sha256', r.sha256);
    d.set('md5', r.md5);
  }
  d.set('StoredName', '/' + r.member);
  d.set('Components', [...r.components]);
  return d;
}

/** The response of a failed upload. */
export function errorResponse(message: string): VDict {
  return new VDict([['Path', ''], ['Size', 0], ['UploadId', 0], ['Error', message]]);
}

/** Velociraptor's uploads.json row for a record (`now` is when it was stored). */
export function uploadsJsonRow(r: UploadRecord, now: Date): VDict {
  return new VDict([
    ['Timestamp', now.toISOString().replace(/\.\d+Z$/, 'Z')],
    ['started', goTimeString(now)],
    ['vfs_path', r.path],
    ['_Components', [...r.components]],
    ['file_size', r.size],
    ['uploaded_size', r.stored],
    ['Type', ''],
  ]);
}

/** Go's time.String() of a UTC time: `2022-10-16 16:20:30.199783036 +0000 UTC`. */
export function goTimeString(t: Date): string {
  const iso = t.toISOString();
  const frac = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? '.' + frac : ''} +0000 UTC`;
}

export class UploadStore {
  private readonly done = new Map<string, Promise<VDict>>();
  /** On-disk file names given out, and the folders they need (lower case: a case-insensitive filesystem sees `A` and `a` as one). */
  private readonly taken = new Set<string>();
  private readonly folders = new Set<string>();
  private serial = 0;

  constructor(readonly dir: string) {}

  /** The records of the uploads that completed in `dir` (those stopped half way are absent). */
  static readIndex(dir: string): UploadRecord[] {
    let text: string;
    try {
      text = readFileSync(join(dir, INDEX_FILE), 'utf8');
    } catch {
      return [];
    }
    const out: UploadRecord[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        out.push(JSON.parse(line) as UploadRecord);
      } catch {
        // A line cut by a stopped worker: that upload never completed.
      }
    }
    return out;
  }

  /** Stores one upload (or returns the answer of the same one earlier). Rejects on errors. */
  upload(req: UploadRequest): Promise<VDict> {
    const member = ['uploads', escapeComponent(req.accessor) || 'auto', ...req.components.map(escapeComponent).filter((c) => c !== '')].join('/');
    const key = req.accessor + '\0' + member;
    let p = this.done.get(key);
    if (!p) {
      p = this.store(req, member);
      this.done.set(key, p);
      // A failed upload may be tried again.
      p.catch(() => this.done.delete(key));
    }
    return p;
  }

  private async store(req: UploadRequest, member: string): Promise<VDict> {
    const components = ['uploads', req.accessor, ...keptComponents(req.components)];
    const base: Omit<UploadRecord, 'file' | 'stored' | 'sha256' | 'md5'> = {
      member: req.isDir ? member + '/' : member,
      components,
      path: req.sourcePath,
      size: req.expectedSize ?? 0,
      mtime: req.mtime ? req.mtime.unix : null,
      isDir: req.isDir,
    };
    if (req.isDir) {
      try {
        mkdirSync(join(this.dir, member), { recursive: true, mode: 0o700 });
        this.folders.add(member.toLowerCase());
      } catch {
        // A file of this run has the name: the folder exists in the container only.
      }
      return this.record({ ...base, file: member, stored: 0, sha256: '', md5: '' });
    }
    const file = this.placeFor(member);
    const full = join(this.dir, file);
    mkdirSync(dirname(full), { recursive: true, mode: 0o700 });
    const partial = `${full}.vql-partial-${process.pid}-${++this.serial}`;
    const sha256 = createHash('sha256');
    const md5 = createHash('md5');
    let stored = 0;
    const out = await open(partial, 'wx', 0o600);
    try {
      const reader = await req.open();
      try {
        for (;;) {
          if (req.signal.aborted) throw new Error('upload stopped: the query was cancelled');
          const b = await reader.read(stored, CHUNK);
          if (b.length === 0) break;
          sha256.update(b);
          md5.update(b);
          await out.write(b, 0, b.length);
          stored += b.length;
        }
      } finally {
        await reader.close();
      }
    } catch (e) {
      await out.close();
      await rm(partial, { force: true });
      throw e;
    }
    await out.close();
    await rename(partial, full);
    return this.record({ ...base, size: req.expectedSize ?? stored, file, stored, sha256: sha256.digest('hex'), md5: md5.digest('hex') });
  }

  /**
   * The on-disk place of a member: its own name, unless a filesystem cannot hold it (a
   * component over 255 bytes, a name that differs from another only by case on macOS or
   * Windows, a file where a folder is needed): then a place under `uploads/.other/`. The
   * container still gets the exact member name from the index.
   */
  private placeFor(member: string): string {
    const lower = member.toLowerCase();
    const parents = [...parentsOf(lower)];
    const clash = this.taken.has(lower) || this.folders.has(lower) || parents.some((p) => this.taken.has(p));
    const long = member.split('/').some((c) => Buffer.byteLength(c) > 240);
    if (!clash && !long) {
      this.taken.add(lower);
      for (const p of parents) this.folders.add(p);
      return member;
    }
    const place = `uploads/.other/${createHash('sha256').update(member).digest('hex').slice(0, 32)}-${++this.serial}`;
    this.taken.add(place.toLowerCase());
    return place;
  }

  private record(r: UploadRecord): VDict {
    appendFileSync(join(this.dir, 'uploads.json'), JSON.stringify(uploadsJsonRow(r, new Date()).toJSON()) + '\n', { mode: 0o600 });
    // Last: once this line exists the upload counts as complete.
    appendFileSync(join(this.dir, INDEX_FILE), JSON.stringify(r) + '\n', { mode: 0o600 });
    return response(r);
  }
}

/** `a/b/c` → `a`, `a/b` (the folders a file at `a/b/c` needs). */
function* parentsOf(member: string): Generator<string> {
  for (let i = member.indexOf('/'); i >= 0; i = member.indexOf('/', i + 1)) yield member.slice(0, i);
}
