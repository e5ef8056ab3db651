/**
 * The file picker's logic (the dialog is components/workbench/FilePicker.svelte): which entries
 * of a host folder (`files:list`) show under the extension filter and the type-ahead, the
 * breadcrumbs of a path on POSIX or Windows, keyboard moves in the list, whether a folder holds
 * day files (`YYYY-MM-DD.csv`, opened as one table), sizes and times as text, the name an
 * export suggests, and the recent files and last folder remembered in localStorage.
 * No DOM, no Svelte: tested in Node.
 */
import type { FileEntry, TableExportFormat, TableSource } from '../../../main/ipc/contract.ts';

/** What the workbench opens (CSV/TSV/text, JSON and JSON lines, any gzipped, Parquet). */
export const LOG_EXTENSIONS = ['.csv', '.tsv', '.txt', '.json', '.jsonl', '.ndjson', '.gz', '.parquet'] as const;

/** True for a name the workbench opens (by extension, any case). */
export function isLogFile(name: string, extensions: readonly string[] = LOG_EXTENSIONS): boolean {
  const n = name.toLowerCase();
  return extensions.some((e) => n.endsWith(e));
}

/** A day file of a monitoring log (`2024-05-01.csv`, `2024-05-01.2.csv`), as the host names them. */
export const DAY_FILE = /^\d{4}-\d{2}-\d{2}(?:(?:\.[1-9]\d*)?\.csv|\.json)$/;

/** Day files in a listing: the folder can open as one table. */
export function dayFiles(entries: readonly FileEntry[]): number {
  return entries.filter((e) => e.kind === 'file' && DAY_FILE.test(e.name)).length;
}

/** The entries shown: folders always; files by the extension filter; both by the type-ahead text (any case). */
export function visibleEntries(entries: readonly FileEntry[], opts: { logOnly: boolean; query?: string; extensions?: readonly string[] }): FileEntry[] {
  const q = (opts.query ?? '').trim().toLowerCase();
  return entries.filter((e) => (e.kind === 'dir' || !opts.logOnly || isLogFile(e.name, opts.extensions)) && (!q || e.name.toLowerCase().includes(q)));
}

/** `dir` + `name` with the host's separator. */
export function joinPath(dir: string, name: string, sep: '/' | '\\'): string {
  return dir.endsWith(sep) ? dir + name : dir + sep + name;
}

/** The folder part of a path (with the host's separator), or null at a root. */
export function parentPath(path: string, sep: '/' | '\\'): string | null {
  const trimmed = path.length > 1 && path.endsWith(sep) && !/^[A-Za-z]:\\$/.test(path) ? path.slice(0, -1) : path;
  const at = trimmed.lastIndexOf(sep);
  if (at < 0 || trimmed === sep || /^[A-Za-z]:\\?$/.test(trimmed)) return null;
  if (at === 0) return sep;
  const up = trimmed.slice(0, at);
  return /^[A-Za-z]:$/.test(up) ? up + '\\' : up;
}

/** The last part of a path. */
export function baseName(path: string, sep: '/' | '\\' = path.includes('\\') && !path.includes('/') ? '\\' : '/'): string {
  const parts = path.split(sep).filter(Boolean);
  return parts[parts.length - 1] ?? path;
}

export interface Crumb {
  label: string;
  path: string;
}

/**
 * The breadcrumbs of an absolute folder: `/`, `home`, `me`... on POSIX; `C:`, `Users`... on Windows.
 * @example breadcrumbs('/var/log', '/') // [{label:'/',path:'/'}, {label:'var',path:'/var'}, {label:'log',path:'/var/log'}]
 */
export function breadcrumbs(dir: string, sep: '/' | '\\'): Crumb[] {
  const parts = dir.split(sep).filter(Boolean);
  if (sep === '/') {
    const out: Crumb[] = [{ label: '/', path: '/' }];
    parts.forEach((p, i) => out.push({ label: p, path: '/' + parts.slice(0, i + 1).join('/') }));
    return out;
  }
  if (dir.startsWith('\\\\')) {
    // A UNC path: \\server\share is the root.
    const root = `\\\\${parts.slice(0, 2).join('\\')}`;
    return [{ label: root, path: root }, ...parts.slice(2).map((p, i) => ({ label: p, path: `${root}\\${parts.slice(2, i + 3).join('\\')}` }))];
  }
  return parts.map((p, i) => ({ label: p, path: i === 0 ? `${p}\\` : parts.slice(0, i + 1).join('\\') }));
}

