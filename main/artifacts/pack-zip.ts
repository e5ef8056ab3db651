/**
 * Pack zips: writing one (fflate's zipSync) and reading one that came from anywhere. Reading
 * trusts nothing: the central directory is checked first (entry count, names that would
 * escape a folder: `..`, absolute paths, drive letters, backslashes), then each `.yaml`/`.yml`
 * entry's declared size is checked against the limits before anything is inflated, then it
 * is inflated in small steps while its output is counted, so a size limit or a
 * compression-ratio bomb stops it before the memory is spent. Declared sizes are not
 * believed either way: the count of bytes actually produced is what the limits apply to,
 * and an entry whose output differs from its declared size is damaged.
 */
import { crc32 } from 'node:zlib';
import { Inflate, zipSync, strToU8 } from 'fflate';
import { formatSize, MAX_ARTIFACT_BYTES } from './size-limit.ts';
import { runSteps, type Steps } from './steps.ts';

/**
 * Limits on a pack zip. An entry may be as large as any artifact file (MAX_ARTIFACT_BYTES,
 * size-limit.ts). The YAML of a whole pack may hold 8 MiB: twelve times the 211 artifacts of
 * Velociraptor's own set (0.7 MB), and few enough that loading them all (every start of
 * the app loads the user's folder) stays within a couple of seconds whatever they hold. Four
 * thousand entries is twenty times that set's count; 16 MiB of zip holds 8 MiB of YAML even
 * stored uncompressed, with room for the other files a pack may carry (ignored).
 */
export interface ZipLimits {
  /** The zip itself. */
  readonly maxZipBytes: number;
  readonly maxEntries: number;
  /** Uncompressed bytes of one YAML entry. */
  readonly maxEntryBytes: number;
  /** Uncompressed bytes of all YAML entries together. */
  readonly maxTotalBytes: number;
  /** Uncompressed / compressed, checked once an entry passes `ratioFloorBytes`. */
  readonly maxRatio: number;
  readonly ratioFloorBytes: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxZipBytes: 16 * 2 ** 20,
  maxEntries: 4_000,
  maxEntryBytes: MAX_ARTIFACT_BYTES,
  maxTotalBytes: 8 * 2 ** 20,
  maxRatio: 200,
  ratioFloorBytes: 2 ** 20,
};

/** `1000 bytes`, or `1 MiB (1048576 bytes)`. */
const sizeText = (n: number) => (n < 1024 ? `${n} bytes` : `${formatSize(n)} (${n} bytes)`);

/** The whole zip is refused (nothing from it may be used). */
export class PackZipError extends Error {
  override readonly name = 'PackZipError';
}

export interface ZipTextEntry {
  /** The entry's path in the zip. */
  readonly path: string;
  readonly text: string;
}

export interface ZipRead {
  /** The `.yaml`/`.yml` entries, decoded as UTF-8. */
  readonly entries: ZipTextEntry[];
  /** Entries skipped with a reason (not UTF-8, unsupported compression). */
  readonly problems: Array<{ file: string; message: string }>;
  /** Entries ignored because they are not YAML (as Velociraptor ignores them). */
  readonly ignored: string[];
}

/** Writes a zip of text files (deflated); `mtime` fixes the timestamps (tests compare bytes). */
export function writeZip(files: ReadonlyArray<{ path: string; text: string }>, mtime: Date = new Date()): Uint8Array {
  const tree: Record<string, [Uint8Array, { mtime: Date }]> = {};
  for (const f of files) tree[f.path] = [strToU8(f.text), { mtime }];
  return zipSync(tree, { level: 6 });
}

/** Why a zip entry name is unsafe to extract anywhere, or undefined when it is fine. */
export function unsafeEntryName(name: string): string | undefined {
  if (name.includes('\0')) return 'contains a NUL character';
  if (name.includes('\\')) return 'contains a backslash (a Windows path separator that can escape the folder)';
  if (name.startsWith('/')) return 'is an absolute path';
  if (/^[A-Za-z]:/.test(name)) return 'starts with a drive letter';
  if (name.split('/').includes('..')) return "contains '..' (it would be written outside the folder)";
  return undefined;
}

interface CentralEntry {
  name: string;
  flags: number;
  method: number;
  crc: number;
  compressed: number;
  size: number;
  localOffset: number;
}

/** Reads the central directory, refusing the zip on anything malformed or unsafe. */
function centralDirectory(zip: Uint8Array, limits: ZipLimits): CentralEntry[] {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new PackZipError('not a zip file (no end-of-central-directory record): export the pack again');
  const count = view.getUint16(eocd + 10, true);
  const cdOffset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || cdOffset === 0xffffffff) throw new PackZipError('ZIP64 archives are not supported: a pack of artifacts is far smaller');
  if (count > limits.maxEntries) throw new PackZipError(`the zip has ${count} entries, more than the limit of ${limits.maxEntries}`);
  const names = new TextDecoder('utf-8');
  const out: CentralEntry[] = [];
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > zip.length || view.getUint32(p, true) !== 0x02014b50) throw new PackZipError(`the zip's directory is damaged at entry ${i + 1}`);
    const nameLen = view.getUint16(p + 28, true);
    const name = names.decode(zip.subarray(p + 46, p + 46 + nameLen));
    const bad = unsafeEntryName(name);
    if (bad) throw new PackZipError(`entry '${name}' ${bad}: the pack is refused`);
    out.push({
      name,
      flags: view.getUint16(p + 8, true),
      method: view.getUint16(p + 10, true),
      crc: view.getUint32(p + 16, true),
      compressed: view.getUint32(p + 20, true),
      size: view.getUint32(p + 24, true),
      localOffset: view.getUint32(p + 42, true),
    });
    p += 46 + nameLen + view.getUint16(p + 30, true) + view.getUint16(p + 32, true);
  }
  return out;
}

