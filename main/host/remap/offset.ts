/**
 * The `offset` accessor (Velociraptor's accessors/offset): the bytes of a delegate file from a
 * byte offset on, as a file of its own. Its pathspec's delegate names the file and its Path is
 * the offset in decimal: a partition inside a disk image,
 *
 *     pathspec(DelegateAccessor="offset",
 *              Delegate=pathspec(DelegateAccessor="file", DelegatePath=Image, Path="1048576"))
 *
 * (the Delegate is the offset accessor's path). Reads past the end of the file give nothing.
 */
import type { Scope, Value } from '../../vql/index.ts';
import { accessorFor, type Accessor, type FileReader } from '../files/accessors.ts';
import { OSPath, pathText, toOSPath } from '../files/ospath.ts';

/** The byte offset a path names (its Path, decimal; `0x` hex is taken too). */
export function offsetOf(p: OSPath): number {
  const text = p.components.join('');
  const n = /^\d+$/.test(text) ? Number(text) : /^0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text.slice(2), 16) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new Error(`offset accessor: the Path of ${p.toString()} must be a byte offset in decimal (e.g. "1048576"), not ${JSON.stringify(p.path)}`);
  }
  return n;
}

export const offsetAccessor: Accessor = {
  name: 'offset',
  doc: 'The bytes of a delegate file from an offset on (a pathspec: the delegate names the file, Path is the byte offset in decimal)',
  path: (filename: Value) => toOSPath(filename, 'pathspec'),
  async open(filename: Value, scope: Scope): Promise<FileReader> {
    const p = toOSPath(filename, 'pathspec');
    if (!p.delegate || (!p.delegate.path && !p.delegate.spec)) {
      throw new Error(`offset accessor: ${pathText(filename) || '(empty path)'} names no file: give a pathspec, e.g. pathspec(DelegateAccessor="file", DelegatePath="/case/disk.dd", Path="1048576")`);
    }
    const start = offsetOf(p);
    const delegate = accessorFor(scope, p.delegate.accessor || 'auto');
    const inner = await delegate.open(p.delegate.spec ?? p.delegate.path ?? '', scope);
    return {
      size: inner.size === null ? null : Math.max(0, inner.size - start),
      read: (offset, length) => inner.read(start + offset, length),
      close: () => inner.close(),
    };
  },
};