/** The list position a key moves to (`-1`: nothing selected), or null for other keys. */
export function moveSelection(at: number, key: string, count: number, page = 10): number | null {
  if (count === 0) return null;
  const to = ({ ArrowDown: at + 1, ArrowUp: at - 1, PageDown: at + page, PageUp: at - page, Home: 0, End: count - 1 } as Record<string, number>)[key];
  return to === undefined ? null : Math.max(0, Math.min(count - 1, to));
}

/** "1.5 MB", "312 B": sizes as a person reads them (powers of 1024, one decimal under 10). */
export function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

/** A modification time as `2024-05-01 08:00` (UTC, like every time in the app). */
export function timeText(ms: number): string {
  if (!ms) return '';
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

export const EXPORT_EXTENSION: Record<TableExportFormat, string> = { csv: 'csv', json: 'json', jsonl: 'jsonl', parquet: 'parquet' };

/**
 * The file name an export suggests: `<opened name>-view.<ext>`, never the opened file's own name
 * (extensions such as `.csv.gz` dropped), made safe for any file system.
 * @example exportName('Security.evtx.csv.gz', 'csv') // 'Security.evtx-view.csv'
 */
export function exportName(label: string, format: TableExportFormat): string {
  // A folder's label ends with its day range (`name 2024-01-02..2024-01-10`).
  let base = baseName(label.replace(/ \d{4}-\d\d-\d\d\.\.\d{4}-\d\d-\d\d$/, ''));
  base = base.replace(/\.gz$/i, '').replace(/\.(csv|tsv|txt|json|jsonl|ndjson|parquet)$/i, '');
  base = base.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 100) || 'table';
  return `${base}-view.${EXPORT_EXTENSION[format]}`;
}

/** What localStorage needs to offer (tests pass a Map-backed object). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** A file or folder opened before. */
export interface RecentEntry {
  kind: 'file' | 'folder';
  path: string;
  /** Epoch ms of the last open. */
  at: number;
}

const RECENT_KEY = 'vql-workbench.workbench.recent';
const DIR_KEY = 'vql-workbench.workbench.dir';
/** Recent entries kept. */
export const MAX_RECENT = 10;

/** The recent files and the last folder of the picker, in a store (localStorage); a broken or foreign value reads as nothing. */
export class Recent {
  constructor(private readonly store: KeyValueStore | null) {}

  list(): RecentEntry[] {
    try {
      const v = JSON.parse(this.store?.getItem(RECENT_KEY) ?? '[]') as unknown;
      if (!Array.isArray(v)) return [];
      return v.filter((e): e is RecentEntry => !!e && (e.kind === 'file' || e.kind === 'folder') && typeof e.path === 'string' && typeof e.at === 'number').slice(0, MAX_RECENT);
    } catch {
      return [];
    }
  }

  /** Puts an opened source first (once), remembers its folder, keeps MAX_RECENT. */
  remember(source: TableSource, sep: '/' | '\\', now = Date.now()): void {
    if (source.kind === 'logs' || source.kind === 'zip-entry') return;
    const entry: RecentEntry = { kind: source.kind, path: source.path, at: now };
    const rest = this.list().filter((e) => !(e.kind === entry.kind && e.path === entry.path));
    this.write(RECENT_KEY, JSON.stringify([entry, ...rest].slice(0, MAX_RECENT)));
    const dir = source.kind === 'folder' ? parentPath(source.path, sep) ?? source.path : parentPath(source.path, sep);
    if (dir) this.write(DIR_KEY, dir);
  }

  forget(path: string): void {
    this.write(RECENT_KEY, JSON.stringify(this.list().filter((e) => e.path !== path)));
  }

  /** The folder the picker opens at (the last one used), or undefined (the host's home). */
  get lastDir(): string | undefined {
    return this.store?.getItem(DIR_KEY) ?? undefined;
  }

  set lastDir(dir: string | undefined) {
    if (dir) this.write(DIR_KEY, dir);
  }

  private write(key: string, value: string): void {
    try {
      this.store?.setItem(key, value);
    } catch {
      // A full or disabled storage: nothing is remembered, the picker works on.
    }
  }
}
