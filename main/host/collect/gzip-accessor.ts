/**
 * The `gzip` accessor (Velociraptor's accessors/zip/gzip.go): the decompressed content of a
 * gzip file. The filename is either a plain path of this machine (read with `auto`, as
 * MacOS.Forensics.FSEvents does: `read_file(filename=OSPath, accessor="gzip")`) or a pathspec
 * whose delegate names the compressed file (`pathspec(DelegateAccessor="zip",
 * DelegatePath=..., Path=...)`: a .gz inside a zip); the pathspec's own Path is then not used.
 *
 * Reads are inflated as a stream (node:zlib, which also reads multi-member files: logrotate's
 * concatenated members decompress whole). Forward reads continue where the last one stopped;
 * a read behind what is kept (KEEP bytes before the last read) starts again from the
 * beginning. The decompressed file is never held whole, so `size` is null (unknown). A file
 * that does not start with the gzip magic (1f 8b) is given as it is (Velociraptor refuses it):
 * a glob over /var/log/syslog* then reads the plain and the .gz files alike. A damaged or
 * truncated file gives the bytes before the damage, then an error naming the file.
 *
 * File information (stat, lstat) is the compressed file's, from the delegate.
 */
import { resolve as resolvePath } from 'node:path';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Scope, Value } from '../../vql/index.ts';
import { accessorFor, type Accessor, type FileReader } from '../files/accessors.ts';
import type { FileStat } from '../files/fileinfo.ts';
import { OSPath, nativePathType, pathText } from '../files/ospath.ts';

/** Compressed bytes read from the delegate at a time. */
const READ_AHEAD = 1 << 20;
/** Bytes zlib hands over at a time. */
const CHUNK = 256 * 1024;
/** Decompressed bytes kept behind the last read, so a small step back costs nothing. */
const KEEP = 4 << 20;

/** What a gzip filename opens: the accessor and its filename. */
export function gzipTarget(filename: Value, scope: Scope): { accessor: Accessor; target: Value } {
  const p = gzipPath(filename);
  if (p.delegate && (p.delegate.path || p.delegate.spec)) {
    return { accessor: accessorFor(scope, p.delegate.accessor || 'auto'), target: p.delegate.spec ?? p.delegate.path! };
  }
  return { accessor: accessorFor(scope, 'auto'), target: filename instanceof OSPath ? filename : pathText(filename) };
}

function gzipPath(filename: Value): OSPath {
  if (filename instanceof OSPath) return filename;
  const text = pathText(filename);
  // A plain path is parsed as the file accessor parses it (made absolute).
  return text.trim().startsWith('{') ? OSPath.parse(text, 'pathspec') : OSPath.parse(resolvePath(text), nativePathType());
}

/** Streams the decompressed bytes of a gzip file, front to back, restarting on a backward read. */
class GunzipReader implements FileReader {
  readonly size = null;
  private iter: AsyncIterator<Buffer> | null = null;
  private chunks: Buffer[] = [];
  /** Decompressed position of the first kept byte. */
  private outPos = 0;
  private buffered = 0;
  private ended = false;
  private failure: Error | null = null;

  constructor(private readonly inner: FileReader, private readonly name: string, private readonly signal: AbortSignal) {}

