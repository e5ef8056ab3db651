/**
 * The query console's cells, kept in localStorage so a reload brings them back. Only the
 * queries are stored: results are live and re-run on demand. A damaged entry never stops the
 * console from opening (it starts with one default cell instead).
 */

/** One console cell. */
export interface Cell {
  id: string;
  query: string;
}

/** The part of `Storage` used here (localStorage in the app, a Map in tests). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** The localStorage key of the console's cells. */
export const CELLS_KEY = 'vql-workbench.console.cells';

/** What a new console shows. */
export const DEFAULT_QUERY = 'SELECT * FROM info()';

let counter = 0;

/** A new cell with a fresh id. */
export function newCell(query = ''): Cell {
  return { id: `c${Date.now().toString(36)}${(counter++).toString(36)}`, query };
}

/** The stored cells, or one default cell when there are none or they cannot be read. */
export function loadCells(store: KeyValueStore | undefined): Cell[] {
  let raw: string | null = null;
  try {
    raw = store?.getItem(CELLS_KEY) ?? null;
    const v: unknown = raw ? JSON.parse(raw) : null;
    if (Array.isArray(v)) {
      const cells = v.filter((c): c is Cell => typeof c?.id === 'string' && typeof c?.query === 'string');
      if (cells.length) return cells.map((c) => ({ id: c.id, query: c.query }));
    }
  } catch (e) {
    // Damaged storage: start fresh, but say so (the old text stays in storage until overwritten).
    console.warn(`console cells in localStorage (${CELLS_KEY}) could not be read: ${(e as Error).message}`);
  }
  return [newCell(DEFAULT_QUERY)];
}

/** Stores the cells; a full or disabled storage is reported, not thrown. */
export function saveCells(store: KeyValueStore | undefined, cells: readonly Cell[]): boolean {
  try {
    store?.setItem(CELLS_KEY, JSON.stringify(cells.map((c) => ({ id: c.id, query: c.query }))));
    return true;
  } catch (e) {
    console.warn(`console cells could not be saved to localStorage: ${(e as Error).message}`);
    return false;
  }
}
