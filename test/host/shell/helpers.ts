// Shared by the shell session tests: a registry with the builtins, the query plugins and the
// shell functions, a query runner that also returns the log lines, and process checks.
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { createRegistry, type Registry, type VDict } from '../../../main/vql/index.ts';
import { registerShell } from '../../../main/host/shell/index.ts';
import { queryPlugins } from '../../../main/host/files/queries.ts';
import { query as queryWith, waitFor } from '../system/helpers.ts';

export { waitFor };

export function shellRegistry(allowExecve = true): Registry {
  const registry = createRegistry();
  for (const p of queryPlugins) registry.registerPlugin(p);
  registerShell(registry, { allowExecve });
  return registry;
}

export function query(text: string, registry = shellRegistry(), signal?: AbortSignal): Promise<{ rows: VDict[]; logs: string[] }> {
  return queryWith(text, registry, signal);
}

/** A session name no other test uses (the store is shared by the whole test process). */
export function sessionName(): string {
  return `test-${randomUUID()}`;
}

/** Is `pid` a live process (not gone, not a zombie waiting to be reaped)? Linux only. */
export function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The text of a transcript column over all rows. */
export function column(rows: VDict[], name: 'Stdin' | 'Stdout' | 'Stderr'): string {
  return rows.map((r) => String(r.get(name) ?? '')).join('');
}