  private start(): void {
    this.iter = null;
    this.chunks = [];
    this.outPos = 0;
    this.buffered = 0;
    this.ended = false;
    this.failure = null;
    const { inner, signal } = this;
    async function* compressed(): AsyncGenerator<Uint8Array> {
      for (let pos = 0; !signal.aborted; ) {
        const b = await inner.read(pos, READ_AHEAD);
        if (b.length === 0) return;
        yield b;
        pos += b.length;
      }
    }
    const out = pipeline(Readable.from(compressed(), { objectMode: false }), createGunzip({ chunkSize: CHUNK }), () => {});
    this.iter = out[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  private async stop(): Promise<void> {
    const it = this.iter;
    this.iter = null;
    if (it?.return) await it.return().catch(() => {});
  }

  /** Inflates until `upTo` (a decompressed position) is buffered, the file ends or fails. */
  private async fill(upTo: number): Promise<void> {
    while (this.outPos + this.buffered < upTo && !this.ended && !this.failure) {
      if (this.signal.aborted) {
        this.failure = new Error('the query was cancelled');
        break;
      }
      try {
        const r = await this.iter!.next();
        if (r.done) this.ended = true;
        else {
          this.chunks.push(r.value);
          this.buffered += r.value.length;
        }
      } catch (e) {
        const msg = (e as Error).message;
        const why = msg === 'unexpected end of file' ? 'the file is truncated (unexpected end of file)' : msg;
        this.failure = new Error(`gzip accessor: ${this.name}: ${why}`);
      }
    }
  }

  /** Drops kept bytes until `pos` is the first. */
  private dropTo(pos: number): void {
    while (this.outPos < pos && this.chunks.length) {
      const c = this.chunks[0]!;
      const n = Math.min(c.length, pos - this.outPos);
      if (n === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(n);
      this.outPos += n;
      this.buffered -= n;
    }
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    if (length <= 0) return new Uint8Array(0);
    if (!this.iter || offset < this.outPos) {
      await this.stop();
      this.start();
    }
    // Skip forward without keeping what is passed (but keep KEEP bytes behind `offset`).
    while (this.outPos + this.buffered < offset && !this.ended && !this.failure) {
      await this.fill(Math.min(offset, this.outPos + this.buffered + CHUNK));
      this.dropTo(Math.max(this.outPos, Math.min(offset, this.outPos + this.buffered) - KEEP));
    }
    const end = offset + length;
    await this.fill(end);
    this.dropTo(Math.max(this.outPos, offset - KEEP));
    const have = Math.max(0, Math.min(end, this.outPos + this.buffered) - offset);
    if (have === 0) {
      if (this.failure) throw this.failure;
      return new Uint8Array(0);
    }
    // Copy out [offset, offset + have).
    const out = Buffer.allocUnsafe(have);
    let at = this.outPos;
    let o = 0;
    for (const c of this.chunks) {
      if (o >= have) break;
      const from = Math.max(0, offset - at);
      if (from < c.length) {
        const n = Math.min(c.length - from, have - o);
        c.copy(out, o, from, from + n);
        o += n;
      }
      at += c.length;
    }
    return out;
  }

  async close(): Promise<void> {
    await this.stop();
    this.chunks = [];
    await this.inner.close();
  }
}

async function statOf(p: OSPath, scope: Scope | undefined, follow: boolean): Promise<FileStat> {
  if (!scope) throw new Error('gzip accessor: needs the query\'s scope');
  const { accessor, target } = gzipTarget(p, scope);
  const tp = target instanceof OSPath ? target : accessor.path(target);
  const fn = follow ? accessor.stat : accessor.lstat;
  if (!fn) throw new Error(`gzip accessor: the ${accessor.name} accessor gives no file information`);
  return fn.call(accessor, tp, scope);
}

export const gzipAccessor: Accessor = {
  name: 'gzip',
  doc: 'The decompressed content of a gzip file (a path, or a pathspec whose delegate names the file); a file that is not gzip is read as it is',
  path: (filename) => gzipPath(filename),
  async open(filename, scope): Promise<FileReader> {
    const { accessor, target } = gzipTarget(filename, scope);
    const inner = await accessor.open(target, scope);
    try {
      const magic = await inner.read(0, 2);
      if (magic.length < 2 || magic[0] !== 0x1f || magic[1] !== 0x8b) return inner;
    } catch (e) {
      await inner.close();
      throw e;
    }
    return new GunzipReader(inner, pathText(target), scope.signal);
  },
  lstat: (p, scope) => statOf(p, scope, false),
  stat: (p, scope) => statOf(p, scope, true),
};
