/**
 * Running SQL on a table's connection: plain reads as JavaScript rows, and long statements
 * (loading, materializing a view) with progress polled from DuckDB and cancellation by
 * interrupting the connection. DuckDB runs statements on its own threads: awaiting them keeps
 * this thread's event loop free.
 */
import type { DuckDBConnection } from '@duckdb/node-api';

/** A cell as it crosses to the page: integers past 2^53 as their exact digits. */
export type JsCell = string | number | boolean | null;

/** A value from DuckDB as a JSON-safe cell. */
export function jsCell(v: unknown): JsCell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v.toString();
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Date) return v.getTime();
  return String(v);
}

/** Rows of a query as arrays of cells, with the column names. */
export async function readRows(conn: DuckDBConnection, sql: string): Promise<{ names: string[]; rows: JsCell[][] }> {
  const r = await conn.runAndReadAll(sql);
  return { names: r.columnNames(), rows: r.getRowsJS().map((row) => row.map(jsCell)) };
}

/** The first cell of the first row. */
export async function scalar(conn: DuckDBConnection, sql: string): Promise<JsCell> {
  const { rows } = await readRows(conn, sql);
  return rows[0]?.[0] ?? null;
}

/** The error a cancelled statement ends with. */
export class Cancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'Cancelled';
  }
}

export interface Tracking {
  readonly signal?: AbortSignal;
  /** Called about every `everyMs` with DuckDB's progress (0..1, or null when it does not know). */
  readonly onProgress?: (fraction: number | null, rows: number) => void;
  readonly everyMs?: number;
}

/** Runs one statement; interrupts it when `signal` aborts (then rejects with Cancelled). */
export async function tracked(conn: DuckDBConnection, sql: string, t: Tracking = {}): Promise<void> {
  if (t.signal?.aborted) throw new Cancelled();
  const onAbort = () => conn.interrupt();
  t.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = t.onProgress
    ? setInterval(() => {
        const p = conn.progress;
        t.onProgress!(p.percentage >= 0 ? Math.min(1, p.percentage / 100) : null, Number(p.rows_processed));
      }, t.everyMs ?? 150)
    : null;
  try {
    await conn.run(sql);
  } catch (e) {
    if (t.signal?.aborted) throw new Cancelled();
    throw e;
  } finally {
    if (timer) clearInterval(timer);
    t.signal?.removeEventListener('abort', onAbort);
  }
  if (t.signal?.aborted) throw new Cancelled();
}

/** DuckDB's message without its multi-line context (the query text, carets). */
export function duckMessage(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  const cut = (l: string) => (l.length > 300 ? `${l.slice(0, 200)}... (${l.length - 250} characters) ...${l.slice(-50)}` : l);
  return m.split('\n').map((l) => cut(l.trim())).filter((l) => l && !/^LINE \d+:/.test(l) && !/^\^/.test(l)).slice(0, 3).join(' ');
}
