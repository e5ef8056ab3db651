/**
 * Go `%v` text and `fmt.Sprintf` (SPEC 14.3), ported from Go's fmt and strconv packages.
 *
 * The printer works on Go byte strings held in "binary" JS strings (one char per byte, codes
 * 0-255) so that widths count runes, `%x` sees the bytes and invalid UTF-8 survives exactly as in
 * Go. The result is converted back at the end: `sprintfValue` gives a string value (VBytes when
 * the bytes are not UTF-8), `sprintf` and `goText` give JS text with invalid bytes as U+FFFD.
 *
 * How VQL values map to Go values (what Go's fmt would receive from vfilter):
 *
 * | VQL value | Go type (`%T`)        | behaviour                                               |
 * |-----------|-----------------------|---------------------------------------------------------|
 * | null      | `types.Null`          | a Stringer: `%v`/`%s` give `Null`; `%d` gives `{}`      |
 * | bool      | `bool`                |                                                         |
 * | int       | `int64` (`uint64` above int64) |                                                |
 * | float     | `float64`             |                                                         |
 * | string    | `string`              | VBytes too (a Go string holding non-UTF-8 bytes)       |
 * | array     | `[]types.Any`         | verbs apply element-wise: `%d` of `[1,2]` is `[1 2]`    |
 * | dict      | `*ordereddict.Dict`   | a Stringer giving its JSON text                         |
 * | time      | `time.Time`           | a Stringer giving `2006-01-02 15:04:05.999 +0000 UTC`   |
 * | host      | `*<ClassName>`        | a Stringer: JSON of its members, else `String(v)`       |
 */
import { Lazy, MEMBERS, VBytes, VDict, VFloat, VTime, isHostObject, type Value } from './types.ts';
import { bytesToValue } from './kinds.ts';
import { decodeUtf8Lossy, toJSON } from './json.ts';

/** The `%v` text of VQL null (vfilter's `types.Null` Stringer). */
const NULL_TEXT = 'Null';
const NULL_TYPE = 'types.Null';

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
const UINT64_MASK = (1n << 64n) - 1n;
/** 2^63 as a double: integral numbers at or beyond it cannot be int64s and print as floats. */
const TWO_63 = 9223372036854775808;

/** Nested arrays/maps deeper than this print `[...]` instead of recursing (cycle guard). */
const MAX_PRINT_DEPTH = 64;

// ---------------------------------------------------------------------------------------------
// Public API

/**
 * Go's `%v` text of a value (SPEC 14.3), as used by GROUP BY keys, string coercion and
 * `format()`: `1e+06` for the float 1000000, `[1 2 Null]` for an array, JSON for a dict,
 * `Null` for null. Invalid UTF-8 bytes come out as U+FFFD.
 */
export function goText(v: Value): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return Number.isInteger(v) && Math.abs(v) < TWO_63
        ? Number.isSafeInteger(v) ? String(v) : BigInt(v).toString()
        : formatFloat(v, 'g', -1);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return v.toString();
    case 'undefined':
      return NULL_TEXT;
    default:
      break;
  }
  if (v === null) return NULL_TEXT;
  if (v instanceof VFloat) return formatFloat(v.value, 'g', -1);
  if (v instanceof VDict) return toJSON(v);
  if (v instanceof VBytes) return decodeUtf8Lossy(v.bytes);
  if (v instanceof VTime) return goTimeText(v);
  const p = new Printer();
  p.printArg(v, 'v');
  return binToText(p.buf);
}

/**
 * Go's `fmt.Sprintf(format, args...)`, returned as JS text (invalid UTF-8 bytes in the result
 * become U+FFFD). Example: `sprintf('%05.1f|%-4s|%x', [3.14159, 'ab', 255])` is
 * `003.1|ab  |ff`; `sprintf('%d', ['abc'])` is `%!d(string=abc)`.
 */
export function sprintf(format: string | VBytes, args: readonly Value[]): string {
  return binToText(sprintfBin(format, args));
}

/**
 * `sprintf` returning a VQL string value: a JS string, or VBytes when the formatted bytes are
 * not valid UTF-8 (`sprintfValue('%s', [new VBytes(...)])` keeps the bytes). Use this for the
 * `format()` function.
 */
export function sprintfValue(format: string | VBytes, args: readonly Value[]): string | VBytes {
  const out = sprintfBin(format, args);
  return isAsciiBin(out) ? out : bytesToValue(binToBytes(out));
}

