/**
 * What the parsers share: the list form of file arguments, how a file is named in an error
 * (`parse_xml: file=/etc/x.xml: ...`), and streaming a file as decoded text windows.
 *
 * Errors follow one shape so that a log line says which function, which argument and which
 * file: `<function>: <argument>=<file>: <what went wrong>`.
 */
import type { Scope, Value } from '../../vql/index.ts';
import { VBytes } from '../../vql/index.ts';
import type { Accessor } from '../files/accessors.ts';
import { pathText } from '../files/ospath.ts';

/** A single value or a list of values, as a list (Velociraptor's `[]OSPath` arguments). */
export function valueList(v: Value): Value[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** How a file is named in messages: its path, or for in-memory accessors its size. */
export function fileLabel(accessor: Accessor, filename: Value): string {
  if (accessor.name === 'data') {
    const n = typeof filename === 'string' ? Buffer.byteLength(filename) : filename instanceof VBytes ? filename.bytes.length : pathText(filename).length;
    return `<data: ${n} bytes>`;
  }
  if (accessor.name === 'scope') return `<scope variable ${pathText(filename)}>`;
  try {
    return accessor.path(filename).toString();
  } catch {
    return pathText(filename);
  }
}

/**
 * `arg=file: message`, the one error shape of the parsers (the engine prefixes the plugin or
 * function name when it is logged through the call: `parse_xml: file=/x.xml: ...`).
 */
export function fileError(arg: string, accessor: Accessor, filename: Value, message: string): string {
  return `${arg}=${fileLabel(accessor, filename)}: ${message}`;
}

/** An error of the filesystem (ENOENT, EISDIR, EACCES...) rather than of the query. */
export function isIoError(e: unknown): boolean {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string';
}

/** The message of an error thrown by an accessor or a library. */
export function errorText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'no such file';
    if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
    if (code === 'EISDIR') return 'is a directory';
    return e.message;
  }
  return String(e);
}

/**
 * A file as a text window that grows by chunks: `fill(min)` makes sure that at least `min`
 * characters are buffered after `pos` (or the file has ended), dropping what was consumed.
 * Memory is the window only, whatever the file's size.
 */
export class TextWindow {
  text = '';
  pos = 0;
  eof = false;
  /** Bumped whenever `text` changes (cached searches over it are then stale). */
  version = 0;
  private offset = 0;
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly reader: { read(offset: number, length: number): Promise<Uint8Array> },
    private readonly chunkSize: number,
    private readonly signal: AbortSignal,
  ) {}

  /** Characters buffered after `pos`. */
  get remaining(): number {
    return this.text.length - this.pos;
  }

  /** Reads until `min` characters follow `pos` or the file ends. */
  async fill(min: number): Promise<void> {
    if (this.eof || this.remaining >= min) return;
    const parts: string[] = [this.pos > 0 ? this.text.slice(this.pos) : this.text];
    let have = parts[0]!.length;
    while (have < min && !this.eof) {
      if (this.signal.aborted) {
        this.eof = true;
        break;
      }
      const bytes = await this.reader.read(this.offset, this.chunkSize);
      if (bytes.length === 0) {
        this.eof = true;
        const tail = this.decoder.decode();
        if (tail) parts.push(tail);
        break;
      }
      this.offset += bytes.length;
      const s = this.decoder.decode(bytes, { stream: true });
      parts.push(s);
      have += s.length;
    }
    this.text = parts.length === 1 ? parts[0]! : parts.join('');
    this.pos = 0;
    this.version++;
  }

  /** Drops everything before `pos` + `keep` characters from the end (a failed search). */
  discardBefore(index: number): void {
    if (index > this.pos) this.pos = Math.min(index, this.text.length);
  }
}
