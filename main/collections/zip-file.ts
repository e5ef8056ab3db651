/**
 * A collection zip on this machine's disk, opened read-only: its central directory (read by
 * main/host/collect/zip-read.ts, the `zip` accessor's reader: ZIP64, bounded entry count and
 * directory size, zip-slip names reported) and the guards that decide whether one member may
 * be read (the pack import's: unsafe names, encrypted or unknown compression, a compression
 * ratio no evidence reaches). Nothing here writes: the file is opened with `r` only.
 */
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import type { FileReader } from '../host/files/accessors.ts';
import { readZipDirectory, ZipReadError, type ZipDirectory, type ZipEntry } from '../host/collect/zip-read.ts';
import { DEFAULT_ZIP_LIMITS } from '../artifacts/pack-zip.ts';

export { ZipReadError, type ZipEntry };

/**
 * Limits on one member. The ratio is the pack import's (pack-zip.ts: 200 times past 1 MiB,
 * beyond any text Velociraptor writes); the size is what one table may be read from.
 */
export const MEMBER_LIMITS = {
  maxRatio: DEFAULT_ZIP_LIMITS.maxRatio,
  ratioFloorBytes: DEFAULT_ZIP_LIMITS.ratioFloorBytes,
  maxMemberBytes: 64 * 2 ** 30,
} as const;

/** A collection cannot be read at all (not a zip, truncated, over a limit); the message names the file. */
export class CollectionError extends Error {
  override readonly name = 'CollectionError';
}

/** A read-only FileReader of a local file. */
export async function localReader(path: string): Promise<FileReader & { size: number }> {
  const fh = await open(path, 'r');
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw new CollectionError(`${path} is not a file`);
  }
  return {
    size: st.size,
    async read(offset, length) {
      const buf = Buffer.allocUnsafe(Math.max(0, Math.min(length, st.size - offset)));
      if (!buf.length) return new Uint8Array(0);
      const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
      return buf.subarray(0, bytesRead);
    },
    close: () => fh.close(),
  };
}

/** The central directory of the zip at `path`; a zip that cannot be read says why and what to do. */
export async function zipDirectory(path: string): Promise<ZipDirectory & { size: number }> {
  let r: FileReader & { size: number };
  try {
    r = await localReader(path);
  } catch (e) {
    if (e instanceof CollectionError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new CollectionError(code === 'ENOENT' ? `${path} does not exist` : `${path} cannot be read: ${(e as Error).message}`);
  }
  try {
    const dir = await readZipDirectory(r, r.size);
    return { ...dir, size: r.size };
  } catch (e) {
    if (!(e instanceof ZipReadError)) throw e;
    const m = e.message;
    const truncated = /no end-of-central-directory|past the end|truncated|damaged/.test(m);
    throw new CollectionError(
      `${basename(path)}: ${m}` + (truncated ? ': the zip is truncated or damaged (an interrupted copy or download?); copy it again from its source' : ''),
    );
  } finally {
    await r.close();
  }
}

/** Why a member may not be read (the guards), or undefined. */
export function memberProblem(e: ZipEntry): string | undefined {
  if (e.flags & 1) return `${e.name} is encrypted: extract the collection with its password first`;
  if (e.method !== 0 && e.method !== 8) return `${e.name} uses compression method ${e.method}: only stored and deflated members can be read`;
  if (e.size > MEMBER_LIMITS.maxMemberBytes) return `${e.name} declares ${e.size} bytes, more than the ${MEMBER_LIMITS.maxMemberBytes} one table may be read from`;
  if (e.size > MEMBER_LIMITS.ratioFloorBytes && e.size > MEMBER_LIMITS.maxRatio * Math.max(1, e.compressed)) {
    return `${e.name} inflates more than ${MEMBER_LIMITS.maxRatio} times its compressed size (${e.compressed} bytes to ${e.size}): a zip bomb? It is not read`;
  }
  return undefined;
}