/** The Go type name fmt shows for a value in `%T` and in `%!verb(type=value)` annotations. */
export function goTypeName(v: Value): string {
  switch (typeof v) {
    case 'undefined':
      return NULL_TYPE;
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(v) && Math.abs(v) < TWO_63 ? 'int64' : 'float64';
    case 'bigint':
      return v > INT64_MAX ? 'uint64' : 'int64';
    case 'string':
      return 'string';
    case 'function':
      return 'func()';
    case 'symbol':
      return 'string';
    default:
      break;
  }
  if (v === null) return NULL_TYPE;
  if (v instanceof VBytes) return 'string';
  if (v instanceof VFloat) return 'float64';
  if (Array.isArray(v)) return '[]types.Any';
  if (v instanceof VDict) return '*ordereddict.Dict';
  if (v instanceof VTime) return 'time.Time';
  if (v instanceof Uint8Array) return '[]uint8';
  if (v instanceof Lazy) return goTypeName(forceSync(v));
  if (v instanceof Map || (isPlainObject(v) && !isHostObject(v))) return 'map[string]interface {}';
  const name = (v as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? '*' + name : 'struct {}';
}

/** Go's default `time.Time` text in UTC: `2006-01-02 15:04:05.999999999 +0000 UTC`. */
export function goTimeText(t: VTime): string {
  const d = t.date;
  const year = d.getUTCFullYear();
  let s = (year < 0 ? '-' + pad0(-year, 4) : pad0(year, 4)) + '-' + pad0(d.getUTCMonth() + 1, 2) + '-' +
    pad0(d.getUTCDate(), 2) + ' ' + pad0(d.getUTCHours(), 2) + ':' + pad0(d.getUTCMinutes(), 2) + ':' +
    pad0(d.getUTCSeconds(), 2);
  const ns = t.nanosecond;
  if (ns !== 0) s += '.' + trimTrailingZeros(pad0(ns, 9));
  return s + ' +0000 UTC';
}

/**
 * Go's `strconv.FormatFloat(x, fmt, prec, 64)`: fmt is one of `e E f g G b x X`; prec -1 means
 * the shortest digits that round-trip. Rounding is exact (ties to even on the exact binary
 * value). Example: `formatFloat(1e6, 'g', -1)` is `1e+06`, `formatFloat(2.5, 'f', 0)` is `2`.
 */
export function formatFloat(x: number, fmt: string, prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  const neg = x < 0 || Object.is(x, -0);
  const ax = Math.abs(x);
  // Fast path for %v: in this range both Go and JS print the shortest digits without exponent.
  if (prec < 0 && fmt === 'g' && ax >= 1e-4 && ax < 1e6) return String(x);
  if (fmt === 'b') return fmtB(neg, ax);
  if (fmt === 'x' || fmt === 'X') return fmtX(ax, neg, prec, fmt);
  let digs: Decimal;
  const shortest = prec < 0;
  if (shortest) {
    digs = ax === 0 ? ZERO_DECIMAL : shortestDecimal(ax);
    switch (fmt) {
      case 'e':
      case 'E':
        prec = Math.max(digs.d.length - 1, 0);
        break;
      case 'f':
        prec = Math.max(digs.d.length - digs.dp, 0);
        break;
      case 'g':
      case 'G':
        prec = digs.d.length;
        break;
      default:
        break;
    }
  } else {
    const exact = ax === 0 ? ZERO_DECIMAL : exactDecimal(ax);
    switch (fmt) {
      case 'e':
      case 'E':
        digs = roundDecimal(exact, prec + 1);
        break;
      case 'f':
        digs = roundDecimal(exact, exact.dp + prec);
        break;
      case 'g':
      case 'G':
        if (prec === 0) prec = 1;
        digs = roundDecimal(exact, prec);
        break;
      default:
        digs = exact;
        break;
    }
  }
  return formatDigits(neg, digs, prec, fmt, shortest);
}

// ---------------------------------------------------------------------------------------------
// strconv: decimal digits of a double

/** Decimal digits `d` (no trailing zeros; '' for zero) with the point after `dp` digits. */
interface Decimal {
  readonly d: string;
  readonly dp: number;
}

const ZERO_DECIMAL: Decimal = { d: '', dp: 0 };

/** Shortest round-trip digits of a positive finite double (JS Number-to-String picks the closest). */
function shortestDecimal(x: number): Decimal {
  const t = String(x);
  let mant = t;
  let exp = 0;
  const e = t.indexOf('e');
  if (e >= 0) {
    mant = t.slice(0, e);
    exp = Number(t.slice(e + 1));
  }
  const dot = mant.indexOf('.');
  let d = dot < 0 ? mant : mant.slice(0, dot) + mant.slice(dot + 1);
  let dp = (dot < 0 ? mant.length : dot) + exp;
  let lead = 0;
  while (lead < d.length - 1 && d.charCodeAt(lead) === 0x30) lead++;
  if (lead > 0) {
    d = d.slice(lead);
    dp -= lead;
  }
  return { d: trimTrailingZeros(d), dp };
}

const POW5: bigint[] = [];
function pow5(k: number): bigint {
  return (POW5[k] ??= 5n ** BigInt(k));
}

const F64 = new DataView(new ArrayBuffer(8));

/** Mantissa and binary exponent of a double as Go's genericFtoa computes them (mant * 2^(exp-52)). */
function decompose(x: number): { mant: bigint; exp: number } {
  F64.setFloat64(0, x);
  const hi = F64.getUint32(0);
  const lo = F64.getUint32(4);
  let exp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (exp === 0) exp++;
  else mant |= 1n << 52n;
  return { mant, exp: exp - 1023 };
}

/** The exact decimal expansion of a positive finite double. */
function exactDecimal(x: number): Decimal {
  const { mant, exp } = decompose(x);
  const e = exp - 52;
  let d: string;
  let dp: number;
  if (e >= 0) {
    d = (mant << BigInt(e)).toString();
    dp = d.length;
  } else {
    d = (mant * pow5(-e)).toString();
    dp = d.length + e;
  }
  return { d: trimTrailingZeros(d), dp };
}

/** Go's decimal.Round: round to `nd` digits, ties to even. */
function roundDecimal(a: Decimal, nd: number): Decimal {
  const d = a.d;
  if (nd < 0 || nd >= d.length) return a;
  const c = d.charCodeAt(nd);
  let up: boolean;
  if (c === 0x35 && nd + 1 === d.length) up = nd > 0 && (d.charCodeAt(nd - 1) - 0x30) % 2 !== 0;
  else up = c >= 0x35;
  if (up) {
    for (let i = nd - 1; i >= 0; i--) {
      const ci = d.charCodeAt(i);
      if (ci < 0x39) return { d: d.slice(0, i) + String.fromCharCode(ci + 1), dp: a.dp };
    }
    return { d: '1', dp: a.dp + 1 };
  }
  const kept = trimTrailingZeros(d.slice(0, nd));
  return kept === '' ? ZERO_DECIMAL : { d: kept, dp: a.dp };
}

function formatDigits(neg: boolean, digs: Decimal, prec: number, fmt: string, shortest: boolean): string {
  switch (fmt) {
    case 'e':
    case 'E':
      return fmtE(neg, digs, prec, fmt);
    case 'f':
      return fmtF(neg, digs, prec);
    case 'g':
    case 'G': {
      const nd = digs.d.length;
      let eprec = prec;
      if (eprec > nd && nd >= digs.dp) eprec = nd;
      // %e is used if the exponent from the conversion is less than -4 or greater than or
      // equal to the precision. If precision was the shortest possible, use precision 6.
      if (shortest) eprec = 6;
      const exp = digs.dp - 1;
      if (exp < -4 || exp >= eprec) {
        if (prec > nd) prec = nd;
        return fmtE(neg, digs, prec - 1, fmt === 'g' ? 'e' : 'E');
      }
      if (prec > digs.dp) prec = nd;
      return fmtF(neg, digs, Math.max(prec - digs.dp, 0));
    }
    default:
      return '%' + fmt;
  }
}

function fmtE(neg: boolean, digs: Decimal, prec: number, fmt: string): string {
  const d = digs.d;
  let out = neg ? '-' : '';
  out += d.length ? d[0] : '0';
  if (prec > 0) {
    out += '.';
    const m = Math.min(d.length, prec + 1);
    if (m > 1) out += d.slice(1, m);
    for (let i = Math.max(m, 1); i <= prec; i++) out += '0';
  }
  out += fmt;
  let exp = d.length === 0 ? 0 : digs.dp - 1;
  if (exp < 0) {
    out += '-';
    exp = -exp;
  } else {
    out += '+';
  }
  return out + (exp < 10 ? '0' + exp : String(exp));
}

function fmtF(neg: boolean, digs: Decimal, prec: number): string {
  const d = digs.d;
  let out = neg ? '-' : '';
  if (digs.dp > 0) {
    const m = Math.min(d.length, digs.dp);
    out += d.slice(0, m);
    for (let i = m; i < digs.dp; i++) out += '0';
  } else {
    out += '0';
  }
  if (prec > 0) {
    out += '.';
    for (let i = 0; i < prec; i++) {
      const j = digs.dp + i;
      out += j >= 0 && j < d.length ? d[j] : '0';
    }
  }
  return out;
}

/** %b: -ddddp±ddd (decimal mantissa, binary exponent). */
function fmtB(neg: boolean, ax: number): string {
  const { mant, exp } = decompose(ax);
  const e = exp - 52;
  return (neg ? '-' : '') + mant.toString() + 'p' + (e >= 0 ? '+' : '') + e;
}

/** %x: -0x1.yyyyp±dd (hexadecimal fraction, binary exponent). */
function fmtX(ax: number, neg: boolean, prec: number, fmt: string): string {
  let { mant, exp } = decompose(ax);
  if (mant === 0n) exp = 0;
  mant <<= 8n; // leading 1 (if any) at bit 60
  while (mant !== 0n && (mant & (1n << 60n)) === 0n) {
    mant <<= 1n;
    exp--;
  }
  if (prec >= 0 && prec < 15) {
    const shift = BigInt(prec * 4);
    const extra = (mant << shift) & ((1n << 60n) - 1n);
    mant >>= 60n - shift;
    if ((extra | (mant & 1n)) > 1n << 59n) mant++;
    mant <<= 60n - shift;
    if ((mant & (1n << 61n)) !== 0n) {
      mant >>= 1n;
      exp++;
    }
  }
  const hex = fmt === 'X' ? UPPER_HEX : LOWER_HEX;
  let out = (neg ? '-' : '') + '0' + fmt + String((mant >> 60n) & 1n);
  mant = (mant << 4n) & UINT64_MASK;
  if (prec < 0 && mant !== 0n) {
    out += '.';
    while (mant !== 0n) {
      out += hex[Number((mant >> 60n) & 15n)];
      mant = (mant << 4n) & UINT64_MASK;
    }
  } else if (prec > 0) {
    out += '.';
    for (let i = 0; i < prec; i++) {
      out += hex[Number((mant >> 60n) & 15n)];
      mant = (mant << 4n) & UINT64_MASK;
    }
  }
  out += fmt === 'X' ? 'P' : 'p';
  if (exp < 0) {
    out += '-';
    exp = -exp;
  } else {
    out += '+';
  }
  return out + (exp < 10 ? '0' + exp : String(exp));
}

// ---------------------------------------------------------------------------------------------
// The printer (Go's fmt.pp and fmt.fmt merged)

const LOWER_HEX = '0123456789abcdef';
const UPPER_HEX = '0123456789ABCDEF';

/** A nil pointer of a named Go type (the `loc` field of a UTC time.Time). */
class GoNilPointer {
  constructor(readonly typeName: string) {}
}

/** An explicitly unsigned Go integer (uint64 struct fields). */
class GoUint {
  constructor(readonly value: bigint) {}
}

class Printer {
  buf = '';
  // fmtFlags
  widPresent = false;
  precPresent = false;
  minus = false;
  plus = false;
  sharp = false;
  space = false;
  zero = false;
  plusV = false;
  sharpV = false;
  wid = 0;
  prec = 0;
  // pp state
  erroring = false;
  reordered = false;
  goodArgNum = true;

  clearFlags(): void {
    this.widPresent = this.precPresent = this.minus = this.plus = this.sharp = false;
    this.space = this.zero = this.plusV = this.sharpV = false;
    this.wid = this.prec = 0;
  }

  // --- fmt.fmt: padding and primitive formats ---

  writePadding(n: number): void {
    if (n <= 0) return;
    this.buf += (this.zero ? '0' : ' ').repeat(n);
  }

  /** Appends `s` (binary) padded to the width, counting runes. */
  pad(s: string): void {
    if (!this.widPresent || this.wid === 0) {
      this.buf += s;
      return;
    }
    const width = this.wid - runeCount(s);
    if (!this.minus) {
      this.writePadding(width);
      this.buf += s;
    } else {
      this.buf += s;
      this.writePadding(width);
    }
  }

  fmtBoolean(v: boolean): void {
    this.pad(v ? 'true' : 'false');
  }

  fmtUnicode(u: bigint): void {
    let prec = 4;
    if (this.precPresent && this.prec > 4) prec = this.prec;
    let hex = u.toString(16).toUpperCase();
    if (hex.length < prec) hex = '0'.repeat(prec - hex.length) + hex;
    let s = 'U+' + hex;
    if (this.sharp && u <= 0x10ffffn && isPrint(Number(u))) s += " '" + encodeRune(Number(u)) + "'";
    const oldZero = this.zero;
    this.zero = false;
    this.pad(s);
    this.zero = oldZero;
  }

  /** Formats an int64 (isSigned) or uint64 magnitude in `base`. */
  fmtInteger(v: number | bigint, base: number, isSigned: boolean, verb: string, upper: boolean): void {
    const negative = isSigned && v < 0;
    let digits = typeof v === 'number' ? Math.abs(v).toString(base) : (negative ? -v : v).toString(base);
    if (upper) digits = digits.toUpperCase();
    let prec = 0;
    if (this.precPresent) {
      prec = this.prec;
      // Precision 0 and value 0 means "print nothing" but padding.
      if (prec === 0 && (v === 0 || v === 0n)) {
        const oldZero = this.zero;
        this.zero = false;
        this.writePadding(this.wid);
        this.zero = oldZero;
        return;
      }
    } else if (this.zero && this.widPresent) {
      prec = this.wid;
      if (negative || this.plus || this.space) prec--; // leave room for the sign
    }
    if (digits.length < prec) digits = '0'.repeat(prec - digits.length) + digits;
    if (this.sharp) {
      if (base === 2) digits = '0b' + digits;
      else if (base === 8) {
        if (digits[0] !== '0') digits = '0' + digits;
      } else if (base === 16) digits = (upper ? '0X' : '0x') + digits;
    }
    if (verb === 'O') digits = '0o' + digits;
    if (negative) digits = '-' + digits;
    else if (this.plus) digits = '+' + digits;
    else if (this.space) digits = ' ' + digits;
    const oldZero = this.zero;
    this.zero = false;
    this.pad(digits);
    this.zero = oldZero;
  }

  truncate(s: string): string {
    if (!this.precPresent) return s;
    let n = this.prec;
    for (let i = 0; i < s.length; ) {
      if (--n < 0) return s.slice(0, i);
      i += s.charCodeAt(i) < 0x80 ? 1 : (decodeRune(s, i), runeSize);
    }
    return s;
  }

  fmtS(s: string): void {
    this.pad(this.truncate(s));
  }

  /** Hex of the bytes of a string (`%x`, `% x`, `%#x`). */
  fmtSx(s: string, upper: boolean): void {
    const digits = upper ? UPPER_HEX : LOWER_HEX;
    let length = s.length;
    if (this.precPresent && this.prec < length) length = this.prec;
    let width = 2 * length;
    if (width > 0) {
      if (this.space) {
        if (this.sharp) width *= 2;
        width += length - 1;
      } else if (this.sharp) {
        width += 2;
      }
    } else {
      if (this.widPresent) this.writePadding(this.wid);
      return;
    }
    if (this.widPresent && this.wid > width && !this.minus) this.writePadding(this.wid - width);
    const x = upper ? '0X' : '0x';
    let out = this.sharp ? x : '';
    for (let i = 0; i < length; i++) {
      if (this.space && i > 0) {
        out += ' ';
        if (this.sharp) out += x;
      }
      const c = s.charCodeAt(i);
      out += digits[c >> 4]! + digits[c & 15]!;
    }
    this.buf += out;
    if (this.widPresent && this.wid > width && this.minus) this.writePadding(this.wid - width);
  }

  fmtQ(s: string): void {
    s = this.truncate(s);
    if (this.sharp && canBackquote(s)) {
      this.pad('`' + s + '`');
      return;
    }
    this.pad(quoteWith(s, '"', this.plus));
  }

  fmtC(c: bigint): void {
    const r = c > 0x10ffffn ? 0xfffd : Number(c);
    this.pad(encodeRune(r));
  }

  fmtQc(c: bigint): void {
    let r = c > 0x10ffffn ? 0xfffd : Number(c);
    if (!validRune(r)) r = 0xfffd;
    this.pad("'" + escapedRune(r, "'", this.plus) + "'");
  }

  /** Go's fmt.fmtFloat: sign, NaN/Inf, `#` and zero padding around strconv's text. */
  fmtFloat(v: number, verb: string, prec: number): void {
    if (this.precPresent) prec = this.prec;
    let num = formatFloat(v, verb, prec);
    if (num[0] !== '-' && num[0] !== '+') num = '+' + num;
    if (this.space && num[0] === '+' && !this.plus) num = ' ' + num.slice(1);
    // Infinities and NaN don't look like numbers and are not zero padded.
    if (num[1] === 'I' || num[1] === 'N') {
      const oldZero = this.zero;
      this.zero = false;
      if (num[1] === 'N' && !this.space && !this.plus) num = num.slice(1);
      this.pad(num);
      this.zero = oldZero;
      return;
    }
    // The sharp flag forces a decimal point and keeps trailing zeros (except for %b).
    if (this.sharp && verb !== 'b') {
      let digits = 0;
      if (verb === 'v' || verb === 'g' || verb === 'G' || verb === 'x') {
        digits = prec;
        if (digits === -1) digits = 6;
      }
      let tail = '';
      let hasDecimalPoint = false;
      let sawNonzeroDigit = false;
      for (let i = 1; i < num.length; i++) {
        const ch = num[i]!;
        if (ch === '.') {
          hasDecimalPoint = true;
        } else if (ch === 'p' || ch === 'P' || ((ch === 'e' || ch === 'E') && verb !== 'x' && verb !== 'X')) {
          tail = num.slice(i);
          num = num.slice(0, i);
        } else {
          if (ch !== '0') sawNonzeroDigit = true;
          if (sawNonzeroDigit) digits--;
        }
      }
      if (!hasDecimalPoint) {
        if (num.length === 2 && num[1] === '0') digits--;
        num += '.';
      }
      while (digits > 0) {
        num += '0';
        digits--;
      }
      num += tail;
    }
    if (this.plus || num[0] !== '+') {
      // Zero padding goes between the sign and the digits.
      if (this.zero && this.widPresent && this.wid > num.length) {
        this.buf += num[0];
        this.writePadding(this.wid - num.length);
        this.buf += num.slice(1);
        return;
      }
      this.pad(num);
      return;
    }
    this.pad(num.slice(1));
  }

  // --- fmt.pp: verbs by type ---

  badVerb(verb: string, arg: Value, typeName?: string): void {
    this.erroring = true;
    this.buf += '%!' + verb + '(';
    this.buf += utf8ToBin(typeName ?? goTypeName(arg)) + '=';
    this.printValue(arg, 'v', 0);
    this.buf += ')';
    this.erroring = false;
  }

  fmtBool(v: boolean, verb: string): void {
    if (verb === 't' || verb === 'v') this.fmtBoolean(v);
    else this.badVerb(verb, v);
  }

  fmt0x64(v: bigint, leading0x: boolean): void {
    const sharp = this.sharp;
    this.sharp = leading0x;
    this.fmtInteger(v, 16, false, 'v', false);
    this.sharp = sharp;
  }

  /** An int64 (isSigned) or uint64 under `verb`; `arg` is what a bad verb shows. */
  fmtInt(v: number | bigint, isSigned: boolean, verb: string, arg: Value): void {
    switch (verb) {
      case 'v':
        if (this.sharpV && !isSigned) this.fmt0x64(BigInt(v), true);
        else this.fmtInteger(v, 10, isSigned, verb, false);
        return;
      case 'd':
        return this.fmtInteger(v, 10, isSigned, verb, false);
      case 'b':
        return this.fmtInteger(v, 2, isSigned, verb, false);
      case 'o':
      case 'O':
        return this.fmtInteger(v, 8, isSigned, verb, false);
      case 'x':
        return this.fmtInteger(v, 16, isSigned, verb, false);
      case 'X':
        return this.fmtInteger(v, 16, isSigned, verb, true);
      case 'c':
        return this.fmtC(BigInt.asUintN(64, BigInt(v)));
      case 'q':
        return this.fmtQc(BigInt.asUintN(64, BigInt(v)));
      case 'U':
        return this.fmtUnicode(BigInt.asUintN(64, BigInt(v)));
      default:
        return this.badVerb(verb, arg, isSigned ? 'int64' : 'uint64');
    }
  }

  fmtFloatVerb(v: number, verb: string, arg: Value): void {
    switch (verb) {
      case 'v':
        return this.fmtFloat(v, 'g', -1);
      case 'b':
      case 'g':
      case 'G':
      case 'x':
      case 'X':
        return this.fmtFloat(v, verb, -1);
      case 'f':
      case 'e':
      case 'E':
        return this.fmtFloat(v, verb, 6);
      case 'F':
        return this.fmtFloat(v, 'f', 6);
      default:
        return this.badVerb(verb, arg, 'float64');
    }
  }

  /** A Go string (binary) under `verb`. */
  fmtString(s: string, verb: string, arg: Value): void {
    switch (verb) {
      case 'v':
        if (this.sharpV) this.fmtQ(s);
        else this.fmtS(s);
        return;
      case 's':
        return this.fmtS(s);
      case 'x':
        return this.fmtSx(s, false);
      case 'X':
        return this.fmtSx(s, true);
      case 'q':
        return this.fmtQ(s);
      default:
        return this.badVerb(verb, arg, 'string');
    }
  }

  /** A Go []byte (binary) under `verb`. */
  fmtBytes(s: string, verb: string, arg: Value): void {
    switch (verb) {
      case 'v':
      case 'd':
        if (this.sharpV) {
          this.buf += '[]byte{';
          for (let i = 0; i < s.length; i++) {
            if (i > 0) this.buf += ', ';
            this.fmt0x64(BigInt(s.charCodeAt(i)), true);
          }
          this.buf += '}';
        } else {
          this.buf += '[';
          for (let i = 0; i < s.length; i++) {
            if (i > 0) this.buf += ' ';
            this.fmtInteger(s.charCodeAt(i), 10, false, verb, false);
          }
          this.buf += ']';
        }
        return;
      case 's':
        return this.fmtS(s);
      case 'x':
        return this.fmtSx(s, false);
      case 'X':
        return this.fmtSx(s, true);
      case 'q':
        return this.fmtQ(s);
      default: {
        // Go prints other verbs element-wise, like a slice of uint8.
        this.buf += '[';
        for (let i = 0; i < s.length; i++) {
          if (i > 0) this.buf += ' ';
          this.fmtInt(s.charCodeAt(i), false, verb, arg);
        }
        this.buf += ']';
      }
    }
  }

  /**
   * A value with a String() method in Go (null, dict, time, host objects): the stringable
   * verbs format its text, unless we are printing an error annotation or Go syntax (`%#v`).
   */
  tryStringer(verb: string): boolean {
    return !this.erroring && !this.sharpV && (verb === 'v' || verb === 's' || verb === 'x' || verb === 'X' || verb === 'q');
  }

  /** Go's printArg: %T and %p first, then the value. */
  printArg(arg: Value, verb: string): void {
    if (verb === 'T') {
      this.fmtS(utf8ToBin(goTypeName(arg)));
      return;
    }
    if (verb === 'p') {
      // Addresses do not exist here; report the verb as unsupported for every value.
      this.badVerb(verb, arg);
      return;
    }
    this.printValue(arg, verb, 0);
  }

  /** Go's printValue over the VQL value model (see the table at the top of the file). */
  printValue(v: Value, verb: string, depth: number): void {
    switch (typeof v) {
      case 'boolean':
        return this.fmtBool(v, verb);
      case 'number':
        if (Number.isInteger(v) && Math.abs(v) < TWO_63) {
          return this.fmtInt(Number.isSafeInteger(v) ? v : BigInt(v), true, verb, v);
        }
        return this.fmtFloatVerb(v, verb, v);
      case 'bigint':
        if (v > INT64_MAX) return this.fmtInt(BigInt.asUintN(64, v), false, verb, v);
        return this.fmtInt(v < INT64_MIN ? BigInt.asIntN(64, v) : v, true, verb, v);
      case 'string':
        return this.fmtString(utf8ToBin(v), verb, v);
      case 'undefined':
        return this.printNull(verb);
      case 'function':
      case 'symbol':
        return this.printStringer(v, verb, String(v));
      default:
        break;
    }
    if (v === null) return this.printNull(verb);
    if (v instanceof VFloat) return this.fmtFloatVerb(v.value, verb, v);
    if (v instanceof VBytes) return this.fmtString(bytesToBin(v.bytes), verb, v);
    if (Array.isArray(v)) return this.printSlice(v, verb, depth);
    if (v instanceof VDict) return this.printStringer(v, verb, toJSON(v));
    if (v instanceof VTime) {
      if (this.tryStringer(verb)) return this.fmtString(goTimeText(v), verb, v);
      return this.printTimeStruct(v, verb);
    }
    if (v instanceof Lazy) return this.printValue(forceSync(v), verb, depth);
    if (v instanceof GoUint) return this.fmtInt(v.value, false, verb, v.value);
    if (v instanceof GoNilPointer) return this.printNilPointer(v, verb);
    if (v instanceof Uint8Array) return this.fmtBytes(bytesToBin(v), verb, v);
    if (isHostObject(v) && typeof (v as Partial<Record<typeof MEMBERS, unknown>>)[MEMBERS] === 'function') {
      return this.printStringer(v, verb, toJSON(v));
    }
    if (v instanceof Map || isPlainObject(v)) return this.printMap(v as Map<unknown, unknown> | Record<string, unknown>, verb, depth);
    return this.printStringer(v, verb, String(v));
  }

  /** vfilter's types.Null{}: a Stringer giving `Null`, otherwise an empty struct `{}`. */
  printNull(verb: string): void {
    if (this.tryStringer(verb)) return this.fmtString(NULL_TEXT, verb, null);
    this.buf += this.sharpV ? NULL_TYPE + '{}' : '{}';
  }

  /**
   * Dicts and host objects: Stringers. Go would dump their struct internals for the other
   * verbs; we show the text for `%v`/`%#v`/annotations and a bad-verb annotation otherwise.
   */
  printStringer(v: Value, verb: string, text: string): void {
    if (this.tryStringer(verb)) return this.fmtString(utf8ToBin(text), verb, v);
    if (verb === 'v' || this.erroring) {
      this.buf += utf8ToBin(text);
      return;
    }
    this.badVerb(verb, v);
  }

  /** A time.Time without a Stringer in play: its struct `{wall ext loc}` (UTC, no monotonic clock). */
  printTimeStruct(t: VTime, verb: string): void {
    const unixSec = BigInt(t.unix);
    const wall = new GoUint(BigInt(t.nanosecond));
    const ext = unixSec + 62135596800n; // seconds since January 1, year 1
    const loc = new GoNilPointer('*time.Location');
    if (this.sharpV) {
      this.buf += 'time.Time{wall:';
      this.fmt0x64(wall.value, true);
      this.buf += ', ext:';
      this.fmtInteger(ext, 10, true, 'v', false);
      this.buf += ', loc:(*time.Location)(nil)}';
      return;
    }
    this.buf += '{';
    this.printValue(wall, verb, 1);
    this.buf += ' ';
    this.fmtInt(ext, true, verb, ext);
    this.buf += ' ';
    this.printValue(loc, verb, 1);
    this.buf += '}';
  }

  printNilPointer(p: GoNilPointer, verb: string): void {
    switch (verb) {
      case 'v':
        if (this.sharpV) this.buf += '(' + p.typeName + ')(nil)';
        else this.pad('<nil>');
        return;
      case 'b':
      case 'o':
      case 'd':
      case 'x':
      case 'X':
        return this.fmtInt(0n, false, verb, 0n);
      default:
        return this.badVerb(verb, p, p.typeName);
    }
  }

  printSlice(a: readonly Value[], verb: string, depth: number): void {
    if (depth >= MAX_PRINT_DEPTH) {
      this.buf += '[...]';
      return;
    }
    if (this.sharpV) {
      this.buf += goTypeName(a) + '{';
      for (let i = 0; i < a.length; i++) {
        if (i > 0) this.buf += ', ';
        this.printValue(a[i], verb, depth + 1);
      }
      this.buf += '}';
      return;
    }
    this.buf += '[';
    for (let i = 0; i < a.length; i++) {
      if (i > 0) this.buf += ' ';
      this.printValue(a[i], verb, depth + 1);
    }
    this.buf += ']';
  }

  /** A Go map: `map[k:v ...]` with sorted keys. */
  printMap(m: Map<unknown, unknown> | Record<string, unknown>, verb: string, depth: number): void {
    if (depth >= MAX_PRINT_DEPTH) {
      this.buf += 'map[...]';
      return;
    }
    const entries: [string, unknown][] = m instanceof Map
      ? [...m].map(([k, x]) => [String(k), x])
      : Object.keys(m).map((k) => [k, m[k]]);
    entries.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    this.buf += this.sharpV ? 'map[string]interface {}{' : 'map[';
    for (let i = 0; i < entries.length; i++) {
      if (i > 0) this.buf += this.sharpV ? ', ' : ' ';
      this.printValue(entries[i]![0], verb, depth + 1);
      this.buf += ':';
      this.printValue(entries[i]![1], verb, depth + 1);
    }
    this.buf += this.sharpV ? '}' : ']';
  }

  // --- fmt.pp: the format loop ---

  argNumber(argNum: number, format: string, i: number, numArgs: number): [number, number, boolean] {
    if (format.length <= i || format[i] !== '[') return [argNum, i, false];
    this.reordered = true;
    const [index, wid, ok] = parseArgNumber(format.slice(i));
    if (ok && index >= 0 && index < numArgs) return [index, i + wid, true];
    this.goodArgNum = false;
    return [argNum, i + wid, ok];
  }

  doPrintf(format: string, a: readonly Value[]): void {
    const end = format.length;
    let argNum = 0;
    let afterIndex = false;
    this.reordered = false;
    formatLoop: for (let i = 0; i < end; ) {
      this.goodArgNum = true;
      const lasti = i;
      while (i < end && format.charCodeAt(i) !== 0x25) i++;
      if (i > lasti) this.buf += format.slice(lasti, i);
      if (i >= end) break;
      i++; // skip %

      this.clearFlags();
      simpleFormat: for (; i < end; i++) {
        const c = format[i]!;
        switch (c) {
          case '#':
            this.sharp = true;
            break;
          case '0':
            this.zero = !this.minus; // only allow zero padding to the left
            break;
          case '+':
            this.plus = true;
            break;
          case '-':
            this.minus = true;
            this.zero = false;
            break;
          case ' ':
            this.space = true;
            break;
          default:
            // Fast path: a lower case verb with no width, precision or index.
            if (c >= 'a' && c <= 'z' && argNum < a.length) {
              if (c === 'v') {
                this.sharpV = this.sharp;
                this.sharp = false;
                this.plusV = this.plus;
                this.plus = false;
              }
              this.printArg(a[argNum], c);
              argNum++;
              i++;
              continue formatLoop;
            }
            break simpleFormat;
        }
      }

      [argNum, i, afterIndex] = this.argNumber(argNum, format, i, a.length);

      if (i < end && format[i] === '*') {
        i++;
        [this.wid, this.widPresent, argNum] = intFromArg(a, argNum);
        if (!this.widPresent) this.buf += '%!(BADWIDTH)';
        if (this.wid < 0) {
          this.wid = -this.wid;
          this.minus = true;
          this.zero = false;
        }
        afterIndex = false;
      } else {
        [this.wid, this.widPresent, i] = parseNum(format, i, end);
        if (afterIndex && this.widPresent) this.goodArgNum = false; // "%[3]2d"
      }

      if (i + 1 < end && format[i] === '.') {
        i++;
        if (afterIndex) this.goodArgNum = false; // "%[3].2d"
        [argNum, i, afterIndex] = this.argNumber(argNum, format, i, a.length);
        if (i < end && format[i] === '*') {
          i++;
          [this.prec, this.precPresent, argNum] = intFromArg(a, argNum);
          if (this.prec < 0) {
            this.prec = 0;
            this.precPresent = false;
          }
          if (!this.precPresent) this.buf += '%!(BADPREC)';
          afterIndex = false;
        } else {
          [this.prec, this.precPresent, i] = parseNum(format, i, end);
          if (!this.precPresent) {
            this.prec = 0;
            this.precPresent = true;
          }
        }
      }

      if (!afterIndex) [argNum, i, afterIndex] = this.argNumber(argNum, format, i, a.length);

      if (i >= end) {
        this.buf += '%!(NOVERB)';
        break;
      }

      let verb: string;
      if (format.charCodeAt(i) < 0x80) {
        verb = format[i]!;
        i++;
      } else {
        verb = encodeRune(decodeRune(format, i));
        i += runeSize;
      }

      if (verb === '%') {
        this.buf += '%'; // does not absorb an operand; ignores width and precision
      } else if (!this.goodArgNum) {
        this.buf += '%!' + verb + '(BADINDEX)';
      } else if (argNum >= a.length) {
        this.buf += '%!' + verb + '(MISSING)';
      } else {
        if (verb === 'v') {
          this.sharpV = this.sharp;
          this.sharp = false;
          this.plusV = this.plus;
          this.plus = false;
        }
        this.printArg(a[argNum], verb);
        argNum++;
      }
    }

    // Extra arguments are reported unless the format used explicit indexes.
    if (!this.reordered && argNum < a.length) {
      this.clearFlags();
      this.buf += '%!(EXTRA ';
      for (let k = argNum; k < a.length; k++) {
        if (k > argNum) this.buf += ', ';
        this.buf += utf8ToBin(goTypeName(a[k])) + '=';
        this.printArg(a[k], 'v');
      }
      this.buf += ')';
    }
  }
}

function sprintfBin(format: string | VBytes, args: readonly Value[]): string {
  const p = new Printer();
  p.doPrintf(typeof format === 'string' ? utf8ToBin(format) : bytesToBin(format.bytes), args);
  return p.buf;
}

function tooLarge(x: number): boolean {
  return x > 1e6 || x < -1e6;
}

/** Go's parsenum: [num, isnum, newi]. */
function parseNum(s: string, start: number, end: number): [number, boolean, number] {
  if (start >= end) return [0, false, end];
  let num = 0;
  let isnum = false;
  let i = start;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    if (tooLarge(num)) return [0, false, end];
    num = num * 10 + (c - 0x30);
    isnum = true;
  }
  return [num, isnum, i];
}