/** The compressed bytes of an entry (after its local header). */
function entryData(zip: Uint8Array, e: CentralEntry): Uint8Array {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const h = e.localOffset;
  if (h + 30 > zip.length || view.getUint32(h, true) !== 0x04034b50) throw new PackZipError(`entry '${e.name}': damaged local header`);
  const start = h + 30 + view.getUint16(h + 26, true) + view.getUint16(h + 28, true);
  if (start + e.compressed > zip.length) throw new PackZipError(`entry '${e.name}' runs past the end of the zip`);
  return zip.subarray(start, start + e.compressed);
}

/** Inflates `data`, stopping as soon as `budget` bytes or the ratio limit is passed. */
function inflateBounded(name: string, data: Uint8Array, budget: number, limits: ZipLimits): Uint8Array {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const which = budget < limits.maxEntryBytes
    ? `the rest of the ${sizeText(limits.maxTotalBytes)} a pack's YAML may hold in all`
    : `the most an artifact file may be`;
  const inflater = new Inflate((chunk) => {
    size += chunk.length;
    if (size > budget) throw new PackZipError(`entry '${name}' inflates to more than ${budget} bytes (limit: ${which}): the pack is refused`);
    if (size > limits.ratioFloorBytes && size > limits.maxRatio * Math.max(1, data.length)) {
      throw new PackZipError(`entry '${name}' inflates more than ${limits.maxRatio} times its compressed size (a zip bomb?): the pack is refused`);
    }
    chunks.push(chunk);
  });
  // Small steps: one step of deflate output is at most ~1032 times its input.
  const STEP = 4096;
  for (let i = 0; i < data.length; i += STEP) inflater.push(data.subarray(i, i + STEP), i + STEP >= data.length);
  if (data.length === 0) inflater.push(new Uint8Array(0), true);
  const out = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/**
 * Refuses an entry from its declared sizes alone, before inflating it: a compression ratio no
 * text reaches, or more bytes than an artifact file may have. (A header that understates the
 * size is caught while inflating.)
 */
function checkDeclared(e: CentralEntry, limits: ZipLimits): void {
  if (e.size > limits.ratioFloorBytes && e.size > limits.maxRatio * Math.max(1, e.compressed)) {
    throw new PackZipError(`entry '${e.name}' inflates more than ${limits.maxRatio} times its compressed size (a zip bomb?): the pack is refused`);
  }
  if (e.size > limits.maxEntryBytes) {
    throw new PackZipError(
      `entry '${e.name}' is more than ${sizeText(limits.maxEntryBytes)}, the most an artifact file may be: its zip header declares ` +
        `${sizeText(e.size)}; the pack is refused (Velociraptor's largest artifact is under 40 KiB)`,
    );
  }
}

/**
 * Reads the YAML entries of a pack zip within `limits`. Throws PackZipError when the zip as a
 * whole is refused (not a zip, unsafe names, a limit passed); other entries are ignored.
 */
export function readPackZip(zip: Uint8Array, limits: ZipLimits = DEFAULT_ZIP_LIMITS): ZipRead {
  return runSteps(readPackZipSteps(zip, limits));
}

/** readPackZip as steps: one YAML entry (at most `maxEntryBytes` inflated) per step. */
export function* readPackZipSteps(zip: Uint8Array, limits: ZipLimits = DEFAULT_ZIP_LIMITS): Steps<ZipRead> {
  if (zip.length > limits.maxZipBytes) throw new PackZipError(`the zip is ${zip.length} bytes, more than the limit of ${limits.maxZipBytes}`);
  const result: ZipRead = { entries: [], problems: [], ignored: [] };
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let total = 0;
  for (const e of centralDirectory(zip, limits)) {
    if (e.name.endsWith('/')) continue;
    if (!/\.ya?ml$/i.test(e.name)) {
      result.ignored.push(e.name);
      continue;
    }
    if (e.flags & 1) throw new PackZipError(`entry '${e.name}' is encrypted: packs are plain zips`);
    if (e.method !== 0 && e.method !== 8) {
      result.problems.push({ file: e.name, message: `compression method ${e.method} is not supported (use deflate)` });
      continue;
    }
    checkDeclared(e, limits);
    yield;
    const data = entryData(zip, e);
    const budget = Math.min(limits.maxEntryBytes, limits.maxTotalBytes - total);
    if (e.method === 0 && data.length > budget) throw new PackZipError(`entry '${e.name}' is more than ${budget} bytes (limit): the pack is refused`);
    let bytes: Uint8Array;
    try {
      bytes = e.method === 0 ? data : inflateBounded(e.name, data, budget, limits);
    } catch (err) {
      if (err instanceof PackZipError) throw err;
      result.problems.push({ file: e.name, message: `the entry is damaged (${(err as Error).message}): export the pack again` });
      continue;
    }
    total += bytes.length;
    if (bytes.length !== e.size) {
      result.problems.push({ file: e.name, message: `the entry is damaged (its zip header declares ${e.size} bytes, it holds ${bytes.length}): export the pack again` });
      continue;
    }
    if (crc32(bytes) !== e.crc) {
      result.problems.push({ file: e.name, message: 'the entry is damaged (its checksum does not match): export the pack again' });
      continue;
    }
    try {
      result.entries.push({ path: e.name, text: utf8.decode(bytes) });
    } catch {
      result.problems.push({ file: e.name, message: 'not UTF-8 text: save the artifact as UTF-8' });
    }
  }
  return result;
}
