/**
 * `process_tracker_get(id=)` (VQL-FUNCTIONS.md 7.3): the ProcessEntry of a process - `{Id,
 * ParentId, StartTime, EndTime, Data, Children}`, Data enriched - by real id
 * (`<pid>-<start>`) or bare pid (the newest process with that pid), or NULL.
 */
import type { FunctionDef } from '../../vql/index.ts';
import { globalTracker } from './global.ts';
import { entryDict } from './tracker.ts';
import { enrichedData } from './enrich.ts';

export const idArgs = {
  id: { type: 'string', required: true, doc: 'A tracker id (<pid>-<start seconds>) or a pid' },
} as const;

export const processTrackerGet: FunctionDef = {
  name: 'process_tracker_get',
  doc: 'The process tracker\'s entry for a process (a pid or a tracker id): {Id, ParentId, StartTime, EndTime, Data, Children}, or NULL.',
  args: {
    ...idArgs,
    max_items: { type: 'int', doc: 'Accepted and unused, as in Velociraptor' },
  },
  async run({ args, scope }) {
    const tracker = globalTracker();
    const e = await tracker.get(String(args.id), scope);
    if (!e) return null;
    return entryDict(e, await enrichedData(tracker, e, scope));
  },
};
