/**
 * Reading an EVTX file chunk by chunk through an accessor's FileReader: never more than one
 * 64 KiB chunk in memory, whatever the file's size.
 *
 * The chunks are read in the order of their first record number (a full log wraps around: its
 * oldest chunk need not be the first), each parsed on its own (a chunk's templates and names
 * live in that chunk). What is wrong is reported through `log` and skipped, never thrown:
 *
 * - a chunk whose signature is wrong is an error and is skipped (an all-zero one, space that
 *   Windows allocated ahead, silently);
 * - a checksum that does not match is a warning (debug for a file whose header says it is
 *   dirty, where Windows has not updated them yet): its records are still read;
 * - records are read from the chunk's start for as long as record signatures follow, also past
 *   the header's free-space offset (records a dirty file's header does not count yet);
 * - a record that does not parse is an error naming its chunk and record number; reading goes
 *   on with the next record (a record whose size is wrong ends its chunk).
 */
import { readFull, type FileReader } from '../../files/accessors.ts';
import { VDict } from '../../../vql/index.ts';
import { ChunkParser } from './binxml.ts';
import { parseRecordEvent } from './render.ts';
import { isZero } from '../common.ts';
import {
  CHUNK_HEADER_SIZE, CHUNK_SIZE, FILE_FLAG_DIRTY, FILE_HEADER_SIZE, RECORD_HEADER_SIZE, RECORD_MAGIC,
  chunkHeaderCrc, crc32, isChunk, parseChunkHeader, parseFileHeader, type FileHeader,
} from './format.ts';

/** Record errors of one chunk logged one by one; the others are counted. */
const MAX_RECORD_ERRORS = 3;

