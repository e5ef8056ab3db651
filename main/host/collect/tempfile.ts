/**
 * `tempfile(data=, extension=, permissions=, remove_last=)` and `tempdir(remove_last=)`: a new
 * file (holding `data`, one string after another) or folder in the run's temp folder
 * (run-files.ts), named `tmp<random><extension>`. They are removed when the run ends, with the
 * temp folder: always as late as Velociraptor's `remove_last=TRUE` (our queries have no
 * per-scope end to remove them earlier at). On error: a log line and `false`, as Velociraptor.
 */
import { randomInt } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FunctionDef, Value } from '../../vql/index.ts';
import { textBytes } from '../files/text.ts';
import { runState } from './run-files.ts';

/** `tmp` and 9 random digits, as Go's os.CreateTemp names them. */
function tempName(ext: string): string {
  return `tmp${randomInt(1e9).toString().padStart(9, '0')}${ext}`;
}

/** The mode of `permissions=`: `x` executable (0700), `r` read-only (0400), else 0600. */
function modeOf(permissions: string): number {
  if (permissions.includes('x')) return 0o700;
  if (permissions.includes('r')) return 0o400;
  return 0o600;
}

function dataParts(v: Value): Uint8Array[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map(textBytes);
}

export const tempfile: FunctionDef = {
  name: 'tempfile',
  doc: 'Create a file in the run\'s temp folder holding `data`; returns its path. Removed when the run ends.',
  args: {
    data: { type: 'any', doc: 'Text written to the file (a string, or a list written one after another)' },
    extension: { type: 'string', doc: 'Suffix of the file name, e.g. .exe' },
    permissions: { type: 'string', doc: 'x: executable (0700; on Windows the name gets .exe), r: read-only (0400); default 0600' },
    remove_last: { type: 'bool', doc: 'Remove at the end of the whole query (ours always are: accepted for compatibility)' },
  },
  async run(call) {
    const { args, scope } = call;
    const permissions = String(args.permissions ?? '');
    let ext = String(args.extension ?? '');
    if (process.platform === 'win32' && permissions.includes('x') && !ext.toLowerCase().endsWith('.exe')) ext += '.exe';
    try {
      const path = join(runState(scope).tempFolder(), tempName(ext));
      const parts = dataParts(args.data);
      await writeFile(path, parts.length === 1 ? parts[0]! : Buffer.concat(parts), { mode: modeOf(permissions), flag: 'wx' });
      return path;
    } catch (e) {
      call.log('error', `${(e as Error).message}`);
      return false;
    }
  },
};

export const tempdir: FunctionDef = {
  name: 'tempdir',
  doc: 'Create a folder in the run\'s temp folder; returns its path. Removed (with what it holds) when the run ends.',
  args: {
    remove_last: { type: 'bool', doc: 'Remove at the end of the whole query (ours always are: accepted for compatibility)' },
  },
  async run(call) {
    try {
      const path = join(runState(call.scope).tempFolder(), tempName(''));
      await mkdir(path, { mode: 0o700 });
      return path;
    } catch (e) {
      call.log('error', `${(e as Error).message}`);
      return false;
    }
  },
};
