/**
 * The systemd journal (issue 10): parse_journald() reads journal files, watch_journald()
 * follows one forever, so that Linux.Forensics.Journal and Linux.Events.Journal run here.
 */
import type { Registry } from '../../vql/index.ts';
import type { HostOptions } from '../options.ts';
import { parseJournald } from './parse_journald.ts';
import { watchJournald } from './watch_journald.ts';

export { parseJournald, watchJournald };

export function registerJournald(registry: Registry, opts: HostOptions): void {
  void opts;
  registry.registerPlugin(parseJournald);
  registry.registerPlugin(watchJournald);
}
