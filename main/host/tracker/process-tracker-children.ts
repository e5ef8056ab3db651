/**
 * `process_tracker_children(id=, max_items=100)` (VQL-FUNCTIONS.md 7.3): the direct children
 * of a process that the tracker still holds, as ProcessEntry dicts (up to max_items + 1, as in
 * Velociraptor). The dummy tracker knows no children.
 */
import type { FunctionDef } from '../../vql/index.ts';
import { globalTracker } from './global.ts';
import { entryDict, type Entry } from './tracker.ts';
import { idArgs } from './process-tracker-get.ts';

export const processTrackerChildren: FunctionDef = {
  name: 'process_tracker_children',
  doc: 'The direct children of a process that the process tracker knows (a list of entries).',
  args: {
    ...idArgs,
    max_items: { type: 'int', doc: 'The most children to return (plus one, as in Velociraptor)', default: '100' },
  },
  async run({ args, scope }) {
    const tracker = globalTracker();
    const max = (args.max_items === undefined ? 100 : Math.max(0, Number(args.max_items))) + 1;
    const e = await tracker.get(String(args.id), scope);
    if (!e) return [];
    const out: Entry[] = [];
    for (const id of e.children) {
      if (out.length >= max) break;
      const c = await tracker.get(id, scope);
      if (c) out.push(c);
    }
    return out.map((x) => entryDict(x, tracker.data(x)));
  },
};
