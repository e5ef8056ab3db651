/**
 * Opening a journal file through an accessor for parse_journald() and watch_journald(): local
 * files (accessors file and auto) through a file handle whose size is asked at each use (a
 * journal being written grows), other accessors through their reader.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Scope, Value } from '../../vql/index.ts';
import { localPath, type Accessor, type FileReader } from '../files/accessors.ts';
import type { ByteSource } from './reader.ts';

export interface OpenJournal extends ByteSource {
  /** The file's size now. */
  size(): Promise<number>;
  /** Device and inode of a local file (to notice a file replaced by another), or null. */
  identity(): Promise<string | null>;
  close(): Promise<void>;
}

function fromHandle(fh: FileHandle): OpenJournal {
  return {
    async read(offset, length) {
      const buf = Buffer.allocUnsafe(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    },
    async size() {
      return (await fh.stat()).size;
    },
    async identity() {
      const st = await fh.stat();
      return `${st.dev}:${st.ino}`;
    },
    close: () => fh.close(),
  };
}

function fromReader(r: FileReader): OpenJournal {
  return {
    read: (offset, length) => r.read(offset, length),
    async size() {
      if (r.size !== null) return r.size;
      // A stream of unknown size: as far as it can be read (bounded by the largest offset).
      return Number.MAX_SAFE_INTEGER;
    },
    identity: async () => null,
    close: () => r.close(),
  };
}

export function isLocal(accessor: Accessor): boolean {
  return accessor.name === 'file' || accessor.name === 'auto';
}

/** Opens `filename` with `accessor` (throws the accessor's error). */
export async function openJournal(accessor: Accessor, filename: Value, scope: Scope): Promise<OpenJournal> {
  if (isLocal(accessor)) {
    const path = localPath(accessor.path(filename));
    const fh = await open(path, 'r');
    if (!(await fh.stat()).isFile()) {
      await fh.close();
      throw Object.assign(new Error(`${path} is not a regular file`), { code: 'EISDIR' });
    }
    return fromHandle(fh);
  }
  return fromReader(await accessor.open(filename, scope));
}
