/**
 * ISO 8601 / RFC 3339 timestamps in CSV cells: a fast parser to epoch milliseconds that also
 * reports the text's shape, and the formatter that rebuilds canonical texts from a column's
 * format (so a timestamp column stores numbers and only the texts it cannot rebuild).
 *
 * Accepted: `YYYY-MM-DD`, and `YYYY-MM-DD[T ]hh:mm[:ss[.fraction]][Z|±hh[:]mm]`. A time without
 * a zone is read as UTC (forensic logs are UTC unless they say otherwise).
 */

/**
 * A column's timestamp format: `date` (`2024-01-02`), or separator + zone + fraction rule:
 * `T`/` ` then `Z` or nothing, then `ms` (always 3 digits, JavaScript's toISOString) or `trim`
 * (trailing zeros dropped, Go's RFC3339Nano as Velociraptor writes).
 */
export type IsoFormat = 'date' | `${'T' | ' '}${'Z' | ''}${'ms' | 'trim'}`;

/** The shape of the last text `parseIso` accepted (a shared scratch object: no allocation per cell). */
export const isoShape = {
  date: false,
  sep: 'T' as 'T' | ' ',
  zone: 'Z' as 'Z' | '' | 'offset',
  hasSeconds: true,
  fracDigits: 0,
  /** The last fraction digit is 0 (`.120`). */
  fracTrailingZero: false,
};

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digits(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = i; k < i + n; k++) {
    const c = s.charCodeAt(k) - 0x30;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** Epoch milliseconds of an ISO timestamp, or NaN; sets `isoShape`. */
export function parseIso(s: string): number {
  const n = s.length;
  if (n < 10 || s.charCodeAt(4) !== 0x2d || s.charCodeAt(7) !== 0x2d) return NaN;
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > DAYS[mo - 1]! || (mo === 2 && d === 29 && !isLeap(y))) return NaN;
  if (n === 10) {
    isoShape.date = true;
    return utc(y, mo - 1, d, 0, 0, 0, 0);
  }
  const sep = s.charCodeAt(10);
  if ((sep !== 0x54 && sep !== 0x20) || n < 16 || s.charCodeAt(13) !== 0x3a) return NaN;
  const h = digits(s, 11, 2);
  const mi = digits(s, 14, 2);
  if (h < 0 || h > 23 || mi < 0 || mi > 59) return NaN;
  let i = 16;
  let sec = 0;
  let ms = 0;
  let frac = 0;
  let hasSeconds = false;
  if (s.charCodeAt(i) === 0x3a) {
    sec = digits(s, i + 1, 2);
    if (sec < 0 || sec > 59) return NaN;
    hasSeconds = true;
    i += 3;
    if (s.charCodeAt(i) === 0x2e || s.charCodeAt(i) === 0x2c) {
      i++;
      let scale = 100;
      for (; i < n; i++, frac++) {
        const c = s.charCodeAt(i) - 0x30;
        if (c < 0 || c > 9) break;
        if (scale >= 1) ms += c * scale;
        scale /= 10;
      }
      if (frac === 0) return NaN;
    }
  }
  let offset = 0;
  let zone: 'Z' | '' | 'offset' = '';
  if (i < n) {
    const c = s.charCodeAt(i);
    if ((c === 0x5a || c === 0x7a) && i === n - 1) zone = 'Z';
    else if (c === 0x2b || c === 0x2d) {
      const oh = digits(s, i + 1, 2);
      const colon = s.charCodeAt(i + 3) === 0x3a ? 1 : 0;
      const om = i + 3 === n ? 0 : digits(s, i + 3 + colon, 2);
      if (oh < 0 || oh > 23 || om < 0 || om > 59 || (i + 3 !== n && i + 5 + colon !== n)) return NaN;
      offset = (c === 0x2d ? -1 : 1) * (oh * 60 + om) * 60000;
      zone = 'offset';
    } else return NaN;
  }
  isoShape.date = false;
  isoShape.sep = sep === 0x54 ? 'T' : ' ';
  isoShape.zone = zone;
  isoShape.hasSeconds = hasSeconds;
  isoShape.fracDigits = frac;
  isoShape.fracTrailingZero = frac > 0 && s.charCodeAt(i - 1) === 0x30;
  return utc(y, mo - 1, d, h, mi, sec, ms) - offset;
}

/** Date.UTC, except that years 0-99 stay themselves (Go's zero time is year 1, not 1901). */
function utc(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  const t = Date.UTC(y, mo, d, h, mi, s, ms);
  return y >= 100 ? t : new Date(t).setUTCFullYear(y);
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** The format a column takes from its first timestamp text (`ms` only when it has 3 fraction digits). */
export function shapeFormat(): IsoFormat {
  if (isoShape.date) return 'date';
  return `${isoShape.sep}${isoShape.zone === 'Z' ? 'Z' : ''}${isoShape.fracDigits === 3 ? 'ms' : 'trim'}` as IsoFormat;
}

/** Whether the text `parseIso` just read is exactly `isoText(ms, format)`. */
export function isCanonicalIso(format: IsoFormat): boolean {
  const sh = isoShape;
  if (format === 'date' || sh.date) return format === 'date' && sh.date;
  if (sh.sep !== format[0] || sh.zone === 'offset' || (sh.zone === 'Z') !== (format[1] === 'Z') || !sh.hasSeconds) return false;
  if (format.endsWith('ms')) return sh.fracDigits === 3;
  return sh.fracDigits <= 3 && !sh.fracTrailingZero;
}

/** The text of epoch milliseconds in a column's ISO format. Example: `isoText(0, 'TZtrim')` is `1970-01-01T00:00:00Z`. */
export function isoText(ms: number, format: IsoFormat): string {
  const iso = new Date(ms).toISOString();
  if (format === 'date') return iso.slice(0, 10);
  let frac = iso.slice(19, 23);
  if (format.endsWith('trim')) frac = frac.replace(/\.?0+$/, '');
  return iso.slice(0, 10) + format[0] + iso.slice(11, 19) + frac + (format[1] === 'Z' ? 'Z' : '');
}
