/**
 * The `file_nocase` accessor (Velociraptor's accessors/file: "retries case-insensitively by
 * listing parents"): this machine's files, with each path component matched without regard
 * to case, so a Windows image mounted on Linux can be read with the paths Windows artifacts
 * use (`/mnt/image/windows/system32/config/SOFTWARE` finds `Windows/System32/config/SOFTWARE`).
 *
 * Each component is tried as written first; when it does not exist, its directory is listed and
 * the entry whose name matches case-insensitively is used (an exact match wins; between
 * several that differ only by case, the first in name order). Listings show the real names.
 * Everything else is the `file` accessor's behaviour. On Windows and macOS, where the
 * filesystem is usually case-insensitive already, the first try finds the file.
 */
import { lstat, readdir } from 'node:fs/promises';
import { posix, win32 } from 'node:path';
import type { Registry, Scope, Value } from '../../vql/index.ts';
import { defaultAccessors, localPath, registerAccessor, type Accessor } from '../files/accessors.ts';
import { OSPath } from '../files/ospath.ts';

const file = defaultAccessors.find((a) => a.name === 'file')!;

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** The real path of `wanted` (a local path), resolving each missing component by case. */
export async function resolveNoCase(wanted: string, signal?: AbortSignal): Promise<string> {
  if (await exists(wanted)) return wanted;
  const pathMod = process.platform === 'win32' ? win32 : posix;
  const root = pathMod.parse(wanted).root;
  const parts = wanted.slice(root.length).split(pathMod.sep).filter((c) => c !== '' && c !== '.');
  let cur = root || '.';
  for (const part of parts) {
    if (signal?.aborted) throw new Error('cancelled');
    const exact = pathMod.join(cur, part);
    if (part === '..' || (await exists(exact))) {
      cur = exact;
      continue;
    }
    let names: string[];
    try {
      names = (await readdir(cur)).sort();
    } catch {
      names = [];
    }
    const lower = part.toLowerCase();
    const hit = names.find((n) => n.toLowerCase() === lower);
    if (hit === undefined) {
      const e = new Error(`ENOENT: no such file or directory (case-insensitive), '${wanted}'`) as NodeJS.ErrnoException;
      e.code = 'ENOENT';
      throw e;
    }
    cur = pathMod.join(cur, hit);
  }
  return cur;
}

/** The OSPath of the real file behind `p` (same components, real casing). */
async function realPath(p: OSPath, signal?: AbortSignal): Promise<OSPath> {
  const real = await resolveNoCase(localPath(p), signal);
  return real === localPath(p) ? p : OSPath.parse(real, p.type);
}

export const fileNocaseAccessor: Accessor = {
  name: 'file_nocase',
  doc: 'This machine\'s filesystem, each path component matched case-insensitively (for Windows paths on a mounted image)',
  path: (filename: Value) => file.path(filename),
  async open(filename: Value, scope: Scope) {
    const p = file.path(filename);
    return file.open(await realPath(p, scope.signal), scope);
  },
  async lstat(p: OSPath, scope?: Scope) {
    const st = await file.lstat!(await realPath(p, scope?.signal), scope);
    return st;
  },
  async stat(p: OSPath, scope?: Scope) {
    return file.stat!(await realPath(p, scope?.signal), scope);
  },
  async readDir(dir: OSPath, scope?: Scope) {
    const real = await realPath(dir, scope?.signal);
    const entries = await file.readDir!(real, scope);
    return entries;
  },
};

export function registerFileNocase(registry: Registry): void {
  registerAccessor(registry, fileNocaseAccessor);
}
