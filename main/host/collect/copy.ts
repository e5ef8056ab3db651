/**
 * `copy(filename=, accessor=, dest=, permissions=, dir_permissions=, append=,
 * create_directories=)`: writes a file read through an accessor (`data` writes literal
 * content) to a path of this machine; returns the destination, or NULL with a log line.
 *
 * Writing outside the run's temp folder (run-files.ts; tempfile()/tempdir() paths are in it)
 * needs the opt-in that running programs needs (`allowExecve`: `--allow-execve` or the app's
 * setting), since a program could do the same; inside it, copy() is free (artifacts stage
 * files there, as Linux.Utils.InstallDeb does). The check is on the resolved path, and the
 * folder the file lands in is checked again after links are resolved, so `..` or a link
 * cannot lead out of the temp folder.
 */
import { constants } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { FunctionDef } from '../../vql/index.ts';
import { accessorFor, writeReader } from '../files/accessors.ts';
import { pathText } from '../files/ospath.ts';
import { runState } from './run-files.ts';
import { leadsOutOfTemp, outsideTemp } from './write-rule.ts';

export { COPY_DISABLED } from './write-rule.ts';

/** `0755`, `755` or `rwxr-xr-x` (a 10th leading type letter is ignored); undefined when neither. */
export function parsePermissions(text: string): number | undefined {
  if (/^0?[0-7]{3,4}$/.test(text)) return parseInt(text, 8) & 0o7777;
  const sym = text.length === 10 ? text.slice(1) : text;
  if (!/^([r-][w-][xsStT-]){3}$/.test(sym)) return undefined;
  let mode = 0;
  for (let i = 0; i < 9; i++) if (sym[i] !== '-' && sym[i] !== 'S' && sym[i] !== 'T') mode |= 1 << (8 - i);
  return mode;
}

export function copyFunction(allowed: boolean): FunctionDef {
  return {
    name: 'copy',
    doc: 'Copy a file (read through an accessor; accessor=data writes the text itself) to a path of this machine; returns the destination. Outside the query\'s temp folder it needs --allow-execve.',
    version: 3,
    args: {
      filename: { type: 'any', required: true, doc: 'The source (read through accessor)' },
      accessor: { type: 'string', doc: 'How to read the source (auto, data...)', default: 'auto' },
      dest: { type: 'string', required: true, doc: 'The destination: a path of this machine' },
      permissions: { type: 'string', doc: 'Mode of the destination: 0755, rwxr-xr-x, or x (0700), r (0400), w (0600)', default: '0600' },
      dir_permissions: { type: 'string', doc: 'Mode of folders made by create_directories', default: '0700' },
      append: { type: 'bool', doc: 'Append to the destination, which must exist' },
      create_directories: { type: 'bool', doc: 'Create the destination\'s folder (mkdir -p)' },
    },
    async run(call) {
      const { args, scope } = call;
      const log = call.log.bind(call);
      let dest = String(args.dest ?? '');
      if (!dest) {
        log('error', 'dest is empty');
        return null;
      }
      const perm = String(args.permissions ?? '0600');
      // Also tempfile()'s letters (Velociraptor's FetchBinary passes "x"): x 0700, r 0400, w 0600.
      const mode = /^[rwx]+$/.test(perm) ? (perm.includes('x') ? 0o700 : perm.includes('w') ? 0o600 : 0o400) : parsePermissions(perm);
      const dirMode = parsePermissions(String(args.dir_permissions ?? '0700'));
      if (mode === undefined || dirMode === undefined) {
        log('error', `permissions must be octal (0755), like rwxr-xr-x, or letters (x, r, w), not ${JSON.stringify(mode === undefined ? args.permissions : args.dir_permissions)}`);
        return null;
      }
      if (process.platform === 'win32' && mode & 0o111 && !dest.toLowerCase().endsWith('.exe')) dest += '.exe';
      dest = resolve(dest);
      const run = runState(scope);
      const outside = outsideTemp(run, allowed, dest, 'dest');
      if (outside) {
        log('error', outside);
        return null;
      }
      let accessor;
      try {
        accessor = accessorFor(scope, args.accessor);
      } catch (e) {
        log('error', `${(e as Error).message}`);
        return null;
      }
      try {
        if (args.create_directories === true) await mkdir(dirname(dest), { recursive: true, mode: dirMode });
        const leads = await leadsOutOfTemp(run, allowed, dest, 'dest');
        if (leads) {
          log('error', leads);
          return null;
        }
        if (args.append === true) await stat(dest); // Velociraptor appends only to an existing file.
        const flags = constants.O_WRONLY | (args.append === true ? constants.O_APPEND : constants.O_CREAT | constants.O_TRUNC) | (allowed ? 0 : constants.O_NOFOLLOW ?? 0);
        if (String(args.accessor ?? 'auto') !== 'data') log('info', `Copying file from ${pathText(args.filename)} into ${dest}`);
        const reader = await accessor.open(args.filename, scope);
        const out = await open(dest, flags, mode);
        try {
          if ((await writeReader(reader, out, scope.signal)) === null) return null;
        } finally {
          await out.close();
          await reader.close();
        }
        return dest;
      } catch (e) {
        log('error', `${pathText(args.filename)} to ${dest}: ${(e as Error).message}`);
        return null;
      }
    },
  };
}
