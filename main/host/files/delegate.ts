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
