/**
 * The workbench's file picker on the host's side (`files:list`): the entries of one folder of
 * the machine that runs the host, so the page can offer a path to `table:open`. In a browser
 * the page cannot learn a file's path from <input type=file>, and uploading gigabytes of logs
 * to the process that could read them in place is wrong; in Electron the same picker serves.
 *
 * It lists names, kinds, sizes and times, never contents. What it may list is what `table:open`
 * may read already (any file the user can read), so it widens nothing; hidden names (`.x`) are
 * left out unless asked for. A folder with a huge number of entries is cut at MAX_LIST_ENTRIES
 * (folders first) and says so. The payload is checked here: the renderer is input, not a
 * trusted caller.
 */
import { lstat, readdir, stat } from 'node:fs/promises';
import type { Dirent, Stats } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import type { FileEntry, FileListing, FileListRequest, Result } from '../ipc/contract.ts';
import type { Handlers } from './service.ts';
import { fail, ok } from './service.ts';

/** Most entries one listing returns (the picker asks the user to type a path past that). */
export const MAX_LIST_ENTRIES = 5000;
/** Entries stat'ed at once. */
const STAT_BATCH = 64;

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name, 'en', { numeric: true, sensitivity: 'base' }) || (a.name < b.name ? -1 : 1);

/** `~` and `~/x` (or `~\x`) under the home folder; anything else as it is. */
export function expandHome(path: string, home = homedir()): string {
  if (path === '~') return home;
  if (path.startsWith('~/') || path.startsWith('~\\')) return join(home, path.slice(2));
  return path;
}

/** The entry of `d` in `dir`: links followed (a link to a folder is a folder), a broken one is `other`. */
async function entryOf(dir: string, d: Dirent): Promise<FileEntry> {
  const path = join(dir, d.name);
  let st: Stats | null = null;
  try {
    st = await stat(path);
  } catch {
    st = await lstat(path).catch(() => null);
  }
  const kind: FileEntry['kind'] = st?.isDirectory() ? 'dir' : st?.isFile() ? 'file' : 'other';
  return { name: d.name, kind, size: kind === 'file' ? st!.size : 0, mtime: st ? Math.round(st.mtimeMs) : 0 };
}

/** Lists one folder (see the module doc). Errors say which folder and why. */
export async function listFolder(req: FileListRequest | null | undefined): Promise<Result<FileListing>> {
  if (req !== undefined && req !== null && (typeof req !== 'object' || Array.isArray(req))) {
    return fail('BadRequest', 'files:list takes { dir?: string, hidden?: boolean }');
  }
  const r = req ?? {};
  if (r.dir !== undefined && typeof r.dir !== 'string') return fail('BadRequest', 'files:list: dir must be a path (text)');
  if (r.dir !== undefined && (r.dir.length > 4096 || r.dir.includes('\0'))) return fail('BadRequest', 'files:list: that is not a path');
  const home = homedir();
  const typed = (r.dir ?? '').trim();
  const expanded = typed === '' ? home : expandHome(typed, home);
  if (!isAbsolute(expanded)) return fail('BadRequest', `${typed} is not an absolute path: start it with ${sep === '/' ? '/' : 'a drive (C:\\)'} or ~`);
  const dir = resolve(expanded);
  let dirents: Dirent[];
  try {
    dirents = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return fail('NotFound', `${dir} does not exist`);
    if (code === 'ENOTDIR') return fail('NotADirectory', `${dir} is a file, not a folder`);
    if (code === 'EACCES' || code === 'EPERM') return fail('Refused', `${dir} cannot be listed (permission denied)`);
    return fail('ListFailed', `${dir} cannot be listed: ${(e as Error).message}`);
  }
  const shown = r.hidden === true ? dirents : dirents.filter((d) => !d.name.startsWith('.'));
  // Folders first (a link may be either: it is placed once stat'ed), then by name; at most MAX_LIST_ENTRIES stat'ed.
  const ordered = [...shown].sort((a, b) => Number(b.isDirectory()) - Number(a.isDirectory()) || byName(a, b));
  const taken = ordered.slice(0, MAX_LIST_ENTRIES);
  const entries: FileEntry[] = [];
  for (let i = 0; i < taken.length; i += STAT_BATCH) {
    entries.push(...(await Promise.all(taken.slice(i, i + STAT_BATCH).map((d) => entryOf(dir, d)))));
  }
  const rank = (e: FileEntry) => (e.kind === 'dir' ? 0 : 1);
  entries.sort((a, b) => rank(a) - rank(b) || byName(a, b));
  const up = dirname(dir);
  return ok({ dir, parent: up === dir ? null : up, home, sep: sep === '\\' ? '\\' : '/', entries, truncated: ordered.length > taken.length });
}

/** The files:* handlers. */
export function fileHandlers(): Pick<Handlers, 'files:list'> {
  return { 'files:list': (req) => listFolder(req) };
}
