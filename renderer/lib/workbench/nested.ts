/**
 * Velociraptor's result files in the workbench (issue 13): the columns Velociraptor appends to
 * its rows (`_ts`, `ClientId`, `_Source`) recognised and shown first, `_Source` read as
 * artifact and source (or the client that sent the row), and a nested value pretty-printed
 * line by line with the path of each key, so the details pane can offer "Add as column" on
 * any key (the engine's `table:expand`). No DOM.
 */
import type { TableColumn, TableFieldPath } from '../../../main/ipc/contract.ts';

/** The columns Velociraptor appends to a row, in the order the grid shows them first, and what each holds. */
export const METADATA: ReadonlyArray<readonly [string, string]> = [
  ['_ts', 'Velociraptor: when the server logged the row (Unix seconds on disk, shown as UTC time)'],
  ['ClientId', 'Velociraptor: the client that sent the row'],
  ['_Source', 'Velociraptor: the artifact (and its source) the row came from, or the client or user that pushed it'],
];

/** What a metadata column holds (for its header's tooltip), or undefined. */
export function metadataNote(name: string): string | undefined {
  return METADATA.find(([n]) => n === name)?.[1];
}

/**
 * Indices of the metadata columns present, in METADATA's order, when the table is Velociraptor's
 * (it has `ClientId` or `_Source`); none otherwise (the app's own CSV logs keep `_ts` where it is).
 */
export function metadataColumns(columns: readonly TableColumn[]): number[] {
  if (!columns.some((c) => c.name === 'ClientId' || c.name === '_Source')) return [];
  return METADATA.map(([n]) => columns.findIndex((c) => c.name === n)).filter((i) => i >= 0);
}

const CLIENT_ID = /^C\.[0-9a-f]{16}$/i;

/**
 * A `_Source` value read: `Windows.EventLogs.Evtx/Logs` is an artifact and its source,
 * `Generic.Client.Stats` an artifact, `C.0123456789abcdef` the client that pushed the row.
 */
export function sourceParts(value: unknown): { artifact: string; source?: string } | { client: string } | null {
  if (typeof value !== 'string' || !value) return null;
  if (CLIENT_ID.test(value)) return { client: value };
  const m = /^([A-Za-z_][\w.]*)(?:\/(.+))?$/.exec(value);
  if (!m) return null;
  return m[2] ? { artifact: m[1]!, source: m[2] } : { artifact: m[1]! };
}

/** One line of a nested value pretty-printed: its text, and the path of the key or element it starts (none for closing brackets). */
export interface JsonLine {
  text: string;
  /** Indent level. */
  depth: number;
  path?: TableFieldPath;
}

/** Most lines given (a longer value is shown whole as text, without per-key actions). */
export const MAX_JSON_LINES = 2000;

/**
 * A nested value (JSON text) as pretty-printed lines (2-space indent, as JSON.stringify) with the
 * path of each key and array element, or null when it does not parse or is longer than `max` lines.
 * @example jsonLines('{"a":{"b":1}}') // '{', '"a": {' (path [a]), '"b": 1' (path [a, b]), '}', '}'
 */
export function jsonLines(text: string, max = MAX_JSON_LINES): JsonLine[] | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!value || typeof value !== 'object') return null;
  const out: JsonLine[] = [];
  const walk = (v: unknown, lead: string, depth: number, path: TableFieldPath | undefined, last: boolean): boolean => {
    if (out.length > max) return false;
    const comma = last ? '' : ',';
    const at = (text: string, p?: TableFieldPath) => out.push({ text: '  '.repeat(depth) + text, depth, ...(p ? { path: p } : {}) });
    if (v && typeof v === 'object') {
      const entries: Array<[string | number, unknown]> = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
      const [open, close] = Array.isArray(v) ? ['[', ']'] : ['{', '}'];
      if (!entries.length) {
        at(`${lead}${open}${close}${comma}`, path);
        return true;
      }
      at(`${lead}${open}`, path);
      for (const [k, x] of entries.entries()) {
        const [key, child] = x;
        if (!walk(child, typeof key === 'number' ? '' : `${JSON.stringify(key)}: `, depth + 1, [...(path ?? []), key], k === entries.length - 1)) return false;
      }
      out.push({ text: '  '.repeat(depth) + close + comma, depth });
      return true;
    }
    at(`${lead}${JSON.stringify(v)}${comma}`, path);
    return true;
  };
  return walk(value, '', 0, undefined, true) && out.length <= max ? out : null;
}

/** How a field path reads (the engine names the column the same way): `Name`, `Extra.Deep[1].K`, `["a b"]`. */
export function pathText(path: TableFieldPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_$][\w$]*$/.test(p) ? `${i ? '.' : ''}${p}` : `[${JSON.stringify(p)}]`)).join('');
}
