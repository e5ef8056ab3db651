/**
 * The process tracker (VQL-FUNCTIONS.md 7): process_tracker installs a tracker fed by polling
 * the process list (and update events); the others read the global tracker, or the dummy one
 * (this machine's process list) when none is installed.
 */
import type { Registry } from '../../vql/index.ts';
import type { HostOptions } from '../options.ts';
import { processTracker } from './process-tracker.ts';
import { processTrackerGet } from './process-tracker-get.ts';
import { processTrackerCallchain } from './process-tracker-callchain.ts';
import { processTrackerChildren } from './process-tracker-children.ts';
import { processTrackerTree } from './process-tracker-tree.ts';
import { processTrackerAll } from './process-tracker-all.ts';
import { processTrackerPslist } from './process-tracker-pslist.ts';
import { processTrackerUpdates } from './process-tracker-updates.ts';

export function registerTracker(registry: Registry, opts: HostOptions): void {
  void opts;
  for (const f of [processTracker, processTrackerGet, processTrackerCallchain, processTrackerChildren, processTrackerTree, processTrackerAll]) {
    registry.registerFunction(f);
  }
  registry.registerPlugin(processTrackerPslist);
  registry.registerPlugin(processTrackerUpdates);
}
