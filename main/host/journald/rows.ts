/**
 * The rows of parse_journald() and watch_journald(), in Velociraptor's shape:
 * - `System`: `Timestamp` (the entry's realtime, as a time), `__SEQNUM`,
 *   `__MONOTONIC_TIMESTAMP` (microseconds since boot) and `_BOOT_ID` from the entry itself,
 *   then the trusted fields, whose names start with `_` (_PID, _UID, _COMM, _EXE, _CMDLINE,
 *   _HOSTNAME, _TRANSPORT, _SYSTEMD_UNIT...);
 * - `EventData`: the other fields (MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, CODE_FILE...).
 * With `raw`, one flat dict like `journalctl -o json`: `__REALTIME_TIMESTAMP`,
 * `__MONOTONIC_TIMESTAMP`, `__SEQNUM` (integers, microseconds) and `_BOOT_ID`, then every field
 * as stored.
 *
 * Field values stay strings as journald stores them (`_PID` is "42"); a value that is not
 * UTF-8 is bytes. A field that an entry holds more than once (journald allows it) is a list of
 * its values, as journalctl's JSON output has it.
 */
import { VDict, VTime, normInt, type Value } from '../../vql/index.ts';
import type { JournalEntry } from './reader.ts';

function add(d: VDict, name: string, value: Value): void {
  const m = d.map;
  if (!m.has(name)) {
    m.set(name, value);
    return;
  }
  const prev = m.get(name)!;
  // _BOOT_ID is set from the entry header first: the same value as a field is not a repeat.
  if (prev === value) return;
  m.set(name, Array.isArray(prev) ? [...prev, value] : [prev, value]);
}

/** An entry's realtime as a time. */
export function entryTime(e: JournalEntry): VTime {
  return new VTime(e.realtime * 1000n);
}

/** The row of one entry. */
export function entryRow(e: JournalEntry, raw: boolean): VDict {
  if (raw) {
    const d = new VDict();
    d.map.set('__REALTIME_TIMESTAMP', normInt(e.realtime));
    d.map.set('__MONOTONIC_TIMESTAMP', normInt(e.monotonic));
    d.map.set('__SEQNUM', normInt(e.seqnum));
    d.map.set('_BOOT_ID', e.bootId);
    for (const [k, v] of e.fields) add(d, k, v);
    return d;
  }
  const system = new VDict();
  system.map.set('Timestamp', entryTime(e));
  system.map.set('__SEQNUM', normInt(e.seqnum));
  system.map.set('__MONOTONIC_TIMESTAMP', normInt(e.monotonic));
  system.map.set('_BOOT_ID', e.bootId);
  const data = new VDict();
  for (const [k, v] of e.fields) add(k.charCodeAt(0) === 0x5f ? system : data, k, v);
  const row = new VDict();
  row.map.set('System', system);
  row.map.set('EventData', data);
  return row;
}
