/**
 * Time zones by IANA name (`Australia/Brisbane`, `UTC`, `local`), through the runtime's own
 * tz database (Intl): the zone `PARSE_TZ` names is where date strings without an offset of
 * their own are read (VQL-FUNCTIONS.md 5.1). Wall-clock fields are given as the milliseconds
 * `Date.UTC` would give them ("wall ms").
 */

const formatters = new Map<string, Intl.DateTimeFormat | null>();

/** The runtime's local zone name. */
export function localZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

function formatter(zone: string): Intl.DateTimeFormat | null {
  let f = formatters.get(zone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
        hour: 'numeric', minute: 'numeric', second: 'numeric', era: 'short',
      });
    } catch {
      f = null;
    }
    formatters.set(zone, f);
  }
  return f;
}

/** The zone's canonical name, or null when the runtime does not know it (`local` is the local zone). */
export function resolveZone(name: string): string | null {
  const zone = name.toLowerCase() === 'local' ? localZone() : name;
  return formatter(zone) ? zone : null;
}

/** Milliseconds the zone is ahead of UTC at the UTC instant `utcMs`. */
export function offsetAt(zone: string, utcMs: number): number {
  const f = formatter(zone);
  if (!f || zone === 'UTC') return 0;
  const whole = Math.floor(utcMs / 1000) * 1000;
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(new Date(whole))) p[part.type] = part.value;
  let year = Number(p.year);
  if (p.era === 'BC' || p.era === 'B') year = 1 - year;
  const wall = Date.UTC(year, Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  const d = new Date(wall);
  if (year >= 0 && year < 100) d.setUTCFullYear(year); // Date.UTC maps years 0-99 to 1900-1999
  return d.getTime() - whole;
}

/** The UTC instant of a wall-clock time in `zone` (the earlier one when the clock repeats). */
export function wallToUtc(zone: string, wallMs: number): number {
  const first = wallMs - offsetAt(zone, wallMs);
  return wallMs - offsetAt(zone, first);
}
