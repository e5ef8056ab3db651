/**
 * Where the app may write a file the user chose to save (an export of a table, a collected
 * zip): an absolute path into an existing folder, not a folder itself, and never over an
 * existing file unless the user confirmed it. One rule for every "Save as…", so each says the
 * same thing about the same mistake.
 */
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';

/** Why a save path is refused: `BadRequest` (not a place to write), or `Exists` (ask the user first). */
export interface SavePathProblem {
  code: 'BadRequest' | 'Exists';
  message: string;
}

/** The resolved path to write, or the problem with it. */
export async function checkSavePath(path: unknown, overwrite: boolean): Promise<{ path: string } | { problem: SavePathProblem }> {
  if (typeof path !== 'string' || !isAbsolute(path)) return { problem: { code: 'BadRequest', message: 'saving needs the absolute path of the file to write' } };
  const target = resolve(path);
  const dir = await stat(dirname(target)).catch(() => null);
  if (!dir?.isDirectory()) return { problem: { code: 'BadRequest', message: `the folder ${dirname(target)} does not exist` } };
  const existing = await stat(target).catch(() => null);
  if (existing?.isDirectory()) return { problem: { code: 'BadRequest', message: `${target} is a folder: give a file name` } };
  if (existing && !overwrite) return { problem: { code: 'Exists', message: `${target} exists: choose another name, or confirm to replace it` } };
  return { path: target };
}