/** Go's parseArgNumber on `[n]...`: [zero-based index, bytes consumed, ok]. */
function parseArgNumber(format: string): [number, number, boolean] {
  if (format.length < 3) return [0, 1, false];
  for (let i = 1; i < format.length; i++) {
    if (format[i] === ']') {
      const [width, ok, newi] = parseNum(format, 1, i);
      if (!ok || newi !== i) return [0, i + 1, false];
      return [width - 1, i + 1, true];
    }
  }
  return [0, 1, false];
}

/** Go's intFromArg: a `*` width or precision must be an int. [num, isInt, newArgNum]. */
function intFromArg(a: readonly Value[], argNum: number): [number, boolean, number] {
  if (argNum >= a.length) return [0, false, argNum];
  const v = a[argNum];
  let num = 0;
  let isInt = false;
  if (typeof v === 'number' && Number.isInteger(v)) {
    num = v;
    isInt = true;
  } else if (typeof v === 'bigint' && v >= INT64_MIN && v <= INT64_MAX) {
    num = Number(v);
    isInt = true;
  }
  if (tooLarge(num)) return [0, false, argNum + 1];
  return [num, isInt, argNum + 1];
}

// ---------------------------------------------------------------------------------------------
// Byte strings ("binary" JS strings: one char per byte)

