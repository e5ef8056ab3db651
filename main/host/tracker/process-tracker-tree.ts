/**
 * `process_tracker_tree(id=, max_items=1000, data_callback=)` (VQL-FUNCTIONS.md 7.3): the
 * process and its descendants as nested nodes `{name, id, start_time, data, children}` (name:
 * Data.Name, or the id), children sorted by start time, at most 20 levels deep and max_items
 * nodes (then `Exceeding number of items in tree output` is logged). Data is enriched.
 * NULL for an unknown id. `data_callback` is accepted and unused, as in Velociraptor.
 */
import { ABSENT, VDict, VTime, type FunctionDef, type Scope } from '../../vql/index.ts';
import { globalTracker } from './global.ts';
import { ZERO_TIME, type Entry, type Tracker } from './tracker.ts';
import { enrichedData } from './enrich.ts';
import { idArgs } from './process-tracker-get.ts';

const MAX_DEPTH = 20;

export const processTrackerTree: FunctionDef = {
  name: 'process_tracker_tree',
  doc: 'A process and its descendants from the process tracker as a tree: {name, id, start_time, data, children: [...]}.',
  args: {
    ...idArgs,
    max_items: { type: 'int', doc: 'The most nodes in the tree', default: '1000' },
    data_callback: { type: 'string', doc: 'Accepted and unused, as in Velociraptor' },
  },
  async run(call) {
    const { args, scope } = call;
    const tracker = globalTracker();
    const root = await tracker.get(String(args.id), scope);
    if (!root) return null;
    const budget = { left: args.max_items === undefined ? 1000 : Math.max(1, Number(args.max_items)), logged: false };
    return node(tracker, root, scope, 0, budget, () => {
      if (!budget.logged) call.log('warn', 'Exceeding number of items in tree output');
      budget.logged = true;
    });
  },
};

async function node(tracker: Tracker, e: Entry, scope: Scope, depth: number, budget: { left: number }, exceeded: () => void): Promise<VDict> {
  budget.left--;
  const data = await enrichedData(tracker, e, scope);
  const name = data.get('Name');
  const children: VDict[] = [];
  if (depth < MAX_DEPTH) {
    const kids: Entry[] = [];
    for (const id of e.children) {
      const c = await tracker.get(id, scope);
      if (c) kids.push(c);
    }
    kids.sort((a, b) => (a.startMs ?? 0) - (b.startMs ?? 0));
    for (const c of kids) {
      if (budget.left <= 0) {
        exceeded();
        break;
      }
      children.push(await node(tracker, c, scope, depth + 1, budget, exceeded));
    }
  }
  return new VDict([
    ['name', name === ABSENT || name === null || name === '' ? e.id : name],
    ['id', e.id],
    ['start_time', e.startMs === null ? ZERO_TIME : VTime.fromMillis(e.startMs)],
    ['data', data],
    ['children', children],
  ]);
}
