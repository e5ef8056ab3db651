// A SRUM database (SRUDB.dat) as Windows 10 lays it out, written by ese-writer.ts: the id map
// SruDbIdMapTable and the four tables the Windows.Forensics.SRUM artifact reads, with their real
// GUID names and column names and types (libyal's esedb-kb "System Resource Usage Monitor").
import { JET, sidBytes, writeEse, type WColumn, type WTable, type WValue, type Written, type WriterOptions } from './ese-writer.ts';

export const EXECUTION = '{5C8CF1C7-7257-4F13-B223-970EF5939312}';
export const RESOURCE = '{D10CA2FE-6FCF-4F6D-848E-B2E99266FA89}';
export const NETWORK_USAGE = '{973F5D5C-1D90-4944-BE8E-24B94231A174}';
export const CONNECTIONS = '{DD6636C4-8929-4683-974E-22C046A43763}';

export const SID_ALICE = 'S-1-5-21-1111111111-2222222222-3333333333-1001';
export const SID_SYSTEM = 'S-1-5-18';

/** UTF-16LE with a terminating NUL, as SRUM stores names. */
export const utf16z = (s: string): Buffer => Buffer.from(s + '\0', 'utf16le');

/** A path longer than the long-value threshold: stored in the id map's long-value tree. */
export const LONG_PATH = '\\device\\harddiskvolume3\\program files\\' + 'verylongfoldername\\'.repeat(40) + 'deep.exe';

/** The id map: 1..4 apps (IdType 0), 5 a service (1), 6 a package (2), 7..8 users (3), 9 a long app path. */
export const ID_MAP: Array<{ index: number; type: number; value: string }> = [
  { index: 1, type: 0, value: '\\device\\harddiskvolume3\\windows\\system32\\svchost.exe' },
  { index: 2, type: 0, value: '\\device\\harddiskvolume3\\program files\\mozilla firefox\\firefox.exe' },
  { index: 3, type: 0, value: '\\device\\harddiskvolume3\\users\\alice\\downloads\\evil.exe' },
  { index: 4, type: 0, value: 'Microsoft.WindowsCalculator_11.2210.0.0_x64__8wekyb3d8bbwe!App!C:\\Program Files\\WindowsApps\\calc.exe!2024-01-02T03:04:05Z' },
  { index: 5, type: 1, value: 'wuauserv' },
  { index: 6, type: 2, value: 'Microsoft.Windows.Photos_8wekyb3d8bbwe' },
  { index: 7, type: 3, value: SID_ALICE },
  { index: 8, type: 3, value: SID_SYSTEM },
  { index: 9, type: 0, value: LONG_PATH },
];

const col = (name: string, type: number, extra: Partial<WColumn> = {}): WColumn => ({ name, type, ...extra });
const common = [col('AutoIncId', JET.Long), col('TimeStamp', JET.DateTime), col('AppId', JET.Long), col('UserId', JET.Long)];

export const BASE_TIME = Date.UTC(2024, 4, 1, 8, 0, 0);
const FILETIME_EPOCH = 116444736000000000n;
/** The FILETIME of a JS time. */
export const filetime = (ms: number): bigint => BigInt(ms) * 10000n + FILETIME_EPOCH;

/** Which app and user row i of a table has (apps 1..4 and 9, users 7 and 8). */
export const appOf = (i: number): number => [1, 2, 3, 4, 9][i % 5]!;
export const userOf = (i: number): number => (i % 3 === 0 ? 8 : 7);
export const timeOf = (i: number): Date => new Date(BASE_TIME + i * 3_600_000);