const ENCODER = new TextEncoder();

/** UTF-8 bytes of `s` as a binary string (identity for ASCII). */
function utf8ToBin(s: string): string {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) return bytesToBin(ENCODER.encode(s));
  }
  return s;
}

function bytesToBin(b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < b.length; i += 8192) {
    out += String.fromCharCode.apply(null, b.subarray(i, i + 8192) as unknown as number[]);
  }
  return out;
}

function binToBytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

function isAsciiBin(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** JS text of a binary string, invalid UTF-8 bytes becoming U+FFFD. */
function binToText(s: string): string {
  return isAsciiBin(s) ? s : decodeUtf8Lossy(binToBytes(s));
}

/** Size in bytes of the rune decoded by the last decodeRune call. */
let runeSize = 1;

/** Go's utf8.DecodeRuneInString on a binary string: U+FFFD with size 1 for an invalid byte. */
function decodeRune(s: string, i: number): number {
  const n = s.length;
  const c = s.charCodeAt(i);
  runeSize = 1;
  if (c < 0x80) return c;
  if (c >= 0xc2 && c <= 0xdf) {
    const c1 = i + 1 < n ? s.charCodeAt(i + 1) : 0;
    if ((c1 & 0xc0) !== 0x80) return 0xfffd;
    runeSize = 2;
    return ((c & 0x1f) << 6) | (c1 & 0x3f);
  }
  if (c >= 0xe0 && c <= 0xef) {
    if (i + 2 >= n) return 0xfffd;
    const c1 = s.charCodeAt(i + 1);
    const c2 = s.charCodeAt(i + 2);
    const lo = c === 0xe0 ? 0xa0 : 0x80;
    const hi = c === 0xed ? 0x9f : 0xbf;
    if (c1 < lo || c1 > hi || (c2 & 0xc0) !== 0x80) return 0xfffd;
    runeSize = 3;
    return ((c & 0x0f) << 12) | ((c1 & 0x3f) << 6) | (c2 & 0x3f);
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (i + 3 >= n) return 0xfffd;
    const c1 = s.charCodeAt(i + 1);
    const c2 = s.charCodeAt(i + 2);
    const c3 = s.charCodeAt(i + 3);
    const lo = c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xf4 ? 0x8f : 0xbf;
    if (c1 < lo || c1 > hi || (c2 & 0xc0) !== 0x80 || (c3 & 0xc0) !== 0x80) return 0xfffd;
    runeSize = 4;
    return ((c & 0x07) << 18) | ((c1 & 0x3f) << 12) | ((c2 & 0x3f) << 6) | (c3 & 0x3f);
  }
  return 0xfffd;
}

/** Go's utf8.RuneCountInString. */
function runeCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; n++) {
    if (s.charCodeAt(i) < 0x80) i++;
    else {
      decodeRune(s, i);
      i += runeSize;
    }
  }
  return n;
}

