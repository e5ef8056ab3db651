/**
 * Streaming one member of a collection zip out of it, for the log workbench's engine: the
 * compressed bytes are read from the zip (read-only) and inflated by node's zlib as a stream
 * into a file the caller names (a table's private folder in the engine's temp folder), never
 * next to the zip, and never the whole zip. The stream is guarded as the pack import's reader
 * is (main/artifacts/pack-zip.ts): the member must pass memberProblem (name, encryption,
 * method, size, ratio), it may not inflate past its declared size or past the ratio limit,
 * and its size and CRC are checked at the end; a damaged member fails with its name and the
 * zip's, and the partial copy is removed.
 *
 * Why a copy and not a pipe: the engine's loader reads a source more than once (a sniff of its
 * head, DuckDB's JSON reader with its sample then again with every row when a later row has a
 * new key, a line-by-line pass to place the lines that do not parse, a quote scan of CSV), and
 * DuckDB reads files in parallel by offset; none of that works on a FIFO.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32, createInflateRaw } from 'node:zlib';
import { CollectionError, localReader, memberProblem, MEMBER_LIMITS, zipDirectory, type ZipEntry } from './zip-file.ts';

/** The member `name` of the zip at `path` (its directory entry), or a CollectionError saying why not. */
export async function findMember(path: string, name: string): Promise<ZipEntry> {
  const dir = await zipDirectory(path);
  const bad = dir.unsafe.find((u) => u.name === name);
  if (bad) throw new CollectionError(`${basename(path)}: member ${name} ${bad.why}: it is not read`);
  const e = dir.entries.find((x) => x.name === name);
  if (!e || name.endsWith('/')) throw new CollectionError(`${basename(path)} has no member ${name}`);
  const problem = memberProblem(e);
  if (problem) throw new CollectionError(`${basename(path)}: ${problem}`);
  return e;
}

/** Where a member's data starts (after its local header). */
async function dataStart(path: string, e: ZipEntry): Promise<{ start: number; fileSize: number }> {
  const r = await localReader(path);
  try {
    const h = await r.read(e.localOffset, 30);
    if (h.length < 30 || Buffer.from(h).readUInt32LE(0) !== 0x04034b50) throw new CollectionError(`${basename(path)}: member ${e.name} is damaged (no local header where the directory says): the zip is damaged`);
    const b = Buffer.from(h);
    const start = e.localOffset + 30 + b.readUInt16LE(26) + b.readUInt16LE(28);
    if (start + e.compressed > r.size) throw new CollectionError(`${basename(path)}: member ${e.name} runs past the end of the zip (a truncated zip?): copy it again`);
    return { start, fileSize: r.size };
  } finally {
    await r.close();
  }
}

/** Counts and checks what the member inflates to. */
class Guard extends Transform {
  bytes = 0;
  crc = 0;
  constructor(private readonly zip: string, private readonly e: ZipEntry) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.e.size) return done(new CollectionError(`${this.zip}: member ${this.e.name} inflates to more than its declared ${this.e.size} bytes: the zip is damaged or hostile; it is not read`));
    if (this.bytes > MEMBER_LIMITS.ratioFloorBytes && this.bytes > MEMBER_LIMITS.maxRatio * Math.max(1, this.e.compressed)) {
      return done(new CollectionError(`${this.zip}: member ${this.e.name} inflates more than ${MEMBER_LIMITS.maxRatio} times its compressed size (a zip bomb?): it is not read`));
    }
    this.crc = crc32(chunk, this.crc);
    done(null, chunk);
  }
  override _flush(done: TransformCallback): void {
    if (this.bytes !== this.e.size) return done(new CollectionError(`${this.zip}: member ${this.e.name} is damaged (its directory entry declares ${this.e.size} bytes, it holds ${this.bytes}): copy the zip again`));
    if (this.crc !== this.e.crc) return done(new CollectionError(`${this.zip}: member ${this.e.name} is damaged (its checksum does not match): copy the zip again`));
    done();
  }
}

/**
 * Streams member `e` of the zip at `path`, inflated and checked, into the new file `dest`
 * (created with `wx`: it must not exist). Returns the bytes written.
 */
export async function copyMember(path: string, e: ZipEntry, dest: string, signal?: AbortSignal): Promise<number> {
  const zip = basename(path);
  const { start } = await dataStart(path, e);
  if (e.compressed === 0) {
    if (e.size !== 0) throw new CollectionError(`${zip}: member ${e.name} is damaged (it declares ${e.size} bytes and holds none): copy the zip again`);
    await writeFile(dest, '', { flag: 'wx', mode: 0o600 });
    return 0;
  }
  const guard = new Guard(zip, e);
  const src = createReadStream(path, { start, end: start + e.compressed - 1, highWaterMark: 1 << 20, flags: 'r' });
  const out = createWriteStream(dest, { flags: 'wx', mode: 0o600, highWaterMark: 1 << 20 });
  try {
    if (e.method === 0) await pipeline(src, guard, out, { signal });
    else await pipeline(src, createInflateRaw({ chunkSize: 1 << 18 }), guard, out, { signal });
  } catch (err) {
    await rm(dest, { force: true });
    if (err instanceof CollectionError || (err as Error).name === 'AbortError') throw err;
    throw new CollectionError(`${zip}: member ${e.name} is damaged (${(err as Error).message}): copy the zip again`);
  }
  return guard.bytes;
}
