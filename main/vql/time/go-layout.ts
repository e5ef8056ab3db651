/**
 * Go's time layouts (`time.Parse`, `Time.Format`): a layout is the reference time
 * `Mon Jan 2 15:04:05 MST 2006` written the way the text is. `timestamp(format=)` parses with
 * one and `timestamp_format()` formats with one (VQL-FUNCTIONS.md 5.1). The chunks and their
 * order of recognition are Go's `nextStdChunk`; parsing follows `time.parse` (numbers of one or
 * two digits where Go allows them, fractional seconds after seconds even when the layout has
 * none, two-digit years 69-99 in the 1900s).
 */

type Chunk =
  | 'January' | 'Jan' | '1' | '01' | 'Monday' | 'Mon' | '2' | '_2' | '02' | '__2' | '002'
  | '15' | '3' | '03' | '4' | '04' | '5' | '05' | '2006' | '06' | 'PM' | 'pm' | 'MST'
  | 'Z070000' | 'Z07:00:00' | 'Z0700' | 'Z07:00' | 'Z07' | '-070000' | '-07:00:00' | '-0700' | '-07:00' | '-07';

type Piece = { kind: 'lit'; text: string } | { kind: 'std'; chunk: Chunk } | { kind: 'frac'; digits: number; trim: boolean; sep: string };

const CHUNKS: readonly Chunk[] = [
  'January', 'Jan', 'Monday', 'Mon', 'MST', '01', '02', '03', '04', '05', '06', '002', '15', '1', '2006', '2',
  '__2', '_2', '3', '4', '5', 'PM', 'pm',
  '-070000', '-07:00:00', '-0700', '-07:00', '-07', 'Z070000', 'Z07:00:00', 'Z0700', 'Z07:00', 'Z07',
];

const layouts = new Map<string, Piece[]>();

/** The layout split into literal text and Go's standard chunks. */
function pieces(layout: string): Piece[] {
  let out = layouts.get(layout);
  if (out) return out;
  out = [];
  let lit = '';
  for (let i = 0; i < layout.length;) {
    const c = layout[i]!;
    if ((c === '.' || c === ',') && (layout[i + 1] === '0' || layout[i + 1] === '9')) {
      const d = layout[i + 1]!;
      let j = i + 1;
      while (layout[j] === d) j++;
      if (!/[0-9]/.test(layout[j] ?? '')) {
        if (lit) out.push({ kind: 'lit', text: lit });
        lit = '';
        out.push({ kind: 'frac', digits: j - i - 1, trim: d === '9', sep: c });
        i = j;
        continue;
      }
    }
    // "Monday" before "Mon", "January" before "Jan", "2006" before "2", "002" before "02"...
    const chunk = CHUNKS.filter((k) => layout.startsWith(k, i) && !(k === 'Mon' && layout.startsWith('Monday', i)))
      .sort((a, b) => b.length - a.length)[0];
    if (chunk && !(chunk === '_2' && layout.startsWith('_2006', i))) {
      if (lit) out.push({ kind: 'lit', text: lit });
      lit = '';
      out.push({ kind: 'std', chunk });
      i += chunk.length;
    } else {
      lit += c;
      i++;
    }
  }
  if (lit) out.push({ kind: 'lit', text: lit });
  layouts.set(layout, out);
  return out;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Fields read from a text: the wall clock, and the offset when the text gave one. */
export interface ParsedTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  nano: number;
  /** Seconds east of UTC, when the text had a numeric offset or `Z`. */
  offset?: number;
  /** A zone abbreviation (`MST`), when the text had one. */
  abbreviation?: string;
}

class Mismatch extends Error {}

/** Parses `text` with a Go layout; null when it does not match. */
export function parseGoLayout(layout: string, text: string): ParsedTime | null {
  try {
    return parseOrThrow(pieces(layout), text);
  } catch (e) {
    if (e instanceof Mismatch) return null;
    throw e;
  }
}

