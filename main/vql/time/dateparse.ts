/**
 * Date strings of unknown format, read as Velociraptor reads them (the Go library
 * araddon/dateparse; VQL-FUNCTIONS.md 5.1): the families it accepts, month before day when a
 * date is ambiguous (`07/08/2019` is July 8th; day first only when the first number cannot be a
 * month). Strings of digits alone never come here: `timestamp()` reads them as epochs first.
 *
 * Families: RFC 3339 and ISO 8601 (`2006-01-02[ T]15:04[:05[.frac]][Z|±hh[:mm]| MST]`,
 * `2006-01`), `2006/01/02`, `2006:01:02 15:04:05` (EXIF), `01/02/2006` and `01.02.2006`,
 * `02 Jan 2006`, `January 2, 2006 3:04pm`, RFC 1123/822/850 with or without the weekday,
 * ANSI C, Unix `date` and Ruby forms, Apache `02/Jan/2006:15:04:05 -0700`, Chinese
 * `2006年01月02日`, MySQL `060102 15:04:05`, Go's own `2006-01-02 15:04:05 +0000 UTC`.
 */
import type { ParsedTime } from './go-layout.ts';

const MONTH = '(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\\.?';
const WEEKDAY = '(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|sday|nesday|rsday|urday)?\\.?,?\\s+)?';
/** A time of day, an optional fraction, am/pm, and a zone (numeric offset, Z, or an abbreviation), each optional. */
const TIME = '(?:[T\\s,]+(\\d{1,2})(?::(\\d{2}))?(?::(\\d{2}))?(?:[.,](\\d{1,9}))?\\s*([ap]\\.?m\\.?)?)?';
const ZONE = '(?:\\s*(Z|[+-]\\d{2}(?::?\\d{2})?))?(?:\\s*\\(?([A-Z]{2,5})\\)?)?';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** Groups: date parts by name, then the time and zone groups. */
interface Family {
  readonly re: RegExp;
  /** Which groups hold year, month, day; `M` a month name. */
  readonly order: ReadonlyArray<'y' | 'm' | 'M' | 'd'>;
}

const family = (date: string, order: Family['order'], tail = TIME + ZONE): Family => ({ re: new RegExp(`^${WEEKDAY}${date}${tail}$`, 'i'), order });

const FAMILIES: readonly Family[] = [
  family('(\\d{4})-(\\d{1,2})-(\\d{1,2})', ['y', 'm', 'd']),
  family('(\\d{4})-(\\d{1,2})', ['y', 'm'], ''),
  family('(\\d{4})[/.:](\\d{1,2})[/.:](\\d{1,2})', ['y', 'm', 'd']),
  family('(\\d{1,2})[/.-](\\d{1,2})[/.-](\\d{4}|\\d{2})', ['m', 'd', 'y']),
  family(`(\\d{1,2})(?:st|nd|rd|th)?[\\s-]+${MONTH}[\\s,-]+(\\d{4}|\\d{2})`, ['d', 'M', 'y']),
  family(`${MONTH}\\s+(\\d{1,2})(?:st|nd|rd|th)?,?\\s+(\\d{4})`, ['M', 'd', 'y']),
  family('(\\d{4})年(\\d{1,2})月(\\d{1,2})日', ['y', 'm', 'd']),
];

/** ANSI C / Unix date / Ruby: `Mon Jan _2 15:04:05 [MST|-0700] 2006`. */
const UNIX = new RegExp(`^${WEEKDAY}${MONTH}\\s+(\\d{1,2})\\s+(\\d{1,2}):(\\d{2}):(\\d{2})(?:[.,](\\d{1,9}))?\\s+(?:([+-]\\d{4})\\s+|([A-Z]{2,5})\\s+)?(\\d{4})$`, 'i');
/** Apache common log: `02/Jan/2006:15:04:05 -0700`. */
const APACHE = new RegExp(`^(\\d{1,2})/${MONTH}/(\\d{4}):(\\d{2}):(\\d{2}):(\\d{2})(?:\\s*([+-]\\d{4}))?$`, 'i');
/** MySQL: `060102 15:04:05`. */
const MYSQL = /^(\d{2})(\d{2})(\d{2})\s+(\d{1,2}):(\d{2}):(\d{2})$/;

