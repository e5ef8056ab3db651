/**
 * The NTFS volume a path names, opened once per query and kept while its image file does not
 * change (delegate.ts's keptContainer): a pathspec whose delegate (DelegateAccessor /
 * DelegatePath / Delegate) is the disk or partition image. A bare device (`\\.\C:`) cannot be
 * opened on this host: the error says to give an image (or map one with --remap).
 */
import type { Scope, Value } from '../../vql/index.ts';
import { delegateOf, keptContainer } from '../files/delegate.ts';
import { OSPath, pathText } from '../files/ospath.ts';
import { NtfsError } from './errors.ts';
import { IdleReader } from '../files/idle-reader.ts';
import { logOnce } from '../files/log.ts';
import { Volume } from './volume.ts';

const CACHE = Symbol('ntfs-volume-cache');
const VOLUMES_KEPT = 4;

export interface LoadedVolume {
  readonly volume: Volume;
  /** Identifies the volume in stat identities. */
  readonly id: string;
}

let nextId = 0;

/** The image file a path's delegate names, as text (for messages). */
export function volumeName(p: OSPath): string {
  return pathText((p.delegate?.spec ?? p.delegate?.path ?? '') as Value);
}

/** A first path component that names a device of this host: `\\.\C:`, `\\?\GLOBALROOT`, `C:`. */
export function isDeviceComponent(c: string): boolean {
  return /^\\\\[.?]\\|^[a-zA-Z]:$/.test(c);
}

/** The error for a path with no image: a device of this host, or nothing at all. */
export function noImageError(p: OSPath, self: string): Error {
  const first = p.components[0] ?? '';
  if (isDeviceComponent(first)) {
    const dev = /^[a-zA-Z]:$/.test(first) ? `\\\\.\\${first.toUpperCase()}` : first;
    return new Error(`${self} accessor: device ${dev} cannot be opened here: give a pathspec with DelegatePath= a disk image, or map one with --remap`);
  }
  return new Error(`${self} accessor: ${p.toString() || '(empty path)'} names no NTFS image: give a pathspec, e.g. pathspec(DelegatePath="/case/c.dd", Path="/Windows")`);
}

/** The volume `p`'s delegate names, opened once per query. */
export async function loadVolume(p: OSPath, scope: Scope, self: string): Promise<LoadedVolume> {
  if (!p.delegate || (!p.delegate.path && !p.delegate.spec)) {
    const e = noImageError(p, self);
    logOnce(scope, 'error', e.message);
    throw e;
  }
  const d = delegateOf(p, scope, self, '');
  return keptContainer(scope, CACHE, p, d, async (): Promise<LoadedVolume> => {
    const name = pathText(d.target as Value);
    try {
      const first = await d.accessor.open(d.target, scope);
      const reader = new IdleReader(() => d.accessor.open(d.target, scope), first.size, first);
      return { volume: await Volume.open(reader, name), id: `ntfs${++nextId}` };
    } catch (e) {
      const detail = e instanceof NtfsError ? e.message.replace(/^ntfs: /, '') : (e as Error).message;
      const msg = `${self} accessor: cannot open NTFS volume ${name}: ${detail}`;
      logOnce(scope, 'error', msg);
      throw new Error(msg);
    }
  }, { size: VOLUMES_KEPT, recheckMs: 1000, keepFailures: true });
}

/** The path a filename argument names: an OSPath as it is, a pathspec JSON, or a Windows device path. */
export function ntfsPath(filename: unknown): OSPath {
  if (filename instanceof OSPath) return filename;
  const text = pathText(filename as Value);
  if (text.trim().startsWith('{')) return OSPath.parse(text, 'pathspec');
  if (/^\\\\[.?]\\|^[a-zA-Z]:/.test(text)) return OSPath.parse(text, 'windows');
  return OSPath.parse(text, 'pathspec');
}
