/**
 * The rule for functions that write files of this machine (copy, compress, unzip, write_csv,
 * write_jsonl, mkdir): without the user's leave (`allowExecve`: --allow-execve, or the app's
 * setting) they write only inside the run's temp folder, whose real path (links resolved) must
 * be inside it too, and never through a final link. Each check gives the line to log, or null
 * when the write may go on.
 */
import { constants } from 'node:fs';
import { landsWithin } from '../files/inside.ts';
import type { RunState } from './run-files.ts';

export const COPY_DISABLED =
  "writing outside the query's temp folder is disabled: it needs --allow-execve (CLI) or 'Allow artifacts to run programs' in the app settings";

/** Refuses `path` (named `what` in the message) when it is not inside the temp folder. */
export function outsideTemp(run: RunState, allowed: boolean, path: string, what: string): string | null {
  if (allowed || run.inTempFolder(path)) return null;
  return `${COPY_DISABLED} (${what} ${path}; the temp folder is ${run.files.tempDir})`;
}

/** Refuses `path` when its folder, links resolved, is not in the temp folder (call it once the folder exists). */
export async function leadsOutOfTemp(run: RunState, allowed: boolean, path: string, what: string): Promise<string | null> {
  if (allowed || (await landsWithin(run.files.tempDir, path))) return null;
  return `${COPY_DISABLED} (${what} ${path} leads out of the temp folder, or its folder does not exist)`;
}

/** open() flags that create or truncate a file to write; without leave a final link is not followed. */
export function createFlags(allowed: boolean): number {
  return constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | (allowed ? 0 : constants.O_NOFOLLOW ?? 0);
}
