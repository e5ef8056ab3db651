/**
 * What the accessors that read a container file (`zip`, `raw_reg`) share: the accessor and path
 * of a pathspec's delegate (the container), and a stamp that tells when the container changed.
 */
import type { Scope } from '../../vql/index.ts';
import { accessorFor, type Accessor } from './accessors.ts';
import type { OSPath } from './ospath.ts';

/**
 * The accessor and path of `p`'s delegate (DelegateAccessor defaults to `auto`). Without one,
 * throws `<self> accessor: <path> <missing>`, where `missing` says what to give instead.
 */
export function delegateOf(p: OSPath, scope: Scope, self: string, missing: string): { accessor: Accessor; target: OSPath | string } {
  if (!p.delegate || (!p.delegate.path && !p.delegate.spec)) throw new Error(`${self} accessor: ${p.toString() || '(empty path)'} ${missing}`);
  return { accessor: accessorFor(scope, p.delegate.accessor || 'auto'), target: p.delegate.spec ?? p.delegate.path! };
}

/** The container's size and modification time as one string ('' when unknown): a changed stamp means read it again. */
export async function stampOf(accessor: Accessor, target: OSPath | string, scope: Scope): Promise<string> {
  if (!accessor.lstat) return '';
  try {
    const st = await accessor.lstat(typeof target === 'string' ? accessor.path(target) : target, scope);
    return `${st.size}:${st.mtime?.unixNano ?? ''}`;
  } catch {
    return '';
  }
}

/** The key of a path's delegate (accessor, path and nested pathspec): one cached container per key. */
export function delegateKey(p: OSPath): string {
  return JSON.stringify([p.delegate?.accessor ?? '', p.delegate?.path ?? '', p.delegate?.spec?.toString() ?? '']);
}

/** A parsed container kept for a query, with the stamp of the file it was read from. */
interface Kept<T> {
  readonly value: T;
  readonly stamp: string;
  /** When the stamp was last compared with the file's (performance.now()). */
  checked: number;
}

export interface KeptOptions {
  /** Containers kept per query; the least recently used is dropped. */
  readonly size: number;
  /** A kept container is used this long (ms) before the file's stamp is looked at again (default 0: at every call). */
  readonly recheckMs?: number;
  /** A container that failed to load stays failed for the query (its error said once); by default it is tried again at the next call. */
  readonly keepFailures?: boolean;
}

/**
 * The container `p`'s delegate names (a zip, a hive), parsed by `load` once per query and kept
 * in the session under `table` while the file's stamp (size and time) does not change.
 */
export async function keptContainer<T>(scope: Scope, table: symbol, p: OSPath, d: { accessor: Accessor; target: OSPath | string }, load: () => Promise<T>, opts: KeptOptions): Promise<T> {
  let cache = scope.env.context.get(table) as Map<string, Promise<Kept<T>>> | undefined;
  if (!cache) scope.env.context.set(table, (cache = new Map()));
  const key = delegateKey(p);
  const hit = cache.get(key);
  let stamp: string | undefined;
  if (hit) {
    const k = await hit.catch(() => null);
    const now = performance.now();
    if (k && now - k.checked < (opts.recheckMs ?? 0)) return k.value;
    if (!k && opts.keepFailures) return (await hit).value; // the same failure, already said
    stamp = await stampOf(d.accessor, d.target, scope);
    if (k && k.stamp === stamp) {
      k.checked = now;
      cache.delete(key);
      cache.set(key, hit); // most recently used last
      return k.value;
    }
    cache.delete(key);
  }
  const loading = (async (): Promise<Kept<T>> => {
    const st = stamp ?? (await stampOf(d.accessor, d.target, scope));
    return { value: await load(), stamp: st, checked: performance.now() };
  })();
  cache.set(key, loading);
  while (cache.size > opts.size) cache.delete(cache.keys().next().value!);
  if (!opts.keepFailures) loading.catch(() => cache.delete(key));
  return (await loading).value;
}
