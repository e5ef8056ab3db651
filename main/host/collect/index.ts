/**
 * Files and collections: `upload()`, `tempfile()`, `tempdir()`, `rm()`, `copy()`, `magic()`, and the `zip`,
 * `zip_nocase` and `raw_file` accessors (registry only). Where a run's uploads and temp files
 * go is `HostOptions.files` (run-files.ts); the collection container written from them is
 * container.ts, run by container-run.ts (for the CLI and the app alike). rm() and copy() out of
 * the temp folder change files: they need `allowExecve`, the opt-in that running programs needs.
 */
import type { Registry } from '../../vql/index.ts';
import type { HostOptions } from '../options.ts';
import { upload } from './upload.ts';
import { magic } from './magic.ts';
import { tempdir, tempfile } from './tempfile.ts';
import { rmFunction } from './rm.ts';
import { copyFunction } from './copy.ts';
import { registerZipAccessors } from './zip-accessor.ts';
import { registerRawFile } from './raw-file.ts';
import { attachRunFiles } from './run-files.ts';

export { attachRunFiles, detachRunFiles, finishRun, newTempDir, removeTempDir, type RunFiles } from './run-files.ts';

export function registerCollect(registry: Registry, opts: HostOptions): void {
  const allowed = opts.allowExecve === true;
  registry.registerFunction(upload);
  registry.registerFunction(tempfile);
  registry.registerFunction(tempdir);
  registry.registerFunction(rmFunction(allowed));
  registry.registerFunction(copyFunction(allowed));
  registry.registerFunction(magic);
  registerZipAccessors(registry);
  registerRawFile(registry);
  if (opts.files) attachRunFiles(registry, opts.files);
}
