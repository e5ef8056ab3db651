/**
 * Group counts (`table:groups`: each combination of the grouped columns with its count) as the
 * collapsible tree the panel shows: a level per grouped column, each node counting the rows
 * under it, largest first. Clicking a node filters the grid to it: one kept value per level
 * (`filterOf`). Value counts (`table:values`) get their percentages here too. No DOM.
 */
import type { TableCell, TableGroups, TableValues } from '../../../main/ipc/contract.ts';
import type { ValueFilter } from './spec.ts';

export interface GroupNode {
  /** Unique among all nodes (the values on the way down, as JSON). */
  key: string;
  /** The column of this level. */
  column: string;
  value: TableCell;
  /** The values from the top level down to this one. */
  path: TableCell[];
  depth: number;
  count: number;
  children: GroupNode[];
}

/** The tree of `g` (its columns are the levels). */
export function groupTree(g: TableGroups): GroupNode[] {
  const top: GroupNode[] = [];
  const index = new Map<string, GroupNode>();
  for (const { values, count } of g.groups) {
    let level = top;
    for (let d = 0; d < g.columns.length; d++) {
      const path = values.slice(0, d + 1);
      const key = JSON.stringify(path);
      let node = index.get(key);
      if (!node) {
        node = { key, column: g.columns[d]!.name, value: values[d] ?? null, path, depth: d, count: 0, children: [] };
        index.set(key, node);
        level.push(node);
      }
      node.count += count;
      level = node.children;
    }
  }
  const sort = (nodes: GroupNode[]) => {
    nodes.sort((a, b) => b.count - a.count);
    for (const n of nodes) sort(n.children);
  };
  sort(top);
  return top;
}

/** The nodes shown with `open` keys expanded, in order (for a flat, keyboard-friendly list). */
export function visibleNodes(tree: readonly GroupNode[], open: ReadonlySet<string>): GroupNode[] {
  const out: GroupNode[] = [];
  const walk = (nodes: readonly GroupNode[]) => {
    for (const n of nodes) {
      out.push(n);
      if (open.has(n.key)) walk(n.children);
    }
  };
  walk(tree);
  return out;
}

/** The value filters that show exactly a group's rows. */
export function filterOf(node: GroupNode, columns: readonly string[]): ValueFilter[] {
  return node.path.map((value, d) => ({ column: columns[d]!, value, exclude: false }));
}

/** Each top value with its share of the rows, as text ("12.5%", "33.3%", "<0.1%"). */
export function valueShares(v: TableValues): Array<{ value: TableCell; count: number; percent: string; fraction: number }> {
  return v.values.map(({ value, count }) => {
    const fraction = v.rows ? count / v.rows : 0;
    const p = fraction * 100;
    const percent = count === 0 ? '0%' : p < 0.1 ? '<0.1%' : `${Math.round(p * 10) / 10}%`;
    return { value, count, percent, fraction };
  });
}
