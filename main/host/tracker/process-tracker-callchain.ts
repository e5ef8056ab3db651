/**
 * `process_tracker_callchain(id=, max_items=10)` (VQL-FUNCTIONS.md 7.3): the process's
 * ancestry as ProcessEntry dicts, the root first and the process last. It stops at a parent
 * the tracker does not know, and after max_items + 1 entries - never more than 11 (as in
 * Velociraptor). An unknown id gives an empty list.
 */
import type { FunctionDef } from '../../vql/index.ts';
import { globalTracker } from './global.ts';
import { entryDict, type Entry } from './tracker.ts';
import { idArgs } from './process-tracker-get.ts';

const MAX_CHAIN = 11;

export const processTrackerCallchain: FunctionDef = {
  name: 'process_tracker_callchain',
  doc: 'The call chain of a process from the process tracker: a list of entries, the root first, the process last (at most 11).',
  args: {
    ...idArgs,
    max_items: { type: 'int', doc: 'The most ancestors to follow', default: '10' },
  },
  async run({ args, scope }) {
    const tracker = globalTracker();
    const max = Math.min(MAX_CHAIN, (args.max_items === undefined ? 10 : Math.max(0, Number(args.max_items))) + 1);
    const chain: Entry[] = [];
    const seen = new Set<string>();
    let e = await tracker.get(String(args.id), scope);
    while (e && chain.length < max && !seen.has(e.id)) {
      chain.push(e);
      seen.add(e.id);
      e = e.parentId ? await tracker.get(e.parentId, scope) : null;
    }
    return chain.reverse().map((x) => entryDict(x, tracker.data(x)));
  },
};
