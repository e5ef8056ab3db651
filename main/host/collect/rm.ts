/**
 * `rm(filename=)`: removes a file (or an empty folder) of this machine: a plain OS path, no
 * accessor. As Velociraptor: `false` when the file does not exist or access is denied;
 * otherwise `true`, even when the removal failed (a busy file): that is logged and tried
 * again when the run ends, up to 10 times.
 *
 * Changing files stays behind the opt-in that running programs needs (`allowExecve`:
 * `--allow-execve`, or the app's setting), since a program could do the same: without it,
 * rm() logs how to allow it and returns false.
 */
import { lstat, rmdir, unlink } from 'node:fs/promises';
import type { FunctionDef } from '../../vql/index.ts';
import { pathText } from '../files/ospath.ts';
import { runState } from './run-files.ts';

export const RM_DISABLED =
  "removing files is disabled: it needs --allow-execve (CLI) or 'Allow artifacts to run programs' in the app settings";

export function rmFunction(allowed: boolean): FunctionDef {
  return {
    name: 'rm',
    doc: 'Remove a file (an OS path). true when removed (or to be retried at the end of the run), false when absent or denied. Needs --allow-execve.',
    args: {
      filename: { type: 'any', required: true, doc: 'The file to remove: a path of this machine' },
    },
    async run(call) {
      const { args, scope } = call;
      if (!allowed) {
        call.log('error', RM_DISABLED);
        return false;
      }
      const path = pathText(args.filename);
      if (!path) {
        call.log('error', 'filename is empty');
        return false;
      }
      let isDir: boolean;
      try {
        isDir = (await lstat(path)).isDirectory();
      } catch (e) {
        call.log('debug', `${path}: ${(e as Error).message}`);
        return false;
      }
      try {
        // A folder only when empty (Go's os.Remove): never a whole tree.
        if (isDir) await rmdir(path);
        else await unlink(path);
      } catch (e) {
        call.log('warn', `${path}: ${(e as Error).message} (tried again when the query ends)`);
        runState(scope).removeLater(path);
      }
      return true;
    },
  };
}
