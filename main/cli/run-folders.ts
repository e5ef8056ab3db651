/**
 * Where a CLI run's files go when it writes no collection container (`vql query`, `vql
 * artifacts collect` without `--output x.zip`, which collection.ts handles):
 *
 * - a temp folder (tempfile(), tempdir(), copy()'s free destination), removed when the run
 *   ends, whatever the engine was doing (a worker stopped at --timeout too);
 * - upload() writes to a folder named here in the working directory (`uploads-<time>`),
 *   created on the first upload and printed at the end.
 *
 * The folders are plain paths in EngineFlags.files, so the run's worker thread (isolated.ts)
 * writes to the same places. Light on purpose: `vql query` loads it on every run.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { LogLevel } from '../vql/index.ts';
import { newTempDir, removeTempDir, type RunFiles } from '../host/collect/run-files.ts';
import { UploadStore } from '../host/collect/upload-store.ts';

/** Is `--output` a collection container (a `.zip`) rather than a file of rows? */
export function isContainerOutput(output: string | undefined): output is string {
  return output !== undefined && /\.zip$/i.test(output);
}

/** `uploads-2024-05-01T10-00-00Z` in the working directory (a suffix if it exists). */
function uploadFolderName(): string {
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  let name = resolve(`uploads-${stamp}`);
  for (let i = 2; existsSync(name); i++) name = resolve(`uploads-${stamp}-${i}`);
  return name;
}

/** The files of a run that writes uploads to a folder of their own (no container). */
export class FolderRun {
  readonly files: RunFiles = { tempDir: newTempDir(), uploadDir: uploadFolderName() };

  /** Ends the run: the temp folder removed; the upload folder, if one was made, said. */
  finish(log: (level: LogLevel, message: string) => void): void {
    removeTempDir(this.files.tempDir);
    const dir = this.files.uploadDir!;
    if (!existsSync(dir)) return;
    const records = UploadStore.readIndex(dir);
    const bytes = records.reduce((n, r) => n + r.stored, 0);
    log('info', `uploads: ${records.length} file${records.length === 1 ? '' : 's'} (${bytes} bytes) in ${dir}`);
  }
}

