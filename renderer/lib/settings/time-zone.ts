/**
 * The zone times are shown in: UTC (the default, as Velociraptor shows them) or the computer's
 * local time. One setting for the whole page, read by the grids (lib/table/number-text.ts,
 * lib/workbench/cells.ts) and the charts' time axes (lib/chart/axis.ts), so a time reads the
 * same in the grid and under the chart. The stored values, copies of whole rows, filters,
 * searches and exports keep ISO 8601 UTC text whatever the setting: it changes what the eye
 * sees, not the data.
 *
 * Both zones are written in the same ISO 8601 form, the local one with its offset:
 * `2024-05-01T08:00:00.000Z` and `2024-05-01T04:00:00.000-04:00` are the same instant.
 * Pure (the Svelte state that makes the setting reactive is time-zone.svelte.ts): tested in
 * plain Node, where the process's TZ variable picks the local zone.
 */
import { isoTime } from '../table/cell-text.ts';

export type TimeZoneMode = 'utc' | 'local';

/** The localStorage key of the setting. */
export const TIME_ZONE_KEY = 'vql-workbench.timeZone';

/** The part of `Storage` used here (localStorage in the app, a Map-backed object in tests). */
export interface ZoneStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** The stored setting; anything else (absent, a foreign value) reads as UTC. */
export function loadZone(store: ZoneStore | null | undefined): TimeZoneMode {
  try {
    return store?.getItem(TIME_ZONE_KEY) === 'local' ? 'local' : 'utc';
  } catch {
    return 'utc';
  }
}

/** Stores the setting; a store that refuses (privacy settings) keeps it for this page only. */
export function saveZone(store: ZoneStore | null | undefined, mode: TimeZoneMode): void {
  try {
    store?.setItem(TIME_ZONE_KEY, mode);
  } catch (e) {
    console.warn(`the time zone setting could not be saved to localStorage (${TIME_ZONE_KEY}): ${(e as Error).message}`);
  }
}

let reader: () => TimeZoneMode = () => 'utc';

/**
 * The zone in force. Inside Svelte it reads the app's reactive setting (time-zone.svelte.ts
 * installs it with `readZoneFrom`), so a grid or chart that formats a time re-renders when the
 * setting changes; elsewhere (plain Node) it is UTC unless a reader was installed.
 */
export function shownZone(): TimeZoneMode {
  return reader();
}

/** Installs where shownZone() reads the setting from. */
export function readZoneFrom(read: () => TimeZoneMode): void {
  reader = read;
}

/** A time split the way the grid writes it: `2024-05-01`, `04:00:00.000`, `-04:00` (or `Z`). */
export interface TimeParts {
  date: string;
  time: string;
  offset: string;
}

const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');

/** The parts of an instant (epoch milliseconds) in a zone; null when it is not a date. */
export function timeParts(ms: number, mode: TimeZoneMode): TimeParts | null {
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return null;
  const d = new Date(Math.floor(ms));
  if (mode === 'utc') {
    const iso = isoTime(ms);
    return { date: iso.slice(0, 10), time: iso.slice(11, 23), offset: 'Z' };
  }
  const year = d.getFullYear();
  const date = `${year < 0 ? '-' : ''}${pad(year, 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  const east = -d.getTimezoneOffset();
  const offset = east === 0 ? '+00:00' : `${east < 0 ? '-' : '+'}${pad(Math.trunc(east / 60))}:${pad(east % 60)}`;
  return { date, time, offset };
}

/**
 * An instant (epoch milliseconds) as the grid shows it in a zone: ISO 8601, `Z` for UTC, the
 * offset of that instant for local time (so summer and winter times each carry their own).
 * @example timeText(1714550400000, 'utc') // '2024-05-01T08:00:00.000Z'
 */
export function timeText(ms: number, mode: TimeZoneMode = shownZone()): string {
  if (mode === 'utc') return isoTime(ms);
  const p = timeParts(ms, mode);
  return p ? `${p.date}T${p.time}${p.offset}` : String(ms);
}

/**
 * The zone's name for labels: `UTC`, or local time with its offset at the instant given
 * (`local, UTC-04:00`), or both offsets when a range (`fromMs` to `toMs`) crosses a change
 * of summer time (`local, UTC-05:00/-04:00`).
 */
export function zoneLabel(mode: TimeZoneMode, fromMs = Date.now(), toMs = fromMs): string {
  if (mode === 'utc') return 'UTC';
  const at = (ms: number) => {
    const p = timeParts(ms, 'local');
    return p && p.offset !== '+00:00' ? p.offset : '';
  };
  const [a, b] = [at(fromMs), at(Number.isFinite(toMs) ? toMs : fromMs)];
  return `local, UTC${a}${b !== a ? `/${b || '+00:00'}` : ''}`;
}
