/**
 * The SQL box: one read-only statement over the opened table. Two locks, each enough alone:
 * - The database it runs on is locked down once loaded (engine.ts lockDown): no file outside
 *   the table's export folder can be read or written, no database attached, no extension
 *   installed or loaded, no setting changed (`enable_external_access=false`,
 *   `allowed_directories`, `lock_configuration=true`, extension auto-install/-load off).
 * - The text must be exactly one statement that DuckDB itself classifies as a query (SELECT,
 *   and what DuckDB rewrites to one: VALUES, FROM-first, DESCRIBE, SUMMARIZE, SHOW, PRAGMA
 *   functions): COPY, ATTACH, INSTALL, LOAD, SET, EXPORT, CREATE, INSERT, UPDATE, DELETE, DROP,
 *   CALL, CHECKPOINT... are refused before they run, with a clear error.
 * At most `limit` rows are read; the rest is never fetched.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { TableSqlResult } from '../ipc/contract.ts';
import { presentedType } from './columns.ts';
import { jsCell, type JsCell } from './query.ts';
import { loadDuckDB } from './engine.ts';

/** Rows a SQL box query returns by default, and at most. */
export const SQL_ROWS = 1000;
export const MAX_SQL_ROWS = 100_000;

/** A statement the SQL box does not run. */
export class SqlRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SqlRefused';
  }
}

/** Runs one read-only query; `locked` must be true (the database was locked down). */
export async function runSqlBox(conn: DuckDBConnection, text: string, limit: number, locked: boolean): Promise<TableSqlResult> {
  if (!locked) throw new SqlRefused('the table is still loading: the SQL box works once it is loaded');
  if (typeof text !== 'string' || !text.trim()) throw new SqlRefused('write a query, e.g. SELECT count(*) FROM data');
  const { StatementType } = await loadDuckDB();
  const t0 = performance.now();
  const extracted = await conn.extractStatements(text);
  if (extracted.count !== 1) throw new SqlRefused(`one statement at a time (this text holds ${extracted.count}): remove the others`);
  let prepared;
  try {
    prepared = await extracted.prepare(0);
  } catch (e) {
    // Binding a COPY, ATTACH, INSTALL or a file reader already meets the locked database.
    if (/Permission Error|disabled (by|through) configuration|configuration has been locked/i.test((e as Error).message)) {
      throw new SqlRefused(`the SQL box cannot read or write files, attach databases, load extensions or change settings (${(e as Error).message.split('\n')[0]})`);
    }
    // `data` is a view: binding a change to it fails before the statement's type is known.
    if (/Can only (delete from|update|insert into) base table|is not an? table/i.test((e as Error).message)) {
      throw new SqlRefused('only queries run here (SELECT, DESCRIBE, SUMMARIZE...); this statement would change the table: the SQL box cannot change the table, files or settings');
    }
    throw e;
  }
  try {
    const type = prepared.statementType;
    if (type !== StatementType.SELECT) {
      const name = StatementType[type] ?? String(type);
      throw new SqlRefused(`only queries run here (SELECT, DESCRIBE, SUMMARIZE...); this is a ${name.replace(/_STATEMENT$/, '')} statement: the SQL box cannot change the table, files or settings`);
    }
    const result = await prepared.stream();
    const names = result.columnNames();
    const types = result.columnTypes().map((t) => t.toString());
    const cells: JsCell[][] = [];
    let truncated = false;
    for await (const batch of result.yieldRowsJs()) {
      for (const row of batch) {
        if (cells.length >= limit) {
          truncated = true;
          break;
        }
        cells.push(row.map((v) => (v !== null && typeof v === 'object' && !(v instanceof Date) ? JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? jsCell(x) : x)) : jsCell(v))));
      }
      if (truncated) break;
    }
    return {
      columns: names.map((name, i) => ({ name, sqlType: types[i]!, type: presentedType(types[i]!) === 'timestamp' ? 'text' : presentedType(types[i]!) })),
      cells,
      truncated,
      ms: Math.round(performance.now() - t0),
    };
  } finally {
    prepared.destroySync();
  }
}
