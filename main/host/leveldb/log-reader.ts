/**
 * LevelDB's log format (db/log_format.h, db/log_reader.cc), shared by the write-ahead logs
 * (`NNNNNN.log`) and the MANIFEST: the file is cut into 32 KiB blocks; each block holds
 * records with a 7-byte header (masked CRC-32C, length, type) and a fragment of a logical
 * record (FULL, or FIRST, MIDDLE..., LAST across blocks). A block's last < 7 bytes are padding.
 *
 * Recovery follows LevelDB's reader: a record with a bad checksum or a bad length drops the
 * rest of its block and is reported; fragments without their start or end are reported and
 * dropped; a record cut off by the end of the file (the writer died while writing it) ends
 * the file and is reported here as a truncated tail (LevelDB ignores it silently).
 *
 * The file is read in chunks of whole blocks: memory is one chunk plus the record being
 * assembled, whatever the file's size.
 */
import { readFull, type FileReader } from '../files/accessors.ts';
import { crc32c, readFixed32, unmaskCrc } from './coding.ts';

export const BLOCK_SIZE = 32768;
const HEADER_SIZE = 7;
const CHUNK_BLOCKS = 32;

const enum RecordType {
  Zero = 0,
  Full = 1,
  First = 2,
  Middle = 3,
  Last = 4,
}

/** A logical record and where it started in the file. */
export interface LogRecord {
  readonly data: Uint8Array;
  readonly offset: number;
}

/** Receives what was dropped and why (`offset` is the file offset of the problem). */
export type LogReporter = (offset: number, message: string) => void;

/**
 * The logical records of a log file, in order. Problems go to `report`; reading stops early
 * when `signal` is aborted. Read errors of the file itself are thrown.
 */
export async function* readLogRecords(file: FileReader, report: LogReporter, signal?: AbortSignal): AsyncGenerator<LogRecord> {
  let fragments: Uint8Array[] = [];
  let fragmentStart = -1;
  const dropPartial = (offset: number, why: string): void => {
    if (fragmentStart < 0) return;
    report(offset, `${why}: ${fragments.reduce((n, f) => n + f.length, 0)} bytes of a record started at offset ${fragmentStart} dropped`);
    fragments = [];
    fragmentStart = -1;
  };

  for (let chunkOffset = 0; ; chunkOffset += CHUNK_BLOCKS * BLOCK_SIZE) {
    if (signal?.aborted) return;
    const chunk = await readFull(file, chunkOffset, CHUNK_BLOCKS * BLOCK_SIZE);
    if (chunk.length === 0) break;
    for (let blockStart = 0; blockStart < chunk.length; blockStart += BLOCK_SIZE) {
      const block = chunk.subarray(blockStart, Math.min(blockStart + BLOCK_SIZE, chunk.length));
      const base = chunkOffset + blockStart;
      // A block shorter than 32 KiB is the file's last: a record cut short there is a torn write.
      const eof = block.length < BLOCK_SIZE;
      let pos = 0;
      while (pos + HEADER_SIZE <= block.length) {
        const length = block[pos + 4]! | (block[pos + 5]! << 8);
        const type = block[pos + 6]!;
        if (pos + HEADER_SIZE + length > block.length) {
          if (eof) {
            report(base + pos, `truncated record at the end of the file (${block.length - pos} bytes ignored, as LevelDB's recovery ignores them)`);
            fragments = [];
            fragmentStart = -1;
            return;
          }
          report(base + pos, `bad record length ${length}: the rest of the block (${block.length - pos} bytes) dropped`);
          dropPartial(base + pos, 'error in the middle of a record');
          pos = block.length;
          break;
        }
        if (type === RecordType.Zero && length === 0) {
          // Preallocated (mmap) space: skip the rest of the block without a report, as LevelDB does.
          dropPartial(base + pos, 'error in the middle of a record');
          pos = block.length;
          break;
        }
        const expected = unmaskCrc(readFixed32(block, pos));
        if (crc32c(block, pos + 6, pos + HEADER_SIZE + length) !== expected) {
          report(base + pos, `checksum mismatch: the rest of the block (${block.length - pos} bytes) dropped`);
          dropPartial(base + pos, 'error in the middle of a record');
          pos = block.length;
          break;
        }
        const data = block.subarray(pos + HEADER_SIZE, pos + HEADER_SIZE + length);
        const at = base + pos;
        pos += HEADER_SIZE + length;
        switch (type) {
          case RecordType.Full:
            dropPartial(at, 'partial record without end');
            yield { data, offset: at };
            break;
          case RecordType.First:
            dropPartial(at, 'partial record without end');
            fragments = [data];
            fragmentStart = at;
            break;
          case RecordType.Middle:
            if (fragmentStart < 0) report(at, 'missing start of fragmented record (MIDDLE fragment dropped)');
            else fragments.push(data);
            break;
          case RecordType.Last:
            if (fragmentStart < 0) {
              report(at, 'missing start of fragmented record (LAST fragment dropped)');
            } else {
              fragments.push(data);
              const record = { data: Buffer.concat(fragments), offset: fragmentStart };
              fragments = [];
              fragmentStart = -1;
              yield record;
            }
            break;
          default:
            report(at, `unknown record type ${type} (${length} bytes dropped)`);
            dropPartial(at, 'error in the middle of a record');
        }
      }
      if (eof) {
        if (pos < block.length && block.subarray(pos).some((b) => b !== 0)) {
          report(base + pos, `truncated record header at the end of the file (${block.length - pos} bytes ignored, as LevelDB's recovery ignores them)`);
        }
        if (fragmentStart >= 0) report(fragmentStart, 'truncated record at the end of the file (its fragments are ignored, as LevelDB\'s recovery ignores them)');
        return;
      }
    }
    if (chunk.length < CHUNK_BLOCKS * BLOCK_SIZE) break;
  }
  if (fragmentStart >= 0) report(fragmentStart, 'truncated record at the end of the file (its fragments are ignored, as LevelDB\'s recovery ignores them)');
}
