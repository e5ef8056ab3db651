/**
 * `upload(file=, name=, accessor=, mtime=, atime=, ctime=, btime=)`: stores a file in the
 * run's uploads (upload-store.ts): the collection's container with `vql artifacts collect
 * --output x.zip` or the app's "Collect to zip", else a folder the CLI names. Returns Velociraptor's upload response: Path,
 * Size, UploadId, StoredSize, sha256, md5, StoredName, Components; `{Path, Size, UploadId,
 * Error}` when the file cannot be opened or read; NULL (and a log line) when there is no
 * uploader or the file cannot be stat-ed. Streams the file (never held in memory) and stops
 * with the query (Ctrl-C, --timeout).
 */
import type { FunctionDef, Value } from '../../vql/index.ts';
import { VDict, VTime } from '../../vql/index.ts';
import { accessorFor, type Accessor } from '../files/accessors.ts';
import { OSPath, nativePathType, pathText } from '../files/ospath.ts';
import { runState } from './run-files.ts';
import { errorResponse } from './upload-store.ts';

/**
 * The path a file is stored under: `name=` as its components say (a relative name such as
 * `heap.bin` is stored as `uploads/<accessor>/heap.bin`, never resolved against the working
 * directory, as in Velociraptor), else `file=` parsed as the accessor parses paths.
 */
function storePath(accessor: Accessor, file: Value, name: Value): OSPath {
  const named = name !== undefined && name !== null && name !== '';
  const v = named ? name : file;
  if (v instanceof OSPath) return v;
  // Accessors whose "path" is the data itself (data, scope) store under a parsed name.
  if (!accessor.lstat) return OSPath.parse(pathText(v), 'generic');
  return named ? OSPath.parse(pathText(v), nativePathType()) : accessor.path(v);
}

export const upload: FunctionDef = {
  name: 'upload',
  doc: 'Store a file in the collection\'s uploads (the --output zip of `vql artifacts collect` or the app\'s "Collect to zip", else a folder the CLI names and prints). Returns {Path, Size, UploadId, StoredSize, sha256, md5, StoredName, Components}.',
  version: 3,
  args: {
    file: { type: 'any', required: true, doc: 'The file to upload (a path, an OSPath or a pathspec)' },
    name: { type: 'any', doc: 'The name to store it under (its components make the stored path; default: the file\'s path)' },
    accessor: { type: 'string', doc: 'How to read the file (auto, file, data, zip...); recorded in the stored path', default: 'auto' },
    mtime: { type: 'time', doc: 'Modification time recorded with the upload', default: 'the file\'s mtime' },
    atime: { type: 'time', doc: 'Access time recorded with the upload' },
    ctime: { type: 'time', doc: 'Change time recorded with the upload' },
    btime: { type: 'time', doc: 'Birth time recorded with the upload' },
  },
  async run(call) {
    const { args, scope } = call;
    const log = call.log.bind(call);
    const store = runState(scope).uploads();
    if (!store) {
      log('warn', 'Uploader not configured.');
      return null;
    }
    const accessorName = args.accessor === undefined || args.accessor === null || args.accessor === '' ? 'auto' : String(args.accessor);
    let accessor: Accessor;
    try {
      accessor = accessorFor(scope, accessorName);
    } catch (e) {
      log('error', `${(e as Error).message}`);
      return errorResponse((e as Error).message);
    }
    let src: OSPath;
    let stored: OSPath;
    try {
      src = accessor.path(args.file);
      stored = storePath(accessor, args.file, args.name);
    } catch (e) {
      log('error', `file ${pathText(args.file)}: ${(e as Error).message}`);
      return null;
    }
    let size: number | null = null;
    let isDir = false;
    let mtime: VTime | null = args.mtime instanceof VTime ? args.mtime : null;
    if (accessor.lstat) {
      try {
        const st = await accessor.lstat(src, scope);
        size = Number(st.size);
        isDir = st.isDir;
        mtime ??= st.mtime;
      } catch (e) {
        log('error', `cannot stat ${src.toString()} (accessor ${accessorName}): ${(e as Error).message}`);
        return null;
      }
    }
    // The data accessor's Path is the literal "data" (the content is not a path).
    const sourcePath = accessorName === 'data' ? 'data' : src.toString();
    try {
      const resp = await store.upload({
        accessor: accessorName,
        components: stored.components,
        sourcePath,
        expectedSize: size,
        mtime,
        isDir,
        signal: scope.signal,
        open: () => accessor.open(args.file, scope),
      });
      // Each row gets its own copy (a deduplicated upload answers several calls).
      return new VDict(resp.entries());
    } catch (e) {
      if (scope.signal.aborted) return null;
      log('error', `${sourcePath === 'data' ? 'data' : src.toString()} (accessor ${accessorName}): ${(e as Error).message}`);
      return errorResponse((e as Error).message);
    }
  },
};
