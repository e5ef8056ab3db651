/**
 * `parse_binary(filename, accessor, profile, struct, offset, env)`: instantiates a type of a
 * vtypes profile (vtypes/profile.ts) over a file, at `offset`. The result is lazy: a struct's
 * fields are read when first accessed. Files up to 4 MiB are read whole; larger ones (disks,
 * big logs) through a page cache of `BINARY_CACHE_SIZE` 64 KiB pages (default 100).
 *
 * Errors (a profile that does not parse, an unknown struct, a file that cannot be opened, a
 * field whose lambda fails) are logged naming the argument, the struct and field, and the
 * file; the function gives NULL (a failing field gives NULL), the query goes on.
 */
import { VDict, type FunctionDef, type Scope, type Value } from '../../vql/index.ts';
import { accessorOrLog } from '../files/read.ts';
import type { Accessor } from '../files/accessors.ts';
import { errorText, fileError, fileLabel } from './common.ts';
import { ProfileError, compileProfile, type Profile, type ParseContext } from './vtypes/profile.ts';
import { DEFAULT_CACHE_PAGES, MemoryIO, PagedIO, WHOLE_FILE_LIMIT, attempt, type BinaryIO } from './vtypes/reader.ts';
import { toNumber } from '../../vql/values/kinds.ts';

const PROFILE_CACHE = Symbol('parse_binary-profiles');
const MAX_CACHED_PROFILES = 100;

/** The compiled profile for `text`, cached per session (or the error it gives). */
function profileFor(text: string, scope: Scope): Profile | ProfileError {
  let cache = scope.env.context.get(PROFILE_CACHE) as Map<string, Profile | ProfileError> | undefined;
  if (!cache) scope.env.context.set(PROFILE_CACHE, (cache = new Map()));
  let p = cache.get(text);
  if (!p) {
    try {
      p = compileProfile(text);
    } catch (e) {
      p = e instanceof ProfileError ? e : new ProfileError(String(e));
    }
    if (cache.size >= MAX_CACHED_PROFILES) cache.clear();
    cache.set(text, p);
  }
  return p;
}

/** The bytes of a file: whole when small (or in memory), else paged. */
async function openIO(accessor: Accessor, filename: Value, scope: Scope): Promise<BinaryIO> {
  const reader = await accessor.open(filename, scope);
  if (reader.size !== null && reader.size <= WHOLE_FILE_LIMIT) {
    try {
      const bytes = reader.size === 0 ? new Uint8Array(0) : await reader.read(0, reader.size);
      return new MemoryIO(bytes);
    } finally {
      await reader.close();
    }
  }
  await reader.close();
  const setting = await scope.lookup('BINARY_CACHE_SIZE');
  const pages = typeof setting === 'number' || typeof setting === 'string' ? Number(setting) : NaN;
  return new PagedIO(() => accessor.open(filename, scope), reader.size, Number.isFinite(pages) && pages > 0 ? pages : DEFAULT_CACHE_PAGES);
}

export const parseBinary: FunctionDef = {
  name: 'parse_binary',
  version: 2,
  doc: 'Parse binary data with a vtypes profile: a lazy struct whose fields are read on access (JSON: its fields without those starting with __).',
  args: {
    filename: { type: 'any', required: true, doc: 'The file (or, with accessor=data, the bytes themselves)' },
    accessor: { type: 'string', doc: 'How to read it: auto (default), file, data, scope...', default: 'auto' },
    profile: { type: 'string', doc: 'The profile: a JSON or YAML list of [Name, Size, [[Field, Offset, Type, {options}]...]]' },
    struct: { type: 'string', required: true, doc: 'The type to instantiate (a struct of the profile or a built-in such as uint32)' },
    offset: { type: 'int', doc: 'Where to instantiate it', default: '0' },
    env: { type: 'any', doc: 'Extra variables the profile\'s lambdas can use' },
  },
  async run(call) {
    const { args, scope } = call;
    const log = call.log.bind(call);
    const accessor = accessorOrLog(scope, args.accessor, 'parse_binary', log);
    if (!accessor) return null;
    const profile = profileFor(typeof args.profile === 'string' ? args.profile : '', scope);
    if (profile instanceof ProfileError) {
      log('error', `argument profile: ${profile.message} (parsing ${fileLabel(accessor, args.filename)})`);
      return null;
    }
    const structName = String(args.struct ?? '');
    let parser;
    try {
      parser = profile.topLevel(structName);
    } catch (e) {
      log('error', `argument struct: ${(e as Error).message}`);
      return null;
    }
    let io: BinaryIO;
    try {
      io = await openIO(accessor, args.filename, scope);
    } catch (e) {
      log('warn', fileError('filename', accessor, args.filename, errorText(e)));
      return null;
    }
    const label = fileLabel(accessor, args.filename);
    const env = args.env instanceof VDict ? args.env : null;
    const ctx: ParseContext = {
      io,
      profile,
      scope: env ? scope.child(env) : scope,
      log: (m) => log('error', `${m} (filename=${label})`),
    };
    const offset = args.offset === undefined || args.offset === null ? 0 : Math.trunc(toNumber(args.offset));
    try {
      return await attempt(() => parser.parse(ctx, offset, null));
    } catch (e) {
      log('error', fileError('filename', accessor, args.filename, errorText(e)));
      return null;
    }
  },
};
