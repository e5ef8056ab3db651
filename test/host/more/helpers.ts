// Shared by the tests of main/host/more (and the net functions it documents with them): the
// whole host registry, and a query runner that returns the rows as JSON data and the log lines.
import { collect, toJSON, type VDict } from '../../../main/vql/index.ts';
import { createHostRegistry } from '../../../main/host/index.ts';

export interface Result {
  rows: Array<Record<string, any>>;
  raw: VDict[];
  logs: string[];
}

export async function query(text: string, opts: { vars?: Record<string, unknown>; signal?: AbortSignal } = {}): Promise<Result> {
  const logs: string[] = [];
  const raw = await collect(text, { registry: createHostRegistry(), vars: opts.vars, signal: opts.signal, log: (l, m) => logs.push(`${l}: ${m}`) });
  return { rows: JSON.parse(toJSON(raw)) as Array<Record<string, any>>, raw, logs };
}

/** The value of `expr` (as JSON data), with the logs. */
export async function value(expr: string, vars: Record<string, unknown> = {}): Promise<{ v: any; logs: string[] }> {
  const { rows, logs } = await query(`SELECT ${expr} AS X FROM scope()`, { vars });
  return { v: rows[0]?.X, logs };
}