export type EvtxLog = (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;

/** One parsed record. */
export interface EvtxRecord {
  /** The chunk's index in the file (0 is the one after the file header). */
  readonly chunk: number;
  /** The record number of the record's header (EventRecordID). */
  readonly recordNumber: bigint;
  /** The members of the record's `<Event>`: System, EventData or UserData. */
  readonly event: VDict;
}

export interface ChunkRef {
  readonly index: number;
  readonly offset: number;
  readonly firstRecordId: bigint;
}

/** An EVTX file open for reading. */
export class EvtxFile {
  private constructor(
    private readonly reader: FileReader,
    readonly header: FileHeader,
  ) {}

  /** Reads and checks the file header; throws an EvtxFormatError when it is not an EVTX file. */
  static async open(reader: FileReader): Promise<EvtxFile> {
    return new EvtxFile(reader, parseFileHeader(await readFull(reader, 0, 128)));
  }

  get dirty(): boolean {
    return (this.header.flags & FILE_FLAG_DIRTY) !== 0;
  }

  /** The chunks with a valid signature, in the order of their first record number. */
  async chunks(signal: AbortSignal, log: EvtxLog): Promise<ChunkRef[]> {
    const out: ChunkRef[] = [];
    for (let index = 0; !signal.aborted; index++) {
      const offset = FILE_HEADER_SIZE + index * CHUNK_SIZE;
      const head = await readFull(this.reader, offset, CHUNK_HEADER_SIZE);
      if (head.length === 0) break;
      if (!isChunk(head)) {
        if (isZero(head)) log('debug', `chunk ${index} (offset 0x${offset.toString(16)}): empty (all zero), skipped`);
        else log('error', `chunk ${index} (offset 0x${offset.toString(16)}): no "ElfChnk" signature: skipped`);
        if (head.length < CHUNK_HEADER_SIZE) break;
        continue;
      }
      if (head.length < CHUNK_HEADER_SIZE) {
        log('error', `chunk ${index} (offset 0x${offset.toString(16)}): truncated: the file ends within its header (${head.length} of ${CHUNK_HEADER_SIZE} bytes)`);
        break;
      }
      out.push({ index, offset, firstRecordId: parseChunkHeader(head).firstRecordId });
    }
    return out.sort((a, b) => (a.firstRecordId < b.firstRecordId ? -1 : a.firstRecordId > b.firstRecordId ? 1 : a.index - b.index));
  }

  /** The records of every chunk, one array per chunk (problems are logged). */
  async *records(signal: AbortSignal, log: EvtxLog): AsyncGenerator<EvtxRecord[]> {
    if (!this.header.checksumOk) log(this.dirty ? 'debug' : 'warn', 'the file header checksum does not match (reading on)');
    for (const ref of await this.chunks(signal, log)) {
      if (signal.aborted) return;
      yield await this.readChunk(ref, signal, log);
    }
  }

  /** The records of one chunk, read from the file. */
  async readChunk(ref: ChunkRef, signal: AbortSignal, log: EvtxLog): Promise<EvtxRecord[]> {
    const bytes = await readFull(this.reader, ref.offset, CHUNK_SIZE);
    const where = `chunk ${ref.index} (offset 0x${ref.offset.toString(16)})`;
    if (bytes.length < CHUNK_HEADER_SIZE || !isChunk(bytes)) {
      log('error', `${where}: changed while being read (no chunk there any more)`);
      return [];
    }
    if (bytes.length < CHUNK_SIZE) log('error', `${where}: truncated: the file ends after ${bytes.length} of its ${CHUNK_SIZE} bytes (reading the records that are complete)`);
    return this.chunkRecords(bytes, ref.index, where, signal, log);
  }

  /** The records of one chunk's bytes. */
  chunkRecords(b: Uint8Array, index: number, where: string, signal: AbortSignal, log: EvtxLog): EvtxRecord[] {
    const h = parseChunkHeader(b);
    const checkLevel = this.dirty ? 'debug' : 'warn';
    if (chunkHeaderCrc(b) !== h.headerChecksum) log(checkLevel, `${where}: header checksum mismatch (reading its records all the same)`);
    else if (h.freeSpaceOffset >= CHUNK_HEADER_SIZE && h.freeSpaceOffset <= b.length && crc32(b, CHUNK_HEADER_SIZE, h.freeSpaceOffset) !== h.recordsChecksum) {
      log(checkLevel, `${where}: records checksum mismatch (reading its records all the same)`);
    }
    const parser = new ChunkParser(b);
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const out: EvtxRecord[] = [];
    let beyond = 0;
    // A chunk whose templates are damaged fails in every record using them: a few errors are
    // told one by one, the rest counted in one line.
    let failed = 0;
    const recordError = (m: string) => {
      if (++failed <= MAX_RECORD_ERRORS) log('error', m);
    };
    let pos = CHUNK_HEADER_SIZE;
    while (pos + RECORD_HEADER_SIZE <= b.length && !signal.aborted) {
      if (view.getUint32(pos, true) !== RECORD_MAGIC) {
        if (pos < h.freeSpaceOffset && pos < b.length && !isZero(b, pos, Math.min(b.length, h.freeSpaceOffset))) {
          log('error', `${where}: no record signature at offset 0x${pos.toString(16)} before the end of its records (0x${h.freeSpaceOffset.toString(16)}): the rest of the chunk is skipped`);
        }
        break;
      }
      const size = view.getUint32(pos + 4, true);
      const recordNumber = view.getBigUint64(pos + 8, true);
      const what = `${where}, record ${recordNumber} (offset 0x${pos.toString(16)})`;
      if (size >= RECORD_HEADER_SIZE + 4 && pos + size > b.length && b.length < CHUNK_SIZE && pos + size <= CHUNK_SIZE) break; // cut by the file's end (told)
      if (size < RECORD_HEADER_SIZE + 4 || pos + size > b.length) {
        recordError(`${what}: bad record size ${size}: the rest of the chunk is skipped`);
        break;
      }
      if (view.getUint32(pos + size - 4, true) !== size) {
        recordError(`${what}: the size at the record's end does not match its header (${view.getUint32(pos + size - 4, true)} != ${size}): skipped`);
      } else {
        try {
          out.push({ chunk: index, recordNumber, event: parseRecordEvent(parser, pos + RECORD_HEADER_SIZE, pos + size - 4) });
          if (pos >= h.freeSpaceOffset) beyond++;
        } catch (e) {
          // Malformed BinXml (EvtxFormatError), or a read out of the chunk's bounds (RangeError).
          recordError(`${what}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      pos += size;
    }
    if (failed > MAX_RECORD_ERRORS) log('error', `${where}: ${failed - MAX_RECORD_ERRORS} more records did not parse`);
    if (beyond > 0) log('debug', `${where}: ${beyond} records past the end of those its header counts (a dirty chunk)`);
    return out;
  }
}