export function srumTables(rows = 40): WTable[] {
  const idMap: WTable = {
    name: 'SruDbIdMapTable',
    columns: [col('IdType', JET.UnsignedByte), col('IdIndex', JET.Long), col('IdBlob', JET.LongBinary)],
    rows: ID_MAP.map((e) => ({ IdType: e.type, IdIndex: e.index, IdBlob: e.type === 3 ? sidBytes(e.value) : utf16z(e.value) })),
  };
  const execution: WTable = {
    name: EXECUTION,
    columns: [
      ...common, col('Flags', JET.Long), col('EndTime', JET.LongLong), col('DurationMS', JET.Long), col('SpanMS', JET.Long),
      col('TimelineEnd', JET.Long), col('InFocusTimeline', JET.LongBinary), col('UserInputTimeline', JET.LongBinary),
      col('InFocusS', JET.Long), col('Cycles', JET.LongLong), col('DiskRaw', JET.LongLong), col('NetworkTailRaw', JET.LongLong),
      col('NetworkBytesRaw', JET.LongLong),
    ],
    rows: Array.from({ length: rows }, (_, i) => ({
      AutoIncId: i + 1, TimeStamp: timeOf(i), AppId: appOf(i), UserId: userOf(i), Flags: 0x30000 + (i % 4),
      EndTime: filetime(BASE_TIME + i * 3_600_000 + 60_000), DurationMS: 60_000 + i, SpanMS: 60_000, TimelineEnd: 100 + i,
      InFocusTimeline: i % 4 === 0 ? null : Buffer.from([i & 0xff, 0x10, 0x20, 0x30]),
      UserInputTimeline: i === 2 ? Buffer.alloc(3000, 0xab) : null,
      InFocusS: i % 5 === 0 ? null : i * 2, Cycles: BigInt(1e12) + BigInt(i), DiskRaw: i * 4096, NetworkTailRaw: 0,
      NetworkBytesRaw: BigInt(2 ** 40) + BigInt(i * 1000),
    })),
  };
  const resource: WTable = {
    name: RESOURCE,
    columns: [
      ...common, col('ForegroundCycleTime', JET.LongLong), col('BackgroundCycleTime', JET.LongLong), col('FaceTime', JET.LongLong),
      col('ForegroundContextSwitches', JET.Long), col('BackgroundContextSwitches', JET.Long), col('ForegroundBytesRead', JET.LongLong),
      col('ForegroundBytesWritten', JET.LongLong), col('ForegroundNumReadOperations', JET.Long), col('ForegroundNumWriteOperations', JET.Long),
      col('ForegroundNumberOfFlushes', JET.Long), col('BackgroundBytesRead', JET.LongLong), col('BackgroundBytesWritten', JET.LongLong),
      col('BackgroundNumReadOperations', JET.Long), col('BackgroundNumWriteOperations', JET.Long), col('BackgroundNumberOfFlushes', JET.Long),
    ],
    rows: Array.from({ length: rows * 15 }, (_, i) => ({
      AutoIncId: i + 1, TimeStamp: timeOf(i), AppId: appOf(i), UserId: userOf(i),
      ForegroundCycleTime: BigInt(i) * 1_000_003n, BackgroundCycleTime: BigInt(i) * 7n, FaceTime: i % 7 === 0 ? null : BigInt(i) * 10_000_000n,
      ForegroundContextSwitches: i * 3, BackgroundContextSwitches: i, ForegroundBytesRead: BigInt(i) << 20n, ForegroundBytesWritten: BigInt(i) << 10n,
      ForegroundNumReadOperations: i + 10, ForegroundNumWriteOperations: i + 20, ForegroundNumberOfFlushes: i % 3,
      BackgroundBytesRead: BigInt(i) * 512n, BackgroundBytesWritten: BigInt(i) * 256n, BackgroundNumReadOperations: i + 1,
      BackgroundNumWriteOperations: i + 2, BackgroundNumberOfFlushes: 0,
    })),
  };
  const usage: WTable = {
    name: NETWORK_USAGE,
    columns: [...common, col('InterfaceLuid', JET.LongLong), col('L2ProfileId', JET.Long), col('L2ProfileFlags', JET.Long), col('BytesSent', JET.LongLong), col('BytesRecvd', JET.LongLong)],
    rows: Array.from({ length: rows }, (_, i) => ({
      AutoIncId: i + 1, TimeStamp: timeOf(i), AppId: appOf(i), UserId: userOf(i), InterfaceLuid: 1689399632855040n + BigInt(i % 2),
      L2ProfileId: i % 2 ? 268435461 : 0, L2ProfileFlags: 0, BytesSent: BigInt(i * 1500), BytesRecvd: BigInt(i * 9000),
    })),
  };
  const connections: WTable = {
    name: CONNECTIONS,
    columns: [...common, col('InterfaceLuid', JET.LongLong), col('L2ProfileId', JET.Long), col('ConnectedTime', JET.Long), col('ConnectStartTime', JET.LongLong), col('L2ProfileFlags', JET.Long)],
    rows: Array.from({ length: rows }, (_, i) => ({
      AutoIncId: i + 1, TimeStamp: timeOf(i), AppId: appOf(i), UserId: userOf(i), InterfaceLuid: 1689399632855040n,
      L2ProfileId: 268435461, ConnectedTime: 3600 + i, ConnectStartTime: filetime(BASE_TIME + i * 3_600_000 - 3_600_000 * 1000), L2ProfileFlags: 0,
    })),
  };
  return [idMap, execution, resource, usage, connections];
}

