// Shared by the system plugin tests: a registry with the builtins plus registerSystem, and a
// query runner that also returns the log lines.
import { VDict, VFloat, collect, createRegistry, type Registry, type Value } from '../../../main/vql/index.ts';
import { registerSystem } from '../../../main/host/system/index.ts';

export function systemRegistry(allowExecve = false): Registry {
  const registry = createRegistry();
  registerSystem(registry, { allowExecve });
  return registry;
}

export async function query(text: string, registry = systemRegistry(), signal?: AbortSignal): Promise<{ rows: VDict[]; logs: string[] }> {
  const logs: string[] = [];
  const rows = await collect(text, { registry, signal, log: (level, message) => logs.push(`${level}: ${message}`) });
  return { rows, logs };
}

/** A VQL number (int, float, or boxed integral float) as a JS number. */
export function num(v: Value): number {
  if (v instanceof VFloat) return v.value;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new Error(`not a number: ${String(v)}`);
}

/** Polls `cond` every 20 ms until it holds or `ms` pass; returns whether it held. */
export async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}
