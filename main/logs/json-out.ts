/**
 * The JSON text of day-file cells, written byte by byte from the CSV bytes: what
 * `toJSON(parseCsvCell(cell))` gives, without making the value. The common cells (numbers,
 * plain and space-marked strings, booleans, empty) are converted here; the rare ones (nested
 * JSON, `base64:`, ints past 15 digits) go through the value path, so the text is always the
 * same as the old path's. The input must be valid UTF-8 (the caller checks).
 */
import { parseCsvCell } from '../vql/values/csv-cell.ts';
import { toJSON } from '../vql/values/json.ts';
import { VDict } from '../vql/values/types.ts';
import { printsAsItself } from './json-float.ts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const HEX = '0123456789abcdef';
/** JSON.stringify's short escapes of control characters (0 = use \u00XX). */
const SHORT_ESCAPE = new Uint8Array(32);
SHORT_ESCAPE[0x08] = 0x62; // \b
SHORT_ESCAPE[0x09] = 0x74; // \t
SHORT_ESCAPE[0x0a] = 0x6e; // \n
SHORT_ESCAPE[0x0c] = 0x66; // \f
SHORT_ESCAPE[0x0d] = 0x72; // \r

/**
 * Latin-1 text of bytes [s, e): Buffer's own latin1Slice skips toString's argument checks,
 * which cost more than the copy for the short slices made here (once or twice per row).
 */
const latin1: (b: Buffer, s: number, e: number) => string =
  typeof (Buffer.prototype as unknown as { latin1Slice?: unknown }).latin1Slice === 'function'
    ? (b, s, e) => (b as unknown as { latin1Slice(s: number, e: number): string }).latin1Slice(s, e)
    : (b, s, e) => b.toString('latin1', s, e);

/** A growing output buffer of JSON bytes; `nonAscii` tells whether the row needs UTF-8 decoding. */
export class JsonOut {
  buf = Buffer.allocUnsafe(1 << 16); // one row at a time: grows for a longer one
  pos = 0;
  nonAscii = false;

  /** Makes room for `n` more bytes. */
  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Appends bytes of `src` (the caller made room). */
  copy(src: Buffer, s: number, e: number): void {
    const out = this.buf;
    let p = this.pos;
    if (e - s > 32) p += src.copy(out, p, s, e);
    else for (let i = s; i < e; i++) out[p++] = src[i]!;
    this.pos = p;
  }

  /** Appends a JS string as UTF-8. */
  text(s: string): void {
    this.room(s.length * 3);
    const n = this.buf.write(s, this.pos, 'utf8');
    if (n !== s.length) this.nonAscii = true;
    this.pos += n;
  }

