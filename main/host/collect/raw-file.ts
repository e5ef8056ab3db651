/**
 * The `raw_file` accessor (VQL-FUNCTIONS.md 10.3): the path string is handed to the OS as it
 * is, one component, never parsed (`/dev/sda`, `\\.\PhysicalDrive0`), so devices and other
 * files that are not regular can be read at any offset. Its size is the file's when the OS
 * knows it, else unknown (a device is read to its end). It cannot list directories, so it
 * cannot be globbed.
 */
import { lstat, stat } from 'node:fs/promises';
import { localFileReader, registerAccessor, type Accessor } from '../files/accessors.ts';
import { NodeStat } from '../files/fileinfo.ts';
import { OSPath, pathText } from '../files/ospath.ts';
import type { Registry } from '../../vql/index.ts';

/** A raw path: one component, printed as it is. */
export class RawPath extends OSPath {
  constructor(text: string) {
    super([text], 'generic');
  }
  override get path(): string {
    return this.components[0] ?? '';
  }
}

function rawPath(filename: unknown): RawPath {
  return filename instanceof RawPath ? filename : new RawPath(pathText(filename as never));
}

export const rawFileAccessor: Accessor = {
  name: 'raw_file',
  doc: 'A file or device read as it is, at any offset (the path is passed to the OS unchanged: /dev/sda, \\\\.\\PhysicalDrive0)',
  path: rawPath,
  async open(filename) {
    return localFileReader(rawPath(filename).path);
  },
  async lstat(p) {
    const raw = rawPath(p);
    return new NodeStat(raw, raw.path, await lstat(raw.path, { bigint: true }));
  },
  async stat(p) {
    const raw = rawPath(p);
    return new NodeStat(raw, raw.path, await stat(raw.path, { bigint: true }));
  },
};

export function registerRawFile(registry: Registry): void {
  registerAccessor(registry, rawFileAccessor);
}
