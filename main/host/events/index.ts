/**
 * Event plugins that follow files forever: watch_syslog and watch_jsonl (Velociraptor's
 * file-tailing event sources), and fifo (a background cache of an event query's latest rows),
 * so that Linux event artifacts run under `vql monitor`.
 */
import type { Registry } from '../../vql/index.ts';
import type { HostOptions } from '../options.ts';
import { watchSyslog } from './watch-syslog.ts';
import { watchJsonl } from './watch-jsonl.ts';
import { fifo } from './fifo.ts';

export function registerEvents(registry: Registry, opts: HostOptions): void {
  void opts;
  registry.registerPlugin(watchSyslog);
  registry.registerPlugin(watchJsonl);
  registry.registerPlugin(fifo);
}
