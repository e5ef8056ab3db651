import { userInfo } from 'node:os';
import type { FunctionDef } from '../../vql/index.ts';

/** `getpid()`: this process's id (VELOCIRAPTOR.md 4.5), e.g. `pslist(pid=getpid())`. */
export const getpid: FunctionDef = {
  name: 'getpid',
  doc: 'The process id of this VQL engine (use with pslist(pid=getpid())).',
  args: {},
  run: () => process.pid,
};

/**
 * `whoami()`: who runs the query. Velociraptor gives the query's principal (the user on a
 * server); on a workstation that is the account the engine runs as.
 */
export const whoami: FunctionDef = {
  name: 'whoami',
  doc: 'The name of the account this VQL engine runs as.',
  args: {},
  run: () => {
    try {
      return userInfo().username;
    } catch {
      // No passwd entry for our uid (a container): the environment's name, or the uid.
      return process.env.USER ?? process.env.USERNAME ?? (typeof process.getuid === 'function' ? String(process.getuid()) : null);
    }
  },
};
