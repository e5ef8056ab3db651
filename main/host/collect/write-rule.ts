/**
 * The rule for functions that write files of this machine (copy, compress, unzip, write_csv,
 * write_jsonl, mkdir): without the user's leave (`allowExecve`: --allow-execve, or the app's
 * setting) they write only inside the run's temp folder, whose real path (links resolved) must
 * be inside it too, and never through a final link. Each check gives the line to log, or null
 * when the write may go on.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Scope, Value } from '../../vql/index.ts';
import { landsWithin } from '../files/inside.ts';
import { pathText } from '../files/ospath.ts';
import { runState, type RunState } from './run-files.ts';

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

/** Both checks, for a file whose folder exists: the line to log, or null. */
export async function writeRefusal(run: RunState, allowed: boolean, path: string, what: string): Promise<string | null> {
  return outsideTemp(run, allowed, path, what) ?? (await leadsOutOfTemp(run, allowed, path, what));
}

/** open() flags that create or truncate a file to write; without leave a final link is not followed. */
export function createFlags(allowed: boolean): number {
  return constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | (allowed ? 0 : constants.O_NOFOLLOW ?? 0);
}

/** Why `accessor` cannot be written to (only this machine's files can), or null when it can. */
export function unwritableAccessor(accessor: Value): string | null {
  const name = accessor === undefined || accessor === null ? '' : String(accessor);
  if (name === '' || name === 'auto' || name === 'file') return null;
  return `accessor ${JSON.stringify(name)} cannot be written to: only file (or auto), the files of this machine`;
}

/**
 * Opens (creates or truncates) a file of this machine for writing, under copy()'s rule: outside
 * the run's temp folder only with `allowed` (`allowExecve`); inside it, the folder's real path
 * must be in the temp folder too and the file itself may not be a link. Throws an Error whose
 * message is the line to log.
 */
export async function openForWriting(scope: Scope, allowed: boolean, filename: Value): Promise<{ path: string; file: FileHandle }> {
  const given = pathText(filename);
  if (!given) throw new Error('filename is empty');
  const path = resolve(given);
  const refused = await writeRefusal(runState(scope), allowed, path, 'filename');
  if (refused) throw new Error(refused);
  try {
    return { path, file: await open(path, createFlags(allowed), 0o600) };
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}
