/**
 * Artifact folders the user added in the app ("Add artifact folder…": Velociraptor's
 * `artifacts/definitions`, an exchange checkout...), remembered across restarts in one small
 * JSON file next to the user's artifact folder. The repository reads it at every load, so the
 * app's service and its query workers (which reload before each query) see a change at once.
 */
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/** The folders file of a user artifact folder (`<datastore>/artifacts` → `<datastore>/artifact-folders.json`). */
export function artifactFoldersFile(userArtifacts: string): string {
  return join(dirname(resolve(userArtifacts)), 'artifact-folders.json');
}

/** The remembered folders (absolute paths, in the order added); none when the file is absent or unreadable. */
export function readArtifactFolders(file: string): string[] {
  if (!existsSync(file)) return [];
  try {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { folders?: unknown };
    return Array.isArray(doc.folders) ? doc.folders.filter((f): f is string => typeof f === 'string' && isAbsolute(f)) : [];
  } catch {
    return []; // a damaged file: no extra folders (the user adds them again)
  }
}

/** Saves the folders, written whole (a temporary file renamed into place). */
export function writeArtifactFolders(file: string, folders: readonly string[]): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ folders }, null, 1) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

/** Why `path` cannot be added as an artifact folder, or undefined. */
export function folderProblem(path: unknown): string | undefined {
  if (typeof path !== 'string' || !isAbsolute(path)) return 'give the absolute path of a folder';
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return `${path} does not exist`;
  if (!st.isDirectory()) return `${path} is not a folder`;
  return undefined;
}
