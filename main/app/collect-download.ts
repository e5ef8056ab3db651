/**
 * Where the app's "Collect to zip" puts its container, and how the page gets it: the zip is
 * written into a download folder of its own (main/app/downloads.ts) and, when the run ends,
 * registered for the web host to hand over once (`GET /exports/<id>`, as `table:export`'s
 * downloads); `vql:done` carries that address with the zip's size and counts. A browser
 * downloads it at once; the desktop app, which cannot download, saves it where the user
 * chooses (`collection:save`, `saveCollection` here), so a finished zip waits for that until
 * the app closes (not the downloads' ten minutes). Named as Velociraptor's offline collector
 * names its zips (`Collection-%Hostname%-%TIMESTAMP%`, characters outside `[0-9A-Za-z-]` as `_`).
 */
import { constants, mkdtempSync, rmSync, statSync } from 'node:fs';
import { copyFile, rm, stat } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CollectionDownload, CollectionSaved, CollectionSaveRequest, Result } from '../ipc/contract.ts';
import { checkSavePath } from './save-path.ts';
import { removeTempDir } from '../host/collect/run-files.ts';
import { sharedDownloads, type Downloads } from './downloads.ts';
import type { ContainerTarget, JobEnd } from './query-job.ts';

let root: string | null = null;

/** This process's folder of collections waiting for their download (removed at exit). */
function collectionsRoot(): string {
  if (root) return root;
  const dir = mkdtempSync(join(tmpdir(), 'vql-collections-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return (root = dir);
}

/** `Collection-<host>-<UTC time>.zip`, as Velociraptor's offline collector names its zips. */
export function collectionFileName(host = hostname(), now = new Date()): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z');
  return `Collection-${host}-${stamp}`.replace(/[^0-9A-Za-z-]/g, '_') + '.zip';
}

/** One "Collect to zip" run's places, from before its start to its download. */
export class PendingCollection {
  readonly name = collectionFileName();
  readonly target: ContainerTarget;
  private readonly root = collectionsRoot();
  private readonly dir: string;

  constructor(private readonly downloads: Downloads = sharedDownloads()) {
    this.dir = downloads.newFolder(this.root);
    this.target = { output: join(this.dir, this.name), workDir: mkdtempSync(join(tmpdir(), 'vql-collect-')) };
  }

  /**
   * After the job: the zip registered as a download, or (no zip: the run could not start, or its
   * worker was terminated) everything removed. When the zip could not be written the work folder
   * stays: the error names it, with what was collected.
   */
  settle(end: JobEnd): CollectionDownload | undefined {
    if (end.error?.code !== 'CollectionError') removeTempDir(this.target.workDir);
    const c = end.collection;
    if (!c) {
      rmSync(this.dir, { recursive: true, force: true });
      return undefined;
    }
    const bytes = statSync(this.target.output).size;
    const id = this.downloads.add(this.root, { path: this.target.output, name: this.name, contentType: 'application/zip' }, true);
    return { download: `/exports/${id}`, name: this.name, bytes, rows: c.rows, uploads: c.uploads, uploadedBytes: c.uploadedBytes, sessionId: c.sessionId };
  }
}

const DOWNLOAD = /^\/exports\/([0-9a-f]{32})$/;

/**
 * `collection:save`: copies a finished "Collect to zip" to the path the user chose (a new file
 * unless `overwrite`), then drops the waiting copy. Errors: `BadRequest`, `Exists` (ask, then
 * send `overwrite`), `NotFound` (already saved or downloaded), `SaveFailed` (the copy failed:
 * the waiting zip is kept, so another place can be tried).
 */
export async function saveCollection(req: CollectionSaveRequest, downloads: Downloads = sharedDownloads()): Promise<Result<CollectionSaved>> {
  const m = typeof req?.download === 'string' ? DOWNLOAD.exec(req.download) : null;
  if (!m) return { ok: false, error: { code: 'BadRequest', message: 'collection:save needs the download address of a finished collection' } };
  const file = downloads.peek(m[1]!);
  if (!file) return { ok: false, error: { code: 'NotFound', message: 'this collection zip is no longer waiting: it was saved or downloaded already (collect again for another copy)' } };
  const checked = await checkSavePath(req.path, req.overwrite === true);
  if ('problem' in checked) return { ok: false, error: checked.problem };
  try {
    await copyFile(file.path, checked.path, req.overwrite === true ? 0 : constants.COPYFILE_EXCL);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EEXIST') return { ok: false, error: { code: 'Exists', message: `${checked.path} exists: choose another name, or confirm to replace it` } };
    await rm(checked.path, { force: true }).catch(() => {});
    return { ok: false, error: { code: 'SaveFailed', message: `could not save the collection to ${checked.path}: ${err.message}; the zip is still waiting, choose another place` } };
  }
  const bytes = (await stat(checked.path)).size;
  downloads.take(m[1]!)?.done();
  return { ok: true, value: { path: checked.path, bytes } };
}