/** A table with every column kind: fixed, variable (UTF-16 and 1252), tagged, multi-valued, compressed, long. */
export const MIXED_COLUMNS: WColumn[] = [
  col('Id', JET.Long), col('Flag', JET.Bit), col('Byte', JET.UnsignedByte), col('Small', JET.Short), col('USmall', JET.UnsignedShort),
  col('ULong', JET.UnsignedLong), col('Money', JET.Currency), col('Single', JET.IEEESingle), col('Double', JET.IEEEDouble),
  col('When', JET.DateTime), col('Big', JET.LongLong), col('Guid', JET.GUID),
  col('Name', JET.Text), col('Ansi', JET.Text, { codepage: 1252 }), col('Blob', JET.Binary),
  col('Tags', JET.Text, { multi: true }), col('Numbers', JET.Long, { multi: true }), col('Memo', JET.LongText),
  col('Packed', JET.LongText, { compress: true }), col('PackedAnsi', JET.LongText, { compress: true, codepage: 1252 }),
  col('Squeezed', JET.LongBinary, { xpress: true }), col('TaggedText', JET.Text, { tagged: true }),
];

export function mixedRow(i: number): Record<string, WValue> {
  return {
    Id: i, Flag: i % 2 === 0, Byte: i & 0xff, Small: i % 6 === 0 ? null : -i, USmall: 65535 - i, ULong: 4_000_000_000 + i,
    Money: BigInt(-i) * 10000n, Single: i + 0.5, Double: i / 4, When: new Date(Date.UTC(2023, 11, 31, 23, 59, i % 60, 250)),
    Big: -(2n ** 60n) + BigInt(i), Guid: '{3F2504E0-4F89-11D3-9A0C-0305E82C3301}',
    Name: `Zoë ${i} ☃`, Ansi: i % 3 === 0 ? null : `café ${i}`, Blob: i % 4 === 0 ? null : Buffer.from([0, i & 0xff, 0xff]),
    Tags: i % 5 === 0 ? ['alpha', 'béta', `t${i}`] : null, Numbers: i % 5 === 1 ? [i, -i, 7] : null,
    Memo: i === 1 ? `memo ${'ünïcode '.repeat(400)}end` : i === 2 ? 'short memo' : null,
    Packed: i % 2 ? `packed ascii text number ${i}` : null, PackedAnsi: i % 3 === 1 ? `ansi packed ${i}` : null,
    Squeezed: i % 4 === 3 ? Buffer.from(`abcabcabcabc-${i}-`.repeat(20)) : null, TaggedText: i % 7 === 0 ? `tagged ${i}` : null,
  };
}

export function mixedTable(rows = 30): WTable {
  return { name: 'Mixed', columns: MIXED_COLUMNS, rows: Array.from({ length: rows }, (_, i) => mixedRow(i)) };
}

export function writeSrum(rows = 40, opts: WriterOptions = {}, extra: WTable[] = [mixedTable()]): Written {
  return writeEse([...srumTables(rows), ...extra], opts);
}
