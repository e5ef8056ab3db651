/**
 * `parse_evtx(filename, accessor, messagedb)`: Velociraptor's Windows event log parser
 * (vql/parsers/event_logs/evtx.go over Velocidex's golang/evtx): one row per record of each
 * .evtx file, `{System, EventData | UserData, Message}`, laid out as golang/evtx's JSON
 * (binxml.ts, values.ts): `System.EventID.Value`, `System.TimeCreated.SystemTime` (epoch
 * seconds), `EventData.<Name>`...
 *
 * The file is read chunk by chunk through the accessor (reader.ts) and the rows of each chunk
 * are emitted as soon as it is parsed. `Message` is always null: the message of an event comes
 * from the provider's DLLs (or a message database made from them on Windows), which this host
 * does not have; `messagedb` is accepted and ignored.
 */
import { VDict, type PluginDef, type Scope, type Value } from '../../../vql/index.ts';
import type { Accessor } from '../../files/accessors.ts';
import { accessorOrLog } from '../../files/read.ts';
import { pathText } from '../../files/ospath.ts';
import { errorText, fileError, openOrLog, valueList } from '../common.ts';
import { EvtxFormatError } from './format.ts';
import { EvtxFile, type EvtxLog, type EvtxRecord } from './reader.ts';

/** A record as a row: the members of its `<Event>`, then Message. */
export function evtxRow(r: EvtxRecord): VDict {
  const row = r.event; // made for this record alone
  if (!row.map.has('Message')) row.map.set('Message', null);
  return row;
}

/** The rows of one file, one array per chunk; problems are logged, never thrown. */
export async function* evtxRows(accessor: Accessor, filename: Value, scope: Scope, signal: AbortSignal, log: EvtxLog): AsyncGenerator<Value[]> {
  if (filename === null || filename === undefined || pathText(filename) === '') {
    log('error', 'argument filename: no file (the path is empty)');
    return;
  }
  const where = (m: string) => fileError('filename', accessor, filename, m);
  const fileLog: EvtxLog = (level, m) => log(level, where(m));
  const reader = await openOrLog('filename', accessor, filename, scope, log);
  if (!reader) return;
  try {
    const file = await EvtxFile.open(reader);
    if (file.dirty) fileLog('debug', 'the file header says the log is dirty (not closed cleanly): reading every record that parses');
    for await (const records of file.records(signal, fileLog)) {
      if (records.length) yield records.map(evtxRow);
      if (signal.aborted) return;
    }
  } catch (e) {
    if (!signal.aborted) log('error', where(e instanceof EvtxFormatError ? e.message : errorText(e)));
  } finally {
    await reader.close().catch(() => {});
  }
}

export const parseEvtx: PluginDef = {
  name: 'parse_evtx',
  doc:
    'Parse Windows XML event log (.evtx) files: one row per record, {System, EventData or UserData, Message} as Velociraptor ' +
    '(System.EventID.Value, System.TimeCreated.SystemTime in epoch seconds, EventData.<Name>). Message is null (no message DB here).',
  args: {
    filename: { type: 'any', required: true, doc: 'The .evtx file (or a list of them)' },
    accessor: { type: 'string', doc: 'How to read it', default: 'auto' },
    messagedb: { type: 'string', doc: 'A message database (accepted for compatibility; messages are not resolved on this host)' },
  },
  batched: true,
  async *run(call) {
    const { args, scope, signal } = call;
    const log: EvtxLog = (level, m) => call.log(level, m);
    const accessor = accessorOrLog(scope, args.accessor, 'argument accessor', log);
    if (!accessor) return;
    if (args.messagedb) log('debug', 'messagedb is ignored: event messages are not resolved on this host (Message is null)');
    for (const filename of valueList(args.filename)) {
      if (signal.aborted) return;
      yield* evtxRows(accessor, filename, scope, signal, log);
    }
  },
};
