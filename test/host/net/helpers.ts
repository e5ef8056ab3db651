// Shared by the net tests: the builtins plus the file and net host functions, and a query
// runner that returns the rows as JSON data and the log lines.
import { collect, createRegistry, toJSON, type Registry, type VDict } from '../../../main/vql/index.ts';
import { registerFiles } from '../../../main/host/files/index.ts';
import { registerNet } from '../../../main/host/net/index.ts';

export function netRegistry(): Registry {
  const registry = createRegistry();
  registerFiles(registry, {});
  registerNet(registry, {});
  return registry;
}

export interface Result {
  rows: Array<Record<string, any>>;
  raw: VDict[];
  logs: string[];
}

export async function query(text: string, opts: { vars?: Record<string, unknown>; signal?: AbortSignal } = {}): Promise<Result> {
  const logs: string[] = [];
  const raw = await collect(text, { registry: netRegistry(), vars: opts.vars, signal: opts.signal, log: (l, m) => logs.push(`${l}: ${m}`) });
  return { rows: JSON.parse(toJSON(raw)) as Array<Record<string, any>>, raw, logs };
}
