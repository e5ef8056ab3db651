import type { FunctionDef } from '../../vql/index.ts';

/** `getpid()`: this process's id (VELOCIRAPTOR.md 4.5), e.g. `pslist(pid=getpid())`. */
export const getpid: FunctionDef = {
  name: 'getpid',
  doc: 'The process id of this VQL engine (use with pslist(pid=getpid())).',
  args: {},
  run: () => process.pid,
};
