/**
 * The log browser's timeline: days with rows grouped by month (newest first), the chosen
 * range of days (a click picks one day, a shift-click extends to it), and sizes as people read
 * them. Pure.
 */
import type { StoreDay } from '../../../main/ipc/contract.ts';

export interface MonthGroup {
  /** `2024-03` */
  month: string;
  /** `March 2024` */
  label: string;
  days: StoreDay[];
  rows: number;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** Days grouped by month, months and days newest first. */
export function byMonth(days: readonly StoreDay[]): MonthGroup[] {
  const groups = new Map<string, MonthGroup>();
  for (const d of [...days].sort((a, b) => (a.day < b.day ? 1 : -1))) {
    const month = d.day.slice(0, 7);
    let g = groups.get(month);
    if (!g) groups.set(month, (g = { month, label: `${MONTHS[Number(month.slice(5)) - 1] ?? month.slice(5)} ${month.slice(0, 4)}`, days: [], rows: 0 }));
    g.days.push(d);
    g.rows += d.rows;
  }
  return [...groups.values()];
}

/** An inclusive range of days (YYYY-MM-DD). */
export interface DayRange {
  from: string;
  to: string;
}

/** The range after a click on `day`: that day alone, or (extending) from the range's far end to it. */
export function pickDay(range: DayRange | null, day: string, extend: boolean): DayRange {
  if (!extend || !range) return { from: day, to: day };
  // Before the range: it starts there; after or inside: it ends there.
  return day < range.from ? { from: day, to: range.to } : { from: range.from, to: day };
}

/** Whether `day` is inside the range. */
export function inRange(range: DayRange | null, day: string): boolean {
  return !!range && day >= range.from && day <= range.to;
}

/** Rows of the days within a range. */
export function rowsIn(days: readonly StoreDay[], range: DayRange | null): number {
  return days.reduce((n, d) => n + (inRange(range, d.day) ? d.rows : 0), 0);
}

/** `812 B`, `14.2 kB`, `3.1 MB`, `1.20 GB`. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}
