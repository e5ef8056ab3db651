/**
 * The logic of a split between two panes (the component is components/layout/Split.svelte):
 * the size of the sized pane kept between its minimum and what leaves the other pane its
 * minimum, the separator's keys (arrows move it, Shift moves further, Home and End go to the
 * ends, Enter collapses and restores the pane), and the size and collapsed state remembered in
 * localStorage under `vql-workbench.layout.<id>`. No DOM, no Svelte: tested in Node.
 */

/** Pixels one arrow key moves the separator (`SHIFT_STEP` with Shift). */
export const STEP = 16;
export const SHIFT_STEP = 64;

export interface SplitLimits {
  /** The sized pane's smallest size (px). */
  min: number;
  /** Its largest size (px), if any. */
  max?: number;
  /** What the other pane keeps at least (px). */
  minRest: number;
  /** The split's whole length along its direction (px); 0 while it is not laid out (a hidden tab). */
  total: number;
  /** The separator's thickness (px). */
  handle: number;
}

/** The largest size the sized pane may take. */
export function maxSize(l: SplitLimits): number {
  const room = l.total > 0 ? l.total - l.minRest - l.handle : Infinity;
  return Math.max(l.min, Math.min(l.max ?? Infinity, room));
}

/** `size` within the limits, in whole pixels (the pane's minimum wins when the window is too small for both). */
export function clampSize(size: number, l: SplitLimits): number {
  const hi = maxSize(l);
  return Math.round(Math.max(l.min, Math.min(hi, Number.isFinite(size) ? size : l.min)));
}

/**
 * The sized pane's new size after the separator moved by `delta` px (right or down positive):
 * the first pane grows with it, the second shrinks.
 */
export function moved(start: number, delta: number, sized: 'first' | 'second', l: SplitLimits): number {
  return clampSize(start + (sized === 'first' ? delta : -delta), l);
}

export type KeyResult = { size: number } | { toggle: true } | null;

/**
 * What a key on the separator does: `{ size }` to resize, `{ toggle }` to collapse or restore
 * (Enter, when the pane may collapse), null for keys it does not handle. A row split (panes side
 * by side) moves with Left/Right, a column split with Up/Down.
 */
export function keyResult(key: string, shift: boolean, o: { direction: 'row' | 'column'; sized: 'first' | 'second'; size: number; collapsible: boolean; limits: SplitLimits }): KeyResult {
  const step = shift ? SHIFT_STEP : STEP;
  const [back, forward] = o.direction === 'row' ? ['ArrowLeft', 'ArrowRight'] : ['ArrowUp', 'ArrowDown'];
  if (key === back) return { size: moved(o.size, -step, o.sized, o.limits) };
  if (key === forward) return { size: moved(o.size, step, o.sized, o.limits) };
  // Home and End put the separator at the start and at the end of its travel.
  if (key === 'Home') return { size: o.sized === 'first' ? o.limits.min : maxSize(o.limits) };
  if (key === 'End') return { size: o.sized === 'first' ? maxSize(o.limits) : o.limits.min };
  if (key === 'Enter' && o.collapsible) return { toggle: true };
  return null;
}

/** What localStorage needs to offer (tests pass a Map-backed object). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface SplitState {
  /** The size the user chose (px), or null for the default. */
  size: number | null;
  collapsed: boolean;
}

export const storageKey = (id: string) => `vql-workbench.layout.${id}`;

/** The remembered state of split `id`; nothing remembered (or a broken or foreign value) reads as the default. */
export function readSplit(store: KeyValueStore | null, id: string): SplitState {
  const none = { size: null, collapsed: false };
  let text: string | null = null;
  try {
    text = store?.getItem(storageKey(id)) ?? null;
  } catch {
    return none;
  }
  if (!text) return none;
  try {
    const v = JSON.parse(text) as { size?: unknown; collapsed?: unknown };
    const size = typeof v.size === 'number' && Number.isFinite(v.size) && v.size >= 0 ? v.size : null;
    return { size, collapsed: v.collapsed === true };
  } catch {
    return none;
  }
}

/** Remembers the state of split `id` (the default state removes the entry). A full or refused store is ignored: the layout still works. */
export function writeSplit(store: KeyValueStore | null, id: string, s: SplitState): void {
  try {
    if (s.size === null && !s.collapsed) store?.removeItem(storageKey(id));
    else store?.setItem(storageKey(id), JSON.stringify(s));
  } catch {
    // quota or privacy settings: the size is not remembered
  }
}
