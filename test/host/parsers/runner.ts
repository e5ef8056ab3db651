/** Runs VQL against the builtins plus the file and parser host functions, for the tests. */
import { collect, createRegistry, toJSON, type Registry } from '../../../main/vql/index.ts';
import { registerFiles } from '../../../main/host/files/index.ts';
import { registerParsers } from '../../../main/host/parsers/index.ts';

export function parsersRegistry(): Registry {
  const registry = createRegistry();
  registerFiles(registry, {});
  registerParsers(registry, {});
  return registry;
}

export interface QueryResult {
  /** The rows as plain JSON data. */
  rows: Array<Record<string, unknown>>;
  logs: string[];
}

export async function query(text: string, vars: Record<string, unknown> = {}): Promise<QueryResult> {
  const logs: string[] = [];
  const rows = await collect(text, { registry: parsersRegistry(), vars, log: (l, m) => logs.push(`${l}: ${m}`) });
  return { rows: JSON.parse(toJSON(rows)) as Array<Record<string, unknown>>, logs };
}

/** The value of the only column of the only row, and the logs. */
export async function value(expr: string, vars: Record<string, unknown> = {}): Promise<unknown> {
  const { rows } = await query(`SELECT ${expr} AS X FROM scope()`, vars);
  return rows[0]?.X;
}