function validRune(r: number): boolean {
  return (r >= 0 && r < 0xd800) || (r > 0xdfff && r <= 0x10ffff);
}

/** Go's utf8.EncodeRune as a binary string (invalid runes become U+FFFD). */
function encodeRune(r: number): string {
  if (r < 0x80 && r >= 0) return String.fromCharCode(r);
  if (!validRune(r)) r = 0xfffd;
  if (r < 0x800) return String.fromCharCode(0xc0 | (r >> 6), 0x80 | (r & 0x3f));
  if (r < 0x10000) return String.fromCharCode(0xe0 | (r >> 12), 0x80 | ((r >> 6) & 0x3f), 0x80 | (r & 0x3f));
  return String.fromCharCode(0xf0 | (r >> 18), 0x80 | ((r >> 12) & 0x3f), 0x80 | ((r >> 6) & 0x3f), 0x80 | (r & 0x3f));
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** Go's strconv.IsPrint (letters, marks, numbers, punctuation, symbols and the ASCII space). */
function isPrint(r: number): boolean {
  if (r <= 0xff) {
    if (r >= 0x20 && r <= 0x7e) return true;
    if (r >= 0xa1 && r <= 0xff) return r !== 0xad;
    return false;
  }
  if (!validRune(r)) return false;
  return PRINTABLE.test(String.fromCodePoint(r));
}

/** Go's strconv quoting of a binary string (`%q`; `%+q` is ASCII only). */
function quoteWith(s: string, quote: string, asciiOnly: boolean): string {
  let out = quote;
  for (let i = 0; i < s.length; ) {
    const c = s.charCodeAt(i);
    let r = c;
    let width = 1;
    if (c >= 0x80) {
      r = decodeRune(s, i);
      width = runeSize;
    }
    if (width === 1 && r === 0xfffd) {
      out += '\\x' + LOWER_HEX[c >> 4] + LOWER_HEX[c & 15];
      i++;
      continue;
    }
    out += escapedRune(r, quote, asciiOnly);
    i += width;
  }
  return out + quote;
}

function escapedRune(r: number, quote: string, asciiOnly: boolean): string {
  if (r === quote.charCodeAt(0) || r === 0x5c) return '\\' + String.fromCharCode(r);
  if (asciiOnly) {
    if (r < 0x80 && isPrint(r)) return String.fromCharCode(r);
  } else if (isPrint(r)) {
    return encodeRune(r);
  }
  switch (r) {
    case 0x07:
      return '\\a';
    case 0x08:
      return '\\b';
    case 0x0c:
      return '\\f';
    case 0x0a:
      return '\\n';
    case 0x0d:
      return '\\r';
    case 0x09:
      return '\\t';
    case 0x0b:
      return '\\v';
    default:
      break;
  }
  if (r < 0x20 || r === 0x7f) return '\\x' + LOWER_HEX[r >> 4] + LOWER_HEX[r & 15];
  if (!validRune(r)) r = 0xfffd;
  if (r < 0x10000) return '\\u' + r.toString(16).padStart(4, '0');
  return '\\U' + r.toString(16).padStart(8, '0');
}

/** Go's strconv.CanBackquote. */
function canBackquote(s: string): boolean {
  for (let i = 0; i < s.length; ) {
    const r = decodeRune(s, i);
    const wid = runeSize;
    i += wid;
    if (wid > 1) {
      if (r === 0xfeff) return false; // BOMs are invisible
      continue;
    }
    if (r === 0xfffd) return false;
    if ((r < 0x20 && r !== 0x09) || r === 0x60 || r === 0x7f) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function pad0(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function trimTrailingZeros(d: string): string {
  let end = d.length;
  while (end > 0 && d.charCodeAt(end - 1) === 0x30) end--;
  return end === d.length ? d : d.slice(0, end);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Forces a thunk when it completes synchronously; an asynchronous one counts as null here. */
function forceSync(v: Lazy): Value {
  const x = v.force();
  return x instanceof Promise ? null : x;
}