  /** Appends a short ASCII string (a number's text): a loop beats a native call for a few bytes. */
  ascii(s: string): void {
    this.room(s.length);
    const out = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) out[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** The text of bytes [s, pos), decoded as Latin-1 when they are all ASCII (faster, same text). */
  take(s: number): string {
    return this.nonAscii ? this.buf.toString('utf8', s, this.pos) : latin1(this.buf, s, this.pos);
  }
}

/** The text of a cell's bytes; `esc`: a quoted field's content, whose `""` stand for `"`. */
export function cellText(src: Buffer, s: number, e: number, esc: boolean): string {
  const t = src.toString('utf8', s, e);
  return esc ? t.replaceAll('""', '"') : t;
}

/** Writes a JSON string of cell bytes [s, e), escaped as JSON.stringify does. */
function writeString(out: JsonOut, src: Buffer, s: number, e: number, esc: boolean): void {
  out.room((e - s) * 6 + 2);
  const o = out.buf;
  let p = out.pos;
  o[p++] = QUOTE;
  for (let i = s; i < e; i++) {
    const c = src[i]!;
    if (c >= 0x20 && c !== QUOTE && c !== BACKSLASH) {
      if (c >= 0x80) out.nonAscii = true;
      o[p++] = c;
    } else if (c === QUOTE || c === BACKSLASH) {
      o[p++] = BACKSLASH;
      o[p++] = c;
      if (c === QUOTE && esc) i++; // the second quote of a doubled pair
    } else if (SHORT_ESCAPE[c]) {
      o[p++] = BACKSLASH;
      o[p++] = SHORT_ESCAPE[c]!;
    } else {
      o[p++] = BACKSLASH;
      o[p++] = 0x75; // u00XX
      o[p++] = 0x30;
      o[p++] = 0x30;
      o[p++] = HEX.charCodeAt(c >> 4);
      o[p++] = HEX.charCodeAt(c & 15);
    }
  }
  o[p++] = QUOTE;
  out.pos = p;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

function equals(src: Buffer, s: number, e: number, word: string): boolean {
  if (e - s !== word.length) return false;
  for (let i = 0; i < word.length; i++) if (src[s + i] !== word.charCodeAt(i)) return false;
  return true;
}

/**
 * The shape of a JSON number literal at [s, e) (parseCsvCell's JSON_NUMBER): 0 when it is not
 * one, 1 an int, 2 a decimal (no exponent) whose text is surely JS's text of it, 3 another
 * decimal, 4 a number with an exponent.
 */
function numberShape(src: Buffer, s: number, e: number): number {
  let i = s;
  if (src[i] === 0x2d) i++;
  const intStart = i;
  if (src[i] === 0x30) i++;
  else if (isDigit(src[i])) while (i < e && isDigit(src[i])) i++;
  else return 0;
  const intEnd = i;
  if (i === e) return 1;
  let plain = false;
  if (src[i] === 0x2e) {
    const f = ++i;
    while (i < e && isDigit(src[i])) i++;
    if (i === f) return 0;
    // Up to 15 significant digits read back to the same digits (DBL_DIG), so with no trailing
    // zero and in the range JS prints without exponent (>= 1e-6) String(Number(t)) is t itself.
    let lead = 0;
    if (src[intStart] === 0x30) while (f + lead < i && src[f + lead] === 0x30) lead++;
    const sig = (src[intStart] === 0x30 ? 0 : intEnd - intStart) + (i - f - lead);
    plain = i === e && sig <= 15 && lead <= 5 && src[i - 1] !== 0x30;
  }
  if (i === e) return plain ? 2 : 3;
  if (src[i] !== 0x65 && src[i] !== 0x45) return 0;
  i++;
  if (src[i] === 0x2b || src[i] === 0x2d) i++;
  const x = i;
  while (i < e && isDigit(src[i])) i++;
  return i === x || i !== e ? 0 : 4;
}

/**
 * Writes the JSON of a cell through the value path (rare kinds). The value is encoded inside a
 * dict, as it is in its row: the encoder's depth limit then cuts deep JSON at the same level.
 */
function writeByValue(out: JsonOut, src: Buffer, s: number, e: number, esc: boolean): void {
  const inRow = toJSON(new VDict([['', parseCsvCell(cellText(src, s, e, esc))]]));
  out.text(inRow.slice(4, -1)); // without `{"":` and `}`
}

/** Writes `toJSON(parseCsvCell(text))` of the cell bytes [s, e) (`esc`: see cellText). */
export function writeCell(out: JsonOut, src: Buffer, s: number, e: number, esc: boolean): void {
  if (s === e) return out.ascii('null');
  const c = src[s]!;
  if (c === 0x20) return writeString(out, src, s + 1, e, esc);
  // Nested JSON and byte strings need the value.
  if (c === 0x7b || c === 0x5b || equals(src, s, Math.min(e, s + 7), 'base64:')) return writeByValue(out, src, s, e, esc);
  // A cell with a quote in it is no number nor keyword: a string.
  if (esc) return writeString(out, src, s, e, esc);
  if (isDigit(c) || c === 0x2d) {
    const shape = numberShape(src, s, e);
    if (shape === 1 && e - s <= 15) {
      // parseCsvCell reads `-0` as the int 0.
      if (e - s === 2 && c === 0x2d && src[s + 1] === 0x30) return out.ascii('0');
      out.room(e - s);
      return out.copy(src, s, e);
    }
    if (shape === 2) {
      out.room(e - s);
      return out.copy(src, s, e);
    }
    if (shape >= 3) {
      const n = Number(latin1(src, s, e));
      // The writer prints floats as JS does: its text is nearly always JS's text already.
      if (shape === 3 && printsAsItself(src, s, e, n)) {
        out.room(e - s);
        return out.copy(src, s, e);
      }
      // Integral floats are VFloats, whose -0 prints as -0; NaN/Infinity print as null.
      return out.ascii(Object.is(n, -0) ? '-0' : Number.isFinite(n) ? String(n) : 'null');
    }
    if (shape === 1) return writeByValue(out, src, s, e, esc);
    if (equals(src, s, e, '-Inf')) return out.ascii('null');
  } else if (c === 0x74 || c === 0x66) {
    if (equals(src, s, e, 'true') || equals(src, s, e, 'false')) {
      out.room(5);
      return out.copy(src, s, e);
    }
  } else if (equals(src, s, e, 'NaN') || equals(src, s, e, '+Inf')) return out.ascii('null');
  writeString(out, src, s, e, false);
}

/**
 * The merge key of a `_ts` cell: its number as parseCsvCell reads it, or undefined when it is
 * not a number (then the row sorts with the row before it).
 */
export function cellKey(src: Buffer, s: number, e: number, esc: boolean): number | undefined {
  if (!esc && e - s <= 15 && e > s && numberShape(src, s, e) === 1) {
    let i = s;
    const neg = src[i] === 0x2d;
    if (neg) i++;
    let n = 0;
    for (; i < e; i++) n = n * 10 + (src[i]! - 0x30);
    return neg ? -n || 0 : n;
  }
  const v = parseCsvCell(cellText(src, s, e, esc));
  return typeof v === 'number' ? v : undefined;
}
