/**
 * "Is this path in that folder?", the one rule for the checks that confine where files are
 * read or written (the app's own folders, the run's temp folder, the local folder).
 */
import { realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';

/** Whether `path` is strictly below `dir` (`..` resolved, links not). */
export function isInside(dir: string, path: string): boolean {
  const rel = relative(resolve(dir), resolve(path));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** Whether `path` is `dir` itself or below it (`..` resolved, links not). */
export function isWithin(dir: string, path: string): boolean {
  return resolve(dir) === resolve(path) || isInside(dir, path);
}

/** Whether the folder `path` goes into, links resolved, is `dir` or below it (links resolved); false when either is missing. */
export async function landsWithin(dir: string, path: string): Promise<boolean> {
  try {
    const [folder, root] = await Promise.all([realpath(dirname(path)), realpath(dir)]);
    return isWithin(root, folder);
  } catch {
    return false;
  }
}
