/**
 * Files and collections: `upload()`, `tempfile()`, `tempdir()`, `rm()`, `copy()`, `compress()`,
 * `mkdir()`, `magic()`, the `unzip()`, `write_csv()` and `write_jsonl()` plugins, and the `zip`,
 * `zip_nocase`, `raw_file`, `gzip`, `fs` and `fs_sparse` (fs-accessor.ts) accessors (registry only). Where a run's uploads and temp
 * files go is `HostOptions.files` (run-files.ts); the collection container written from them is
 * container.ts, run by container-run.ts (for the CLI and the app alike). Writing out of the temp
 * folder changes files: it needs `allowExecve`, the opt-in that running programs needs
 * (write-rule.ts; rm() has its own checks).
 */
import type { Registry } from '../../vql/index.ts';
import type { HostOptions } from '../options.ts';
import { upload } from './upload.ts';
import { magic } from './magic.ts';
import { tempdir, tempfile } from './tempfile.ts';
import { rmFunction } from './rm.ts';
import { copyFunction } from './copy.ts';
import { mkdirFunction } from './mkdir.ts';
import { writeCsvPlugin, writeJsonlPlugin } from './write-rows.ts';
import { registerZipAccessors } from './zip-accessor.ts';
import { registerFilestoreAccessors } from './fs-accessor.ts';
import { registerRawFile } from './raw-file.ts';
import { gzipAccessor } from './gzip-accessor.ts';
import { compressFunction } from './compress.ts';
import { unzipPlugin } from './unzip.ts';
import { registerAccessor } from '../files/accessors.ts';
import { attachRunFiles } from './run-files.ts';

export { attachRunFiles, detachRunFiles, finishRun, newTempDir, removeTempDir, type RunFiles } from './run-files.ts';

export function registerCollect(registry: Registry, opts: HostOptions): void {
  const allowed = opts.allowExecve === true;
  registry.registerFunction(upload);
  registry.registerFunction(tempfile);
  registry.registerFunction(tempdir);
  registry.registerFunction(rmFunction(allowed));
  registry.registerFunction(copyFunction(allowed));
  registry.registerFunction(mkdirFunction(allowed));
  registry.registerPlugin(writeCsvPlugin(allowed));
  registry.registerPlugin(writeJsonlPlugin(allowed));
  registry.registerFunction(magic);
  registerZipAccessors(registry);
  registerFilestoreAccessors(registry, opts.filestore);
  registerRawFile(registry);
  registerAccessor(registry, gzipAccessor);
  registry.registerFunction(compressFunction(allowed));
  registry.registerPlugin(unzipPlugin(allowed));
  if (opts.files) attachRunFiles(registry, opts.files);
}
