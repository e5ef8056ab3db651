/**
 * `parse_journald(filename, accessor, raw, start_time, end_time)`: Velociraptor's systemd
 * journal parser (vql/parsers/journald): one row per entry of each journal file, in file order,
 * as `{System, EventData}` (rows.ts), or flat with `raw`. `start_time` / `end_time` keep the
 * entries logged in that range (inclusive), by their realtime.
 *
 * Reads offline, archived (`*.journal~`, `name@...journal`) and online files (being written:
 * what is complete is read) through any accessor, uncompressed or compressed with zstd, LZ4 or
 * XZ, regular or compact. A file that is not a journal, is truncated or corrupt is an error in
 * the log naming the file and the offset; the query goes on with the next file.
 */
import type { PluginDef, Scope, Value } from '../../vql/index.ts';
import { toTime } from '../../vql/eval/coerce.ts';
import { accessorOrLog } from '../files/read.ts';
import type { Accessor } from '../files/accessors.ts';
import { pathText } from '../files/ospath.ts';
import { errorText, fileError, openOrLog, valueList } from '../parsers/common.ts';
import { JournalFormatError, STATE_NAMES, STATE_ONLINE } from './format.ts';
import { JournalReader } from './reader.ts';
import { entryRow } from './rows.ts';
import { openJournal } from './source.ts';

const BATCH = 256;

type Log = (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;

/** A time argument as microseconds since the epoch; null when absent, undefined when invalid (logged). */
function timeBound(v: Value, name: string, log: Log): bigint | null | undefined {
  if (v === undefined || v === null || v === '' || v === 0) return null;
  const t = toTime(v);
  if (t === null) {
    log('error', `argument ${name}: expected a time (a timestamp, epoch seconds or a date string), got ${JSON.stringify(pathText(v))}`);
    return undefined;
  }
  return t.unixNano / 1000n;
}

/** The rows of one file, in batches; problems are logged, never thrown (except cancellation). */
export async function* journalRows(
  accessor: Accessor, filename: Value, scope: Scope, signal: AbortSignal, log: Log,
  opts: { raw: boolean; accept?: (realtime: bigint) => boolean },
): AsyncGenerator<Value[]> {
  if (filename === null || filename === undefined || pathText(filename) === '') {
    log('error', 'argument filename: no file (the path is empty)');
    return;
  }
  const where = (m: string) => fileError('filename', accessor, filename, m);
  const file = await openOrLog('filename', accessor, filename, scope, log, () => openJournal(accessor, filename, scope));
  if (!file) return;
  let reader: JournalReader;
  try {
    reader = await JournalReader.open(file, await file.size());
  } catch (e) {
    log('error', where(e instanceof JournalFormatError ? e.message : errorText(e)));
    await file.close().catch(() => {});
    return;
  }
  const h = reader.header;
  const online = h.state === STATE_ONLINE;
  log('debug', where(`${h.nEntries} entries, state ${STATE_NAMES[h.state] ?? h.state}${h.compact ? ', compact' : ''}`));
  const warn = (m: string) => log('warn', where(m));
  let count = 0;
  let last = 0;
  let batch: Value[] = [];
  const entryOpts = { accept: opts.accept, signal, warn };
  try {
    try {
      for await (const offset of reader.entryOffsets(0, signal)) {
        last = offset;
        const e = await reader.entry(offset, entryOpts);
        count++;
        if (!e) continue;
        batch.push(entryRow(e, opts.raw));
        if (batch.length >= BATCH) {
          yield batch;
          batch = [];
          if (signal.aborted) return;
        }
      }
    } catch (e) {
      if (signal.aborted) return;
      if (!(e instanceof JournalFormatError)) throw e;
      // A file being written may end in the middle of what is being added: not an error.
      if (online && /truncated/.test(e.message)) {
        log('debug', where(`the entry array chain stops after ${count} entries at the end of what is written so far (${e.message}): reading the entries after it object by object`));
      } else {
        log('error', where(`${e.message}${count ? `; ${count} entries read before it` : ''}; reading the entries after it object by object`));
      }
      let recovered = 0;
      try {
        for await (const r of reader.walkEntries(last, entryOpts)) {
          recovered++;
          batch.push(entryRow(r, opts.raw));
          if (batch.length >= BATCH) {
            yield batch;
            batch = [];
            if (signal.aborted) return;
          }
        }
      } catch (e2) {
        if (!(e2 instanceof JournalFormatError)) throw e2;
      }
      log(online ? 'debug' : 'info', where(`${recovered} more entries recovered by walking the objects`));
    }
    if (batch.length) yield batch;
  } catch (e) {
    if (!signal.aborted) log('error', where(errorText(e)));
  } finally {
    await file.close().catch(() => {});
  }
}

export const parseJournald: PluginDef = {
  name: 'parse_journald',
  doc:
    'Parse systemd journal files: one row per entry, {System, EventData} (System: Timestamp, __SEQNUM, __MONOTONIC_TIMESTAMP, ' +
    '_BOOT_ID and the trusted _ fields; EventData: the other fields). Reads compressed (zstd, LZ4, XZ), compact, archived and online files.',
  args: {
    filename: { type: 'any', required: true, doc: 'The journal file (or a list of them)' },
    accessor: { type: 'string', doc: 'How to read it', default: 'auto' },
    raw: { type: 'bool', doc: 'Emit each entry as one flat dict of its fields (like journalctl -o json) instead of System/EventData' },
    start_time: { type: 'any', doc: 'Only entries logged at or after this time (a timestamp, epoch seconds or a date string)' },
    end_time: { type: 'any', doc: 'Only entries logged at or before this time' },
  },
  batched: true,
  async *run(call) {
    const { args, scope, signal } = call;
    const log: Log = (level, m) => call.log(level, m);
    const accessor = accessorOrLog(scope, args.accessor, 'argument accessor', log);
    if (!accessor) return;
    const start = timeBound(args.start_time, 'start_time', log);
    const end = timeBound(args.end_time, 'end_time', log);
    if (start === undefined || end === undefined) return;
    const accept = start === null && end === null ? undefined : (t: bigint) => (start === null || t >= start) && (end === null || t <= end);
    for (const filename of valueList(args.filename)) {
      if (signal.aborted) return;
      yield* journalRows(accessor, filename, scope, signal, log, { raw: args.raw === true, accept });
    }
  },
};
