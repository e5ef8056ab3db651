/**
 * Process and system plugins and functions: pslist, info (plugin and function), getpid, whoami,
 * environ, rate, diff, execve (only runs programs when `opts.allowExecve`).
 */
import type { Registry } from '../../vql/index.ts';
import type { HostOptions } from '../options.ts';
import { pslist } from './pslist.ts';
import { getpid, whoami } from './getpid.ts';
import { infoFunction, infoPlugin } from './info.ts';
import { environ } from './environ.ts';
import { rate } from './rate.ts';
import { diff } from './diff.ts';
import { execvePlugin } from './execve.ts';

export function registerSystem(registry: Registry, opts: HostOptions): void {
  registry.registerPlugin(pslist);
  registry.registerPlugin(infoPlugin);
  registry.registerFunction(infoFunction);
  registry.registerFunction(getpid);
  registry.registerFunction(whoami);
  registry.registerPlugin(environ);
  registry.registerFunction(rate);
  registry.registerPlugin(diff);
  registry.registerPlugin(execvePlugin(opts.allowExecve === true));
}