function monthOf(name: string): number {
  return MONTHS.indexOf(name.slice(0, 3).toLowerCase()) + 1;
}

function year2(y: string): number {
  const n = Number(y);
  return y.length === 2 ? (n >= 69 ? 1900 + n : 2000 + n) : n;
}

function offsetOf(z: string | undefined): number | undefined {
  if (z === undefined) return undefined;
  if (z.toUpperCase() === 'Z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(z)!;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60);
}

function fraction(f: string | undefined): number {
  return f ? Math.round(Number(f) * 10 ** (9 - f.length)) : 0;
}

/** Wall-clock fields and offset of `text`, or null when no family reads it. */
export function dateparse(text: string): ParsedTime | null {
  const s = text.trim();
  let m = UNIX.exec(s);
  if (m) {
    return valid({
      year: Number(m[9]), month: monthOf(m[1]!), day: Number(m[2]), hour: Number(m[3]), minute: Number(m[4]), second: Number(m[5]),
      nano: fraction(m[6]), offset: m[7] ? offsetOf(m[7]) : zoneAbbreviation(m[8]), abbreviation: m[8],
    });
  }
  m = APACHE.exec(s);
  if (m) {
    return valid({ year: Number(m[3]), month: monthOf(m[2]!), day: Number(m[1]), hour: Number(m[4]), minute: Number(m[5]), second: Number(m[6]), nano: 0, offset: offsetOf(m[7]) });
  }
  m = MYSQL.exec(s);
  if (m) {
    return valid({ year: year2(m[1]!), month: Number(m[2]), day: Number(m[3]), hour: Number(m[4]), minute: Number(m[5]), second: Number(m[6]), nano: 0 });
  }
  for (const f of FAMILIES) {
    m = f.re.exec(s);
    if (!m) continue;
    const t: ParsedTime = { year: 1, month: 1, day: 1, hour: 0, minute: 0, second: 0, nano: 0 };
    f.order.forEach((k, i) => {
      const v = m![i + 1]!;
      if (k === 'y') t.year = year2(v);
      else if (k === 'm') t.month = Number(v);
      else if (k === 'M') t.month = monthOf(v);
      else t.day = Number(v);
    });
    // Month first; the day first only when the first number cannot be a month (25/07/2019).
    if (f.order[0] === 'm' && t.month > 12 && t.day <= 12) [t.month, t.day] = [t.day, t.month];
    const g = f.order.length + 1;
    const [hour, minute, second, frac, ampm, zone, abbreviation] = m.slice(g, g + 7);
    if (hour !== undefined) {
      t.hour = Number(hour);
      t.minute = Number(minute ?? 0);
      t.second = Number(second ?? 0);
      t.nano = fraction(frac);
      if (minute === undefined && !ampm) continue; // a bare number after a date is not a time
      if (ampm) {
        if (t.hour > 12) return null;
        const pm = ampm[0]!.toLowerCase() === 'p';
        if (pm && t.hour < 12) t.hour += 12;
        if (!pm && t.hour === 12) t.hour = 0;
      }
    }
    t.offset = zone !== undefined ? offsetOf(zone) : zoneAbbreviation(abbreviation);
    if (abbreviation) t.abbreviation = abbreviation;
    return valid(t);
  }
  return null;
}

/** UTC and GMT are offset 0; other abbreviations are read in the parse zone (as Go does for unknown ones). */
function zoneAbbreviation(abbreviation: string | undefined): number | undefined {
  return abbreviation === 'UTC' || abbreviation === 'GMT' || abbreviation === 'Z' ? 0 : undefined;
}

function valid(t: ParsedTime): ParsedTime | null {
  const days = new Date(Date.UTC(t.year, t.month, 0)).getUTCDate();
  return t.month >= 1 && t.month <= 12 && t.day >= 1 && t.day <= days && t.hour <= 23 && t.minute <= 59 && t.second <= 60 ? t : null;
}
