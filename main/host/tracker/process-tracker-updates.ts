/**
 * `process_tracker_updates()` (VQL-FUNCTIONS.md 7.3): the tracker's changes as an event
 * stream of `{Id, ParentId, UpdateType, StartTime, EndTime, Data}` (a Go struct: Go field
 * names only). The first row is a `sync` whose Data maps every id to its entry; then every
 * `start`, `exit` and periodic `sync`, until the query is cancelled or the tracker is
 * uninstalled. With the dummy tracker: the first row only.
 */
import { VDict, type PluginDef } from '../../vql/index.ts';
import { globalTracker } from './global.ts';
import { entryDict, updateRow } from './tracker.ts';

export const processTrackerUpdates: PluginDef = {
  name: 'process_tracker_updates',
  category: 'event',
  doc: 'The process tracker\'s updates as events: {Id, ParentId, UpdateType (sync, start, exit), StartTime, EndTime, Data}.',
  args: {},
  async *run({ scope, signal }) {
    const tracker = globalTracker();
    const queue = tracker.subscribe?.();
    try {
      const all = await tracker.all(scope);
      yield updateRow('sync', null, new VDict(all.map((e) => [e.id, entryDict(e, tracker.data(e))])));
      if (!queue) return;
      while (!signal.aborted && !queue.closed) {
        for (const row of await queue.take(signal)) yield row;
      }
    } finally {
      queue?.close();
    }
  },
};
