/**
 * Velociraptor's ESE plugins and function (vql/parsers/ese.go over Velocidex/go-ese), on any
 * OS, over the reader of ese.ts:
 *
 * - `parse_ese(file, accessor, table)`: one row per record of the table, its columns in
 *   column-id order (every column of the catalog: NULL when the record has none);
 * - `parse_ese_catalog(file, accessor)`: one row per column of each table of the catalog;
 * - `srum_lookup_id(file, accessor, id)`: the value of SRUM's SruDbIdMapTable for an id.
 *
 * Errors (not an ESE file, a damaged page, a truncated file, an unknown table) are one log
 * line `<function>: file=<file>: <what, with the page and its offset>`; the rows already given
 * stay, and the query goes on.
 */
import { VDict, type FunctionDef, type PluginDef, type Scope, type Value } from '../../vql/index.ts';
import type { LogLevel } from '../../vql/index.ts';
import { accessorOrLog } from '../files/read.ts';
import type { Accessor, FileReader } from '../files/accessors.ts';
import { pathText } from '../files/ospath.ts';
import { errorText, fileLabel, openOrLog, RecordRow, RowColumns } from '../parsers/common.ts';
import { EseCompressionError } from './compression.ts';
import { COLUMN_TYPES, convert, EseDatabase, EseError, hex, inlineBytes, JET_TYPES, type EseTable } from './ese.ts';

type Log = (level: LogLevel, m: string) => void;

const fileDoc = 'The ESE database file (SRUDB.dat, Windows.edb, a .mdb of UAL...)';
const accessorDoc = 'How to read it (auto, file, ntfs, raw_ntfs, zip...)';

/** Opens the database of `file`, or logs why not (`file=<label>: ...`) and gives null. */
async function openDb(accessor: Accessor, file: Value, scope: Scope, log: Log, signal?: AbortSignal): Promise<{ db: EseDatabase; reader: FileReader } | null> {
  const label = fileLabel(accessor, file);
  if (file === null || file === undefined || pathText(file) === '') {
    log('error', 'file=: no file given');
    return null;
  }
  const reader = await openOrLog('file', accessor, file, scope, log);
  if (!reader) return null;
  try {
    const db = await EseDatabase.open(reader, signal);
    if (db.checksumNote) log('warn', `file=${label}: ${db.checksumNote}`);
    return { db, reader };
  } catch (e) {
    log('error', `file=${label}: ${problem(e)}`);
    await reader.close().catch(() => {});
    return null;
  }
}

function problem(e: unknown): string {
  if (e instanceof EseError || e instanceof EseCompressionError) return e.message;
  return errorText(e);
}

function tableNames(db: EseDatabase): string {
  const names = db.tableList.map((t) => t.name);
  return names.length > 12 ? `${names.slice(0, 12).join(', ')}... (${names.length} tables)` : names.join(', ');
}

export const parseEse: PluginDef = {
  name: 'parse_ese',
  doc:
    'Parse an ESE (Extensible Storage Engine, JET Blue) database table: SRUM\'s SRUDB.dat, Windows Search, UAL, WebCache. One row per record ' +
    'with the table\'s columns in column-id order: integers, floats, DateTime as times, Bit as bool, Text as strings, Binary and LongBinary as ' +
    'hex strings, GUID as {...}; NULL when a record has no value. Runs on any OS (the file is read page by page).',
  args: {
    file: { type: 'any', required: true, doc: fileDoc },
    accessor: { type: 'string', doc: accessorDoc, default: 'auto' },
    table: { type: 'string', required: true, doc: 'The table to dump (a name of parse_ese_catalog()\'s Table column)' },
  },
  batched: true,
  async *run(call) {
    const { args, scope, signal } = call;
    const log: Log = (level, m) => call.log(level, m);
    const accessor = accessorOrLog(scope, args.accessor, 'parse_ese', log);
    if (!accessor) return;
    const opened = await openDb(accessor, args.file, scope, log, signal);
    if (!opened) return;
    const { db, reader } = opened;
    const label = fileLabel(accessor, args.file);
    try {
      const name = String(args.table ?? '');
      const table = db.table(name);
      if (!table) {
        log('error', `file=${label}: no table ${JSON.stringify(name)} in the catalog (tables: ${tableNames(db)})`);
        return;
      }
      yield* tableRows(db, table, label, log, signal);
    } finally {
      await reader.close().catch(() => {});
    }
  },
};

