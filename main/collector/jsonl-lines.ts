/**
 * The complete lines of a JSONL file, read in chunks: what the check of a day file
 * (jsonl-check.ts) and the reader of a day without an index (jsonl-read.ts) both walk. A line
 * ends with `\n`; the bytes after the last one are not a line (a row still being written, or
 * torn by a crash). A line longer than a chunk is joined from the chunks it spans.
 */
import { isUtf8 } from 'node:buffer';
import type { FileHandle } from 'node:fs/promises';

const LF = 0x0a;
const CHUNK = 1 << 20;

/** One complete line: its bytes without the `\n` (a view, valid until the next group is read) and its offset in the file. */
export interface FileLine {
  bytes: Buffer;
  start: number;
}

/** Lines read together, and whether they are all known to be UTF-8 (checked once for the group). */
export interface LineGroup {
  lines: FileLine[];
  utf8: boolean;
}

/** The complete lines of the first `end` bytes of a file, group by group (see the module comment). */
export async function* fileLines(fh: FileHandle, end: number): AsyncGenerator<LineGroup> {
  const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(end, 1)));
  let carry: Buffer | null = null;
  let carryStart = 0;
  for (let pos = 0; pos < end; ) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos);
    if (bytesRead === 0) break;
    const chunk = buf.subarray(0, bytesRead);
    let s = 0;
    let nl = chunk.indexOf(LF);
    if (carry && nl >= 0) {
      // A line that began in an earlier chunk: its own group, not checked for UTF-8.
      yield { lines: [{ bytes: Buffer.concat([carry, chunk.subarray(0, nl)]), start: carryStart }], utf8: false };
      carry = null;
      s = nl + 1;
      nl = chunk.indexOf(LF, s);
    }
    const lines: FileLine[] = [];
    const first = s;
    for (; nl >= 0; s = nl + 1, nl = chunk.indexOf(LF, s)) lines.push({ bytes: chunk.subarray(s, nl), start: pos + s });
    if (lines.length) yield { lines, utf8: isUtf8(chunk.subarray(first, s)) };
    if (s < bytesRead) {
      if (carry) carry = Buffer.concat([carry, chunk.subarray(s)]);
      else {
        carry = Buffer.from(chunk.subarray(s));
        carryStart = pos + s;
      }
    }
    pos += bytesRead;
  }
}
