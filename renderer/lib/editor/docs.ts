/**
 * The engine's plugin and function declarations (`docs:completions`), fetched once per page
 * and shared by every editor. A failed fetch is retried on the next completion.
 */
import type { CompletionEntry } from '../../../main/ipc/contract.ts';
import { api } from '../api.ts';

let entries: Promise<readonly CompletionEntry[]> | null = null;

/** The completion entries (empty while the host cannot answer). */
export function completionEntries(): Promise<readonly CompletionEntry[]> {
  entries ??= api.invoke('docs:completions').then((r) => {
    if (r.ok) return r.value;
    console.warn(`completions unavailable: ${r.error.message}`);
    entries = null;
    return [];
  });
  return entries;
}