function parseOrThrow(ps: Piece[], text: string): ParsedTime {
  const t: ParsedTime = { year: 1, month: 1, day: 1, hour: 0, minute: 0, second: 0, nano: 0 };
  let pm: boolean | null = null;
  let yday = -1;
  let i = 0;
  const fail = (): never => {
    throw new Mismatch();
  };
  const num = (min: number, max: number): number => {
    let j = i;
    while (j < text.length && j - i < max && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) j++;
    if (j - i < min) fail();
    const n = Number(text.slice(i, j));
    i = j;
    return n;
  };
  const name = (names: readonly string[], short: boolean): number => {
    for (let k = 0; k < names.length; k++) {
      const n = short ? names[k]!.slice(0, 3) : names[k]!;
      if (text.slice(i, i + n.length).toLowerCase() === n.toLowerCase()) {
        i += n.length;
        return k;
      }
    }
    return fail();
  };
  const sign = (): number => {
    const c = text[i];
    if (c !== '+' && c !== '-') fail();
    i++;
    return c === '-' ? -1 : 1;
  };
  for (let p = 0; p < ps.length; p++) {
    const piece = ps[p]!;
    if (piece.kind === 'lit') {
      if (!text.startsWith(piece.text, i)) fail();
      i += piece.text.length;
      continue;
    }
    if (piece.kind === 'frac') {
      if (text[i] !== '.' && text[i] !== ',') {
        if (piece.trim) continue;
        fail();
      }
      i++;
      const start = i;
      const digits = piece.trim ? num(1, 9) : num(piece.digits, piece.digits);
      t.nano = Math.round(digits * 10 ** (9 - (i - start)));
      continue;
    }
    switch (piece.chunk) {
      case 'January': t.month = name(MONTHS, false) + 1; break;
      case 'Jan': t.month = name(MONTHS, true) + 1; break;
      case 'Monday': name(DAYS, false); break;
      case 'Mon': name(DAYS, true); break;
      case '1': t.month = num(1, 2); break;
      case '01': t.month = num(2, 2); break;
      case '2': t.day = num(1, 2); break;
      case '_2': if (text[i] === ' ') i++; t.day = num(1, 2); break;
      case '02': t.day = num(2, 2); break;
      case '__2': while (text[i] === ' ') i++; yday = num(1, 3); break;
      case '002': yday = num(3, 3); break;
      case '15': t.hour = num(1, 2); break;
      case '3': t.hour = num(1, 2); break;
      case '03': t.hour = num(2, 2); break;
      case '4': t.minute = num(1, 2); break;
      case '04': t.minute = num(2, 2); break;
      case '5': case '05': {
        t.second = piece.chunk === '5' ? num(1, 2) : num(2, 2);
        // Go reads a fraction after the seconds even when the layout has none.
        const next = ps[p + 1];
        if (next?.kind !== 'frac' && (text[i] === '.' || text[i] === ',') && /[0-9]/.test(text[i + 1] ?? '')) {
          i++;
          const start = i;
          const digits = num(1, 9);
          t.nano = Math.round(digits * 10 ** (9 - (i - start)));
        }
        break;
      }
      case '2006': t.year = num(4, 4); break;
      case '06': { const y = num(2, 2); t.year = y >= 69 ? 1900 + y : 2000 + y; break; }
      case 'PM': case 'pm': {
        const v = text.slice(i, i + 2).toUpperCase();
        if (v !== 'AM' && v !== 'PM') fail();
        pm = v === 'PM';
        i += 2;
        break;
      }
      case 'MST': {
        const m = /^(?:UTC|[A-Z]{3,5}(?:[+-]\d{1,2})?)/.exec(text.slice(i));
        if (!m) fail();
        t.abbreviation = m![0];
        if (t.abbreviation === 'UTC' || t.abbreviation === 'GMT') t.offset = 0;
        i += m![0].length;
        break;
      }
      default: {
        // Numeric zones: Z forms accept a literal Z for UTC.
        const c = piece.chunk;
        if (c.startsWith('Z') && text[i] === 'Z') {
          i++;
          t.offset = 0;
          break;
        }
        const s = sign();
        const colon = c.includes(':');
        const hh = num(2, 2);
        let mm = 0;
        let ss = 0;
        if (c.endsWith('0700') || c.endsWith('070000') || c.endsWith('07:00') || c.endsWith('07:00:00')) {
          if (colon) {
            if (text[i] !== ':') fail();
            i++;
          }
          mm = num(2, 2);
          if (c.endsWith('0000') || c.endsWith(':00:00')) {
            if (colon) {
              if (text[i] !== ':') fail();
              i++;
            }
            ss = num(2, 2);
          }
        }
        t.offset = s * (hh * 3600 + mm * 60 + ss);
      }
    }
  }
  if (i !== text.length) fail();
  if (pm !== null) {
    if (t.hour > 12) fail();
    if (pm && t.hour < 12) t.hour += 12;
    if (!pm && t.hour === 12) t.hour = 0;
  }
  if (yday >= 0) {
    const d = new Date(Date.UTC(t.year, 0, yday));
    t.month = d.getUTCMonth() + 1;
    t.day = d.getUTCDate();
  }
  if (t.month < 1 || t.month > 12 || t.day < 1 || t.day > daysIn(t.year, t.month) || t.hour > 23 || t.minute > 59 || t.second > 59) fail();
  return t;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/**
 * Formats a wall clock (fields of a UTC-shifted Date, plus nanoseconds) with a Go layout;
 * `offset` (seconds east) and `abbreviation` fill the zone chunks.
 */
export function formatGoLayout(layout: string, wall: Date, nano: number, offset: number, abbreviation: string): string {
  let out = '';
  const h = wall.getUTCHours();
  for (const piece of pieces(layout)) {
    if (piece.kind === 'lit') {
      out += piece.text;
      continue;
    }
    if (piece.kind === 'frac') {
      let digits = pad(nano, 9).slice(0, piece.digits);
      if (piece.trim) digits = digits.replace(/0+$/, '');
      if (!piece.trim || digits) out += piece.sep + digits;
      continue;
    }
    const z = Math.abs(offset);
    const zs = offset < 0 ? '-' : '+';
    const zh = pad(Math.floor(z / 3600), 2);
    const zm = pad(Math.floor((z % 3600) / 60), 2);
    const zsec = pad(z % 60, 2);
    switch (piece.chunk) {
      case 'January': out += MONTHS[wall.getUTCMonth()]; break;
      case 'Jan': out += MONTHS[wall.getUTCMonth()]!.slice(0, 3); break;
      case 'Monday': out += DAYS[wall.getUTCDay()]; break;
      case 'Mon': out += DAYS[wall.getUTCDay()]!.slice(0, 3); break;
      case '1': out += wall.getUTCMonth() + 1; break;
      case '01': out += pad(wall.getUTCMonth() + 1, 2); break;
      case '2': out += wall.getUTCDate(); break;
      case '_2': out += String(wall.getUTCDate()).padStart(2, ' '); break;
      case '02': out += pad(wall.getUTCDate(), 2); break;
      case '__2': case '002': {
        const yd = Math.floor((wall.getTime() - Date.UTC(wall.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
        out += piece.chunk === '002' ? pad(yd, 3) : String(yd).padStart(3, ' ');
        break;
      }
      case '15': out += pad(h, 2); break;
      case '3': out += h % 12 === 0 ? 12 : h % 12; break;
      case '03': out += pad(h % 12 === 0 ? 12 : h % 12, 2); break;
      case '4': out += wall.getUTCMinutes(); break;
      case '04': out += pad(wall.getUTCMinutes(), 2); break;
      case '5': out += wall.getUTCSeconds(); break;
      case '05': out += pad(wall.getUTCSeconds(), 2); break;
      case '2006': out += pad(wall.getUTCFullYear(), 4); break;
      case '06': out += pad(wall.getUTCFullYear() % 100, 2); break;
      case 'PM': out += h >= 12 ? 'PM' : 'AM'; break;
      case 'pm': out += h >= 12 ? 'pm' : 'am'; break;
      case 'MST': out += abbreviation; break;
      default: {
        const c = piece.chunk;
        if (c.startsWith('Z') && offset === 0) {
          out += 'Z';
          break;
        }
        const colon = c.includes(':') ? ':' : '';
        out += zs + zh;
        if (/0700|07:00/.test(c)) out += colon + zm;
        if (/070000|07:00:00/.test(c)) out += colon + zsec;
      }
    }
  }
  return out;
}

/** Go's named layouts, as `timestamp_format()` accepts them by name. */
export const NAMED_LAYOUTS: Readonly<Record<string, string>> = {
  Layout: '01/02 03:04:05PM \'06 -0700',
  ANSIC: 'Mon Jan _2 15:04:05 2006',
  UnixDate: 'Mon Jan _2 15:04:05 MST 2006',
  RubyDate: 'Mon Jan 02 15:04:05 -0700 2006',
  RFC822: '02 Jan 06 15:04 MST',
  RFC822Z: '02 Jan 06 15:04 -0700',
  RFC850: 'Monday, 02-Jan-06 15:04:05 MST',
  RFC1123: 'Mon, 02 Jan 2006 15:04:05 MST',
  RFC1123Z: 'Mon, 02 Jan 2006 15:04:05 -0700',
  RFC3339: '2006-01-02T15:04:05Z07:00',
  RFC3339Nano: '2006-01-02T15:04:05.999999999Z07:00',
  Kitchen: '3:04PM',
  Stamp: 'Jan _2 15:04:05',
  StampMilli: 'Jan _2 15:04:05.000',
  StampMicro: 'Jan _2 15:04:05.000000',
  StampNano: 'Jan _2 15:04:05.000000000',
  DateTime: '2006-01-02 15:04:05',
  DateOnly: '2006-01-02',
  TimeOnly: '15:04:05',
};
