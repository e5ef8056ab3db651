/**
 * Dates typed into a filter on a timestamp column. A date stands for the whole span its
 * precision names, so `=2024-05-01` is that day, `>2024-05` is after May and
 * `2024-05-01..2024-05-03` includes all of the 3rd. Times without a zone are UTC, like the
 * ISO text the table shows.
 */

/** A half-open span of epoch milliseconds [start, end). */
export interface TimeSpan {
  start: number;
  end: number;
}

const ISO = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

function offsetMs(zone: string | undefined): number {
  if (!zone || zone.toUpperCase() === 'Z') return 0;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
}

/**
 * Parses `2024` (on a timestamp column a year, not a number), `2024-05`, `2024-05-01`, `2024-05-01T10`, `…T10:30`, `…T10:30:15`, `…T10:30:15.250`
 * (optionally with `Z` or `+02:00`) into the span it names; null when the text is not such a date.
 * @example parseTimeSpan('2024-05-01') // { start: 1714521600000, end: 1714608000000 }
 */
export function parseTimeSpan(text: string): TimeSpan | null {
  const m = ISO.exec(text.trim());
  if (!m) return null;
  const parts = [m[1], m[2], m[3], m[4], m[5], m[6], m[7]].map((p) => (p === undefined ? undefined : Number(p)));
  const given = parts.findIndex((p) => p === undefined);
  const depth = given < 0 ? parts.length : given; // how many fields were given (1..7)
  const f = parts.map((p, i) => p ?? (i === 1 || i === 2 ? 1 : 0));
  if (m[7] !== undefined) f[6] = Number(m[7].padEnd(3, '0'));
  const at = (bump: number) => {
    const g = [...f];
    g[depth - 1] += bump;
    return Date.UTC(g[0], g[1] - 1, g[2], g[3], g[4], g[5], g[6]);
  };
  const start = at(0);
  if (Number.isNaN(start) || f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 || f[4] > 59 || f[5] > 60) return null;
  const zone = offsetMs(m[8]);
  return { start: start - zone, end: at(1) - zone };
}
