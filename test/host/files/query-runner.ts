/** Runs VQL against the builtins plus the file/string/data host functions, for the tests. */
import { collect, createRegistry, toJSON, type Registry } from '../../../main/vql/index.ts';
import { registerFiles } from '../../../main/host/files/index.ts';

/** The builtins plus the file, string and data host functions. */
export function filesRegistry(): Registry {
  const registry = createRegistry();
  registerFiles(registry, {});
  return registry;
}

export interface QueryResult {
  /** The rows as plain JSON data. */
  rows: Array<Record<string, unknown>>;
  logs: string[];
}

/** `query` and `value` over a fresh registry from `makeRegistry` for each query. */
export function runner(makeRegistry: () => Registry) {
  async function query(text: string, vars: Record<string, unknown> = {}): Promise<QueryResult> {
    const logs: string[] = [];
    const rows = await collect(text, { registry: makeRegistry(), vars, log: (l, m) => logs.push(`${l}: ${m}`) });
    return { rows: JSON.parse(toJSON(rows)) as Array<Record<string, unknown>>, logs };
  }
  /** The value of the only column of the only row. */
  async function value(expr: string, vars: Record<string, unknown> = {}): Promise<unknown> {
    const { rows } = await query(`SELECT ${expr} AS X FROM scope()`, vars);
    return rows[0]?.X;
  }
  return { query, value };
}

export const { query, value } = runner(filesRegistry);
