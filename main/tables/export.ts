/**
 * Exports of a view to the file the user chose: CSV (RFC 4180, CRLF) and JSON (an array of
 * objects) or JSON lines in the same text forms as the page's export (renderer/lib/table/export.ts:
 * times as ISO 8601 UTC, formula neutralization of text cells and header names on by default),
 * and Parquet with the columns' own types. Rows stream from DuckDB chunk by chunk; the file is
 * written to `<path>.partial` and renamed when complete, so a failed or cancelled export leaves
 * no half file under the chosen name. Parquet is written by DuckDB into the table's export
 * folder (the only folder its locked-down database may write) and moved to the chosen path.
 */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { copyFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { neutralizeFormula } from '../text/safe-text.ts';
import type { TableExportFormat } from '../ipc/contract.ts';
import { cellSql, textSql, type ColumnModel } from './columns.ts';
import { jsCell, tracked, type Tracking } from './query.ts';
import { ident, lit } from './sql-text.ts';

/** One RFC 4180 field: quoted (inner quotes doubled) when it holds a comma, quote, CR or LF. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Names made unique (`a`, `a_2`) so JSON objects never repeat a key. */
function uniqueKeys(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    return k === 1 ? n : `${n}_${k}`;
  });
}

/**
 * Writes `text`, waiting for 'drain' when the stream's buffer is full. `events.once` listens
 * for 'drain' and 'error' together and removes both when either comes, so an export that
 * waits thousands of times leaves no listener behind (a listener per wait would pile up on
 * the stream: a MaxListenersExceededWarning after ten).
 */
async function write(out: WriteStream, text: string): Promise<void> {
  // A stream that failed between two writes (a full disk) would never drain.
  if (out.errored) throw out.errored;
  if (!out.write(text)) await once(out, 'drain');
}

async function moveInto(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    await copyFile(from, to);
    await rm(from, { force: true });
  }
}

export interface ExportJob {
  conn: DuckDBConnection;
  /** SELECT of the rows in order, as `SELECT <cols> FROM ... ORDER BY ...` is built here from `from` and `order`. */
  from: string;
  order: string;
  columns: readonly ColumnModel[];
  format: TableExportFormat;
  path: string;
  neutralize: boolean;
  /** The table database's export folder (Parquet). */
  exportDir: string;
  tracking?: Tracking;
}

/** Writes the export; returns rows and bytes written. */
export async function exportView(job: ExportJob): Promise<{ rows: number; bytes: number }> {
  const { conn, columns, format, path } = job;
  if (format === 'parquet') {
    const tmp = join(job.exportDir, `${randomUUID()}.parquet`);
    const select = columns.map((c) => (c.epochScale ? `${cellSql(c)} AS ${ident(c.name)}` : ident(c.name))).join(', ');
    try {
      await tracked(conn, `COPY (SELECT ${select} FROM ${job.from} ORDER BY ${job.order}) TO ${lit(tmp)} (FORMAT parquet)`, job.tracking);
      const rows = Number((await conn.runAndReadAll(`SELECT count(*) FROM ${job.from}`)).getRowsJS()[0]![0]);
      await moveInto(tmp, path);
      return { rows, bytes: (await stat(path)).size };
    } finally {
      await rm(tmp, { force: true });
    }
  }
  // Text forms: what the grid shows (times as ISO text); JSON keeps numbers and booleans as such.
  const select = columns.map((c) => (c.type === 'timestamp' || (c.type === 'text' && format === 'csv') ? textSql(c) : cellSql(c))).join(', ');
  const names = columns.map((c) => c.name);
  const partial = `${path}.partial-${randomUUID().slice(0, 8)}`;
  const out = createWriteStream(partial, { flags: 'wx' });
  const opened = new Promise<void>((resolve, reject) => {
    out.once('open', () => resolve());
    out.once('error', reject);
  });
  let rows = 0;
  let bytes = 0;
  const neutral = (s: string) => (job.neutralize ? neutralizeFormula(s) : s);
  try {
    await opened;
    const keys = uniqueKeys(names).map((n) => `${JSON.stringify(neutral(n))}:`);
    let head = '';
    if (format === 'csv') head = names.map((n) => csvField(neutral(n))).join(',') + '\r\n';
    else if (format === 'json') head = '[';
    await write(out, head);
    bytes += Buffer.byteLength(head);
    const result = await conn.stream(`SELECT ${select || '1'} FROM ${job.from} ORDER BY ${job.order}`);
    for await (const batch of result.yieldRowsJs()) {
      if (job.tracking?.signal?.aborted) throw new Error('cancelled');
      let text = '';
      for (const raw of batch) {
        const cells = raw.map(jsCell);
        if (format === 'csv') {
          text += cells.map((v) => (v === null ? '' : csvField(typeof v === 'string' ? neutral(v) : String(v)))).join(',') + '\r\n';
        } else {
          const obj = cells
            .map((v, k) => {
              const c = columns[k]!;
              let j: string;
              if (v === null) j = 'null';
              else if (c.type === 'json' && typeof v === 'string') j = v;
              else if (typeof v === 'string') j = JSON.stringify(neutral(v));
              else if (typeof v === 'number') j = Number.isFinite(v) ? String(v) : 'null';
              else j = JSON.stringify(v);
              return keys[k] + j;
            })
            .join(',');
          text += format === 'json' ? `${rows ? ',' : ''}\n{${obj}}` : `{${obj}}\n`;
        }
        rows++;
      }
      await write(out, text);
      bytes += Buffer.byteLength(text);
    }
    const tail = format === 'json' ? (rows ? '\n]\n' : ']\n') : '';
    await write(out, tail);
    bytes += Buffer.byteLength(tail);
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    await rename(partial, path);
    return { rows, bytes };
  } catch (e) {
    out.destroy();
    await rm(partial, { force: true });
    throw e;
  }
}
