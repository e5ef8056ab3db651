/**
 * `process_tracker_pslist()` (VQL-FUNCTIONS.md 7.3): one row per process the tracker knows -
 * the entry's Data (the data columns plus Pid, Ppid, StartTime, EndTime). With the dummy
 * tracker these are this machine's pslist rows (Pid and Ppid numbers, EndTime zero); with a
 * real one, ended processes too, Pid and Ppid being tracker ids.
 */
import type { PluginDef } from '../../vql/index.ts';
import { globalTracker } from './global.ts';

export const processTrackerPslist: PluginDef = {
  name: 'process_tracker_pslist',
  doc: 'The processes the process tracker knows, one row each (its Data: pslist columns or the sync query\'s data, plus Pid, Ppid, StartTime, EndTime).',
  args: {},
  async *run({ scope, signal }) {
    const tracker = globalTracker();
    for (const e of await tracker.all(scope)) {
      if (signal.aborted) return;
      yield tracker.data(e);
    }
  },
};
