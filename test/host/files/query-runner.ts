/** Runs VQL against the builtins plus the file/string/data host functions, for the tests. */
import { collect, toJSON } from '../../../main/vql/index.ts';
import { filesRegistry } from './golden-run.ts';

export interface QueryResult {
  /** The rows as plain JSON data. */
  rows: Array<Record<string, unknown>>;
  logs: string[];
}

export async function query(text: string, vars: Record<string, unknown> = {}): Promise<QueryResult> {
  const logs: string[] = [];
  const rows = await collect(text, { registry: filesRegistry(), vars, log: (l, m) => logs.push(`${l}: ${m}`) });
  return { rows: JSON.parse(toJSON(rows)) as Array<Record<string, unknown>>, logs };
}

/** The value of the only column of the only row. */
export async function value(expr: string, vars: Record<string, unknown> = {}): Promise<unknown> {
  const { rows } = await query(`SELECT ${expr} AS X FROM scope()`, vars);
  return rows[0]?.X;
}
