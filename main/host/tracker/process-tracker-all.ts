/** `process_tracker_all()` (VQL-FUNCTIONS.md 7.3): every entry the process tracker holds, as ProcessEntry dicts. */
import type { FunctionDef } from '../../vql/index.ts';
import { globalTracker } from './global.ts';
import { entryDict } from './tracker.ts';

export const processTrackerAll: FunctionDef = {
  name: 'process_tracker_all',
  doc: 'Every process the process tracker knows (a list of entries, ended ones included).',
  args: {},
  async run({ scope }) {
    const tracker = globalTracker();
    return (await tracker.all(scope)).map((e) => entryDict(e, tracker.data(e)));
  },
};
