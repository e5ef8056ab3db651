/**
 * What the parsers share: the list form of file arguments, how a file is named in an error
 * (`parse_xml: file=/etc/x.xml: ...`), and streaming a file as decoded text windows.
 *
 * Errors follow one shape so that a log line says which function, which argument and which
 * file: `<function>: <argument>=<file>: <what went wrong>`.
 */
import type { Scope, Value } from '../../vql/index.ts';
import { VBytes } from '../../vql/index.ts';
import { ABSENT, GET_MEMBER, MEMBERS, type Absent, type HostObject } from '../../vql/values/types.ts';
import type { Accessor, FileReader } from '../files/accessors.ts';
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

/**
 * Opens `filename` (the `arg` argument) with `accessor`, or logs `arg=<file>: cannot open: why`
 * as an error and gives null: what the file parsers do with a file they cannot open.
 */
export async function openOrLog<T = FileReader>(
  arg: string, accessor: Accessor, filename: Value, scope: Scope, log: (level: 'error', message: string) => void,
  open: () => Promise<T> = () => accessor.open(filename, scope) as Promise<T>,
): Promise<T | null> {
  try {
    return await open();
  } catch (e) {
    log('error', fileError(arg, accessor, filename, `cannot open: ${errorText(e)}`));
    return null;
  }
}

/** True when bytes [start, end) of `b` are all zero (space allocated and not used yet). */
export function isZero(b: Uint8Array, start = 0, end = b.length): boolean {
  for (let i = start; i < end; i++) if (b[i] !== 0) return false;
  return true;
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
 * The column names shared by the rows of one call: the members in order (a repeated name
 * once, where it first appears, with the value of its last position, as setting the same
 * key of a dict twice does) and where each name's value is.
 */
export class RowColumns {
  readonly members: readonly string[];
  readonly index: ReadonlyMap<string, number>;

  constructor(readonly names: readonly string[]) {
    const index = new Map<string, number>();
    const members: string[] = [];
    names.forEach((name, i) => {
      if (!index.has(name)) members.push(name);
      index.set(name, i);
    });
    this.members = members;
    this.index = index;
  }
}

/**
 * A record as a row: the values of one line under the call's shared column names. The engine
 * reads it as any host object (`SELECT *` lists its members, `Row.Name` looks one up) and
 * normalizes it to a dict on output, so it gives the same results as a dict row; it costs an
 * array per row instead of a Map (a parse of 100 MB makes 1.5 million rows).
 */
export class RecordRow implements HostObject {
  constructor(
    readonly columns: RowColumns,
    readonly values: readonly Value[],
  ) {}

  [MEMBERS](): readonly string[] {
    return this.columns.members;
  }

  [GET_MEMBER](name: string): Value | Absent {
    const i = this.columns.index.get(name);
    return i === undefined ? ABSENT : this.values[i];
  }
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Incremental UTF-8 decoding in large pieces, with the results of a streaming TextDecoder
 * (WHATWG: one U+FFFD per maximal invalid subpart, a leading BOM dropped) but several times
 * faster: V8's streaming decode is slow, so each chunk is decoded whole up to the start of a
 * sequence that may go on in the next chunk, and those (at most 3) bytes are carried over.
 *
 * Why cutting there gives the stream's result: the decoder is in its initial state at every
 * byte that can start a sequence (a lead byte or ASCII ends any pending sequence, with a
 * U+FFFD, and is then read afresh), so decoding the text before such a byte and the text from
 * it separately gives the same characters, provided the first part does not end in the middle
 * of a sequence that the next bytes would complete: that is exactly the carried tail.
 */
export class ChunkDecoder {
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private carry: Uint8Array | null = null;
  private started = false;

  /** The characters of `bytes` that can be told now (the rest is kept for the next call). */
  decode(bytes: Uint8Array): string {
    const b = this.carry ? concatBytes(this.carry, bytes) : bytes;
    this.carry = null;
    let start = 0;
    if (!this.started) {
      // The BOM is looked for once three bytes are there (or at the end, in finish).
      if (b.length < 3 && (b.length === 0 || b[0] === 0xef) && (b.length < 2 || b[1] === 0xbb)) {
        this.carry = b;
        return '';
      }
      this.started = true;
      if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) start = 3;
    }
    let end = b.length;
    // A sequence that may be incomplete: a lead byte within the last three whose length runs
    // past the end (continuation bytes 0x80-0xBF may follow it).
    for (let i = end - 1; i >= Math.max(start, end - 3); i--) {
      const c = b[i]!;
      if (c < 0x80) break;
      if (c >= 0xc0) {
        const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
        if (end - i < need) {
          this.carry = b.slice(i, end);
          end = i;
        }
        break;
      }
    }
    return start === end ? '' : this.decoder.decode(b.subarray(start, end));
  }

  /** The end of the input: what was carried, decoded (an incomplete sequence is a U+FFFD). */
  finish(): string {
    const rest = this.carry;
    this.carry = null;
    if (!rest || rest.length === 0) return '';
    const start = !this.started && rest[0] === 0xef && rest[1] === 0xbb && rest[2] === 0xbf ? 3 : 0;
    this.started = true;
    return this.decoder.decode(rest.subarray(start));
  }
}

/** Bytes read from the file at a time, at least (the window's chunks are cut from them). */
const READ_AHEAD = 256 * 1024;

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
  private readonly decoder = new ChunkDecoder();
  private ahead: Uint8Array = new Uint8Array(0);
  private aheadPos = 0;
  private aheadEnd = false;

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
      const bytes = await this.readChunk();
      if (bytes.length === 0) {
        this.eof = true;
        const tail = this.decoder.finish();
        if (tail) parts.push(tail);
        break;
      }
      this.offset += bytes.length;
      const s = this.decoder.decode(bytes);
      parts.push(s);
      have += s.length;
    }
    this.text = parts.length === 1 ? parts[0]! : parts.join('');
    this.pos = 0;
    this.version++;
  }

  /**
   * The next `chunkSize` bytes of the file (fewer at its end), served from reads of at least
   * READ_AHEAD bytes: small buffer sizes keep their meaning without a system call each.
   */
  private async readChunk(): Promise<Uint8Array> {
    if (this.ahead.length - this.aheadPos < this.chunkSize && !this.aheadEnd) {
      const rest = this.ahead.subarray(this.aheadPos);
      const more = await this.reader.read(this.offset + rest.length, Math.max(this.chunkSize, READ_AHEAD));
      if (more.length === 0) this.aheadEnd = true;
      this.ahead = rest.length === 0 ? more : concatBytes(rest, more);
      this.aheadPos = 0;
    }
    const n = Math.min(this.chunkSize, this.ahead.length - this.aheadPos);
    const out = this.ahead.subarray(this.aheadPos, this.aheadPos + n);
    this.aheadPos += n;
    return out;
  }

  /** Drops everything before `pos` + `keep` characters from the end (a failed search). */
  discardBefore(index: number): void {
    if (index > this.pos) this.pos = Math.min(index, this.text.length);
  }
}
