/**
 * `mkdir(path=, accessor=)` (Velociraptor 0.7+): creates a folder of this machine, with the
 * folders above it that are missing (as `mkdir -p` and Go's os.MkdirAll), mode 0700. TRUE when
 * the folder exists afterwards (also when it already did); FALSE with a log line otherwise.
 * Only `file` / `auto` can be written.
 *
 * Outside the run's temp folder it needs the opt-in of copy() (`allowExecve`). Inside it, the
 * folders are made one level at a time, each only after its parent's real path is found to be
 * in the temp folder (as copy() checks its destination's folder), so neither `..` nor a link
 * leads out of it.
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { FunctionDef } from '../../vql/index.ts';
import { pathText } from '../files/ospath.ts';
import { leadsOutOfTemp, outsideTemp, unwritableAccessor } from './write-rule.ts';
import { runState } from './run-files.ts';

const MODE = 0o700;

async function isDir(path: string): Promise<boolean | null> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return null;
  }
}

export function mkdirFunction(allowed: boolean): FunctionDef {
  return {
    name: 'mkdir',
    doc: 'Create a folder of this machine (and the missing folders above it); TRUE when it exists afterwards. Outside the query\'s temp folder it needs --allow-execve.',
    args: {
      path: { type: 'any', required: true, doc: 'The folder to create: a path of this machine' },
      accessor: { type: 'string', doc: 'Only file (or auto): the files of this machine', default: 'auto' },
    },
    onArgError: false,
    async run(call) {
      const log = call.log.bind(call);
      const bad = unwritableAccessor(call.args.accessor);
      if (bad) {
        log('error', bad);
        return false;
      }
      const given = pathText(call.args.path);
      if (!given) {
        log('error', 'path is empty');
        return false;
      }
      const path = resolve(given);
      try {
        if (allowed) {
          await mkdir(path, { recursive: true, mode: MODE });
        } else {
          const run = runState(call.scope);
          const outside = outsideTemp(run, false, path, 'path');
          if (outside) {
            log('error', outside);
            return false;
          }
          run.tempFolder();
          const missing: string[] = [];
          for (let p = path; (await isDir(p)) === null && dirname(p) !== p; p = dirname(p)) missing.unshift(p);
          for (const p of missing.length ? missing : [path]) {
            const leads = await leadsOutOfTemp(run, false, p, 'path');
            if (leads) {
              log('error', leads);
              return false;
            }
            if (missing.length) await mkdir(p, { mode: MODE }).catch((e: NodeJS.ErrnoException) => {
              if (e.code !== 'EEXIST') throw e;
            });
          }
        }
        if ((await isDir(path)) !== true) {
          log('error', `${path}: exists and is not a folder`);
          return false;
        }
        return true;
      } catch (e) {
        log('error', `${path}: ${(e as Error).message}`);
        return false;
      }
    },
  };
}