/** The rows of `table`, one batch per leaf page. */
async function* tableRows(db: EseDatabase, table: EseTable, label: string, log: Log, signal: AbortSignal): AsyncGenerator<RecordRow[]> {
  const columns = new RowColumns(table.columns.map((c) => c.name));
  const cols = table.columns;
  let recordErrors = 0;
  try {
    for await (const records of db.records(table, signal)) {
      const batch: RecordRow[] = [];
      for (const rec of records) {
        try {
          const values: Value[] = new Array(cols.length);
          for (let i = 0; i < cols.length; i++) {
            const c = cols[i]!;
            if (c.id < 256) {
              const b = inlineBytes(c, rec);
              values[i] = b === null ? null : convert(c, b);
            } else values[i] = await db.value(table, c, rec);
          }
          batch.push(new RecordRow(columns, values));
        } catch (e) {
          if (!(e instanceof EseError || e instanceof EseCompressionError)) throw e;
          // A damaged record is skipped; the first few are told.
          if (recordErrors++ < 5) log('error', `file=${label}: table ${table.name}: record skipped: ${e.message} (page offset ${db.pageOffset(rec.page)})`);
        }
      }
      if (batch.length) yield batch;
      if (signal.aborted) return;
    }
  } catch (e) {
    log('error', `file=${label}: table ${table.name}: ${problem(e)}`);
  }
}

export const parseEseCatalog: PluginDef = {
  name: 'parse_ese_catalog',
  doc:
    'List the catalog of an ESE database: one row per column of each table {Table, Column, Type (go-ese\'s type name), ColumnId, ' +
    'JetType, Space (Fixed, Variable or Tagged), Size, Codepage, Flags, TableFDP, TableRootPage, LongValueRootPage}. Runs on any OS.',
  args: {
    file: { type: 'any', required: true, doc: fileDoc },
    accessor: { type: 'string', doc: accessorDoc, default: 'auto' },
  },
  batched: true,
  async *run(call) {
    const { args, scope, signal } = call;
    const log: Log = (level, m) => call.log(level, m);
    const accessor = accessorOrLog(scope, args.accessor, 'parse_ese_catalog', log);
    if (!accessor) return;
    const opened = await openDb(accessor, args.file, scope, log, signal);
    if (!opened) return;
    const { db, reader } = opened;
    await reader.close().catch(() => {});
    for (const t of db.tableList) {
      if (signal.aborted) return;
      yield t.columns.map(
        (c) =>
          new VDict([
            ['Table', t.name],
            ['Column', c.name],
            ['Type', COLUMN_TYPES[c.type] ?? `Unknown ${c.type}`],
            ['ColumnId', c.id],
            ['JetType', JET_TYPES[c.type] ?? `Unknown ${c.type}`],
            ['Space', c.id < 128 ? 'Fixed' : c.id < 256 ? 'Variable' : 'Tagged'],
            ['Size', c.size],
            ['Codepage', c.codepage],
            ['Flags', c.flags],
            ['TableFDP', t.fdp],
            ['TableRootPage', t.root],
            ['LongValueRootPage', t.longValueRoot],
          ]),
      );
    }
  },
};

/** A SID from its binary form (revision, count, 48-bit big-endian authority, 32-bit sub-authorities). */
export function sidText(b: Uint8Array): string | null {
  if (b.length < 8) return null;
  const count = b[1]!;
  if (b.length < 8 + 4 * count) return null;
  let auth = 0;
  for (let i = 2; i < 8; i++) auth = auth * 256 + b[i]!;
  let s = `S-${b[0]}-${auth}`;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < count; i++) s += `-${dv.getUint32(8 + 4 * i, true)}`;
  return s;
}

