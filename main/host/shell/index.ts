/**
 * Interactive shell sessions: shell_session() starts a long-running program once per name and
 * streams its transcript, shell_session_control() writes to it. Both only run programs when
 * the user allowed it (`opts.allowExecve`), as execve().
 */
import type { Registry } from '../../vql/index.ts';
import type { HostOptions } from '../options.ts';
import { shellSession } from './shell_session.ts';
import { shellSessionControl } from './shell_session_control.ts';

export function registerShell(registry: Registry, opts: HostOptions): void {
  registry.registerFunction(shellSession(opts.allowExecve === true));
  registry.registerFunction(shellSessionControl(opts.allowExecve === true));
}
