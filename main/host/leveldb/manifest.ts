/**
 * The MANIFEST (db/version_edit.cc, db/version_set.cc): a log-format file of version edits.
 * Replaying them gives the live state of the database: its comparator, which table files
 * are live at which level (with their smallest and largest keys), and the number of the
 * oldest write-ahead log still needed. `CURRENT` names the MANIFEST in use.
 */
import type { FileReader } from '../files/accessors.ts';
import { CorruptionError, Decoder } from './coding.ts';
import { readLogRecords, type LogReporter } from './log-reader.ts';

const TAG_COMPARATOR = 1;
const TAG_LOG_NUMBER = 2;
const TAG_NEXT_FILE_NUMBER = 3;
const TAG_LAST_SEQUENCE = 4;
const TAG_COMPACT_POINTER = 5;
const TAG_DELETED_FILE = 6;
const TAG_NEW_FILE = 7;
const TAG_PREV_LOG_NUMBER = 9;

/** LevelDB's number of levels. */
export const NUM_LEVELS = 7;

export interface TableFile {
  readonly level: number;
  readonly number: number;
  readonly size: number;
  /** Smallest and largest internal keys (user key + 8-byte trailer). */
  readonly smallest: Uint8Array;
  readonly largest: Uint8Array;
}

export interface Manifest {
  comparator: string | null;
  logNumber: number;
  prevLogNumber: number;
  lastSequence: number;
  /** Live tables by level (level 0 in file-number order, newest last). */
  readonly levels: TableFile[][];
}

/** The name of the MANIFEST that `CURRENT`'s content designates. */
export function parseCurrent(text: string): string {
  if (!text.endsWith('\n')) throw new CorruptionError('CURRENT does not end with a newline');
  const name = text.slice(0, -1);
  if (!/^MANIFEST-\d+$/.test(name)) throw new CorruptionError(`CURRENT names ${JSON.stringify(name.slice(0, 80))}, not a MANIFEST file`);
  return name;
}

/**
 * Replays a MANIFEST's version edits. As in LevelDB's recovery, any damage is fatal (a lost
 * edit would give a wrong set of live files): a damaged record, a malformed edit, or a
 * MANIFEST without the log number, next file number and last sequence throws CorruptionError.
 */
export async function readManifest(file: FileReader, signal?: AbortSignal): Promise<Manifest> {
  const m: Manifest = { comparator: null, logNumber: 0, prevLogNumber: 0, lastSequence: 0, levels: Array.from({ length: NUM_LEVELS }, () => []) };
  const live = new Map<string, TableFile>();
  const seen = new Set<number>();
  let edits = 0;
  let damage: string | null = null;
  const report: LogReporter = (offset, message) => {
    damage ??= `offset ${offset}: ${message}`;
  };
  for await (const record of readLogRecords(file, report, signal)) {
    edits++;
    const d = new Decoder(record.data);
    const level = (): number => {
      const l = d.varint();
      if (l >= NUM_LEVELS) throw new CorruptionError(`version edit at offset ${record.offset}: level ${l} out of range`);
      return l;
    };
    while (!d.done) {
      const tag = d.varint();
      seen.add(tag);
      switch (tag) {
        case TAG_COMPARATOR:
          m.comparator = Buffer.from(d.lengthPrefixed()).toString('latin1');
          break;
        case TAG_LOG_NUMBER:
          m.logNumber = d.varint();
          break;
        case TAG_NEXT_FILE_NUMBER:
          d.varint();
          break;
        case TAG_LAST_SEQUENCE:
          m.lastSequence = d.varint();
          break;
        case TAG_COMPACT_POINTER:
          level();
          d.lengthPrefixed();
          break;
        case TAG_DELETED_FILE: {
          const l = level();
          live.delete(`${l}:${d.varint()}`);
          break;
        }
        case TAG_NEW_FILE: {
          const l = level();
          const number = d.varint();
          const size = d.varint();
          const smallest = d.lengthPrefixed();
          const largest = d.lengthPrefixed();
          live.set(`${l}:${number}`, { level: l, number, size, smallest, largest });
          break;
        }
        case TAG_PREV_LOG_NUMBER:
          m.prevLogNumber = d.varint();
          break;
        default:
          throw new CorruptionError(`version edit at offset ${record.offset}: unknown tag ${tag}`);
      }
    }
  }
  if (damage) throw new CorruptionError(`damaged: ${damage}`);
  if (edits === 0) throw new CorruptionError('no version edit in the MANIFEST');
  const missing = [[TAG_LOG_NUMBER, 'log number'], [TAG_NEXT_FILE_NUMBER, 'next file number'], [TAG_LAST_SEQUENCE, 'last sequence']].filter(([t]) => !seen.has(t as number));
  if (missing.length > 0) throw new CorruptionError(`incomplete: no ${missing.map(([, n]) => n).join(', ')} in its edits`);
  for (const f of live.values()) m.levels[f.level]!.push(f);
  for (const files of m.levels) files.sort((a, b) => a.number - b.number);
  return m;
}