/** UTF-16LE text without its trailing NULs. */
function utf16Text(b: Uint8Array): string {
  const s = Buffer.from(b.buffer, b.byteOffset, b.length - (b.length & 1)).toString('utf16le');
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0) end--;
  return s.slice(0, end);
}

const SRUM_MAPS = Symbol('srum-id-maps');

/** SruDbIdMapTable of a file: IdIndex -> value (IdType 3: a SID; others: UTF-16LE text). */
async function buildSrumMap(accessor: Accessor, file: Value, scope: Scope, log: Log): Promise<Map<number, Value>> {
  const map = new Map<number, Value>();
  const opened = await openDb(accessor, file, scope, log, scope.signal);
  if (!opened) return map;
  const { db, reader } = opened;
  const label = fileLabel(accessor, file);
  try {
    const table = db.table('SruDbIdMapTable');
    if (!table) {
      log('error', `file=${label}: no table "SruDbIdMapTable" in the catalog (tables: ${tableNames(db)}): not a SRUM database`);
      return map;
    }
    const col = (n: string) => table.columns.find((c) => c.name === n);
    const type = col('IdType');
    const index = col('IdIndex');
    const blob = col('IdBlob');
    if (!type || !index || !blob) {
      log('error', `file=${label}: SruDbIdMapTable lacks ${['IdType', 'IdIndex', 'IdBlob'].filter((n) => !col(n)).join(', ')}`);
      return map;
    }
    for await (const records of db.records(table, scope.signal)) {
      for (const rec of records) {
        const idx = await db.value(table, index, rec);
        const t = await db.value(table, type, rec);
        const raw = await db.rawValue(table, blob, rec);
        if (typeof idx !== 'number' && typeof idx !== 'bigint') continue;
        const bytes = Array.isArray(raw) ? raw[0] ?? null : raw;
        let v: Value = null;
        if (bytes) v = Number(t) === 3 ? sidText(bytes) ?? hex(bytes) : utf16Text(bytes);
        map.set(Number(idx), v);
      }
    }
  } catch (e) {
    log('error', `file=${label}: SruDbIdMapTable: ${problem(e)}`);
  } finally {
    await reader.close().catch(() => {});
  }
  return map;
}

export const srumLookupId: FunctionDef = {
  name: 'srum_lookup_id',
  doc:
    'Look up an id in a SRUM database\'s SruDbIdMapTable: IdType 3 gives the IdBlob as a SID string (S-1-5-...), other types the ' +
    'IdBlob as UTF-16 text (an application path or name). The table is read once per file per query. An id that is not in the ' +
    'table gives the id itself back (as Velociraptor does). Runs on any OS.',
  args: {
    file: { type: 'any', required: true, doc: 'The SRUM database (SRUDB.dat)' },
    accessor: { type: 'string', doc: accessorDoc, default: 'auto' },
    id: { type: 'int', required: true, doc: 'The IdIndex to look up (an AppId or UserId of the SRUM tables)' },
  },
  async run(call) {
    const { args, scope } = call;
    const log: Log = (level, m) => call.log(level, m);
    const accessor = accessorOrLog(scope, args.accessor, 'srum_lookup_id', log);
    if (!accessor) return null;
    let maps = scope.env.context.get(SRUM_MAPS) as Map<string, Promise<Map<number, Value>>> | undefined;
    if (!maps) scope.env.context.set(SRUM_MAPS, (maps = new Map()));
    const key = `${accessor.name}\0${fileLabel(accessor, args.file)}`;
    let pending = maps.get(key);
    if (!pending) {
      pending = buildSrumMap(accessor, args.file, scope, log);
      maps.set(key, pending);
    }
    const map = await pending;
    const id = args.id;
    if (id === null || id === undefined) return null;
    const v = map.get(Number(id));
    return v === undefined ? id : v;
  },
};
