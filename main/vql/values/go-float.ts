/**
 * Go's strconv float formatting (`strconv.FormatFloat`), ported for fmt's float verbs, `%v`
 * text and CSV cells: shortest round-trip digits, exact decimal expansion of a double and
 * Go's rounding (ties to even on the exact binary value), plus the `%b` and `%x` forms.
 */
import { LOWER_HEX, UPPER_HEX } from './go-utf8.ts';

const UINT64_MASK = (1n << 64n) - 1n;
/** 2^63 as a double: integral numbers at or beyond it cannot be int64s and print as floats. */
const TWO_63 = 9223372036854775808;

/**
 * Whether a JS number is a Go int64 for printing (integral and below 2^63 in magnitude);
 * any other number prints as a float64.
 */
export function isInt64Number(v: number): boolean {
  return Number.isInteger(v) && Math.abs(v) < TWO_63;
}

/**
 * Go's text of a JS number: the exact digits of an int64 (see isInt64Number), else
 * `formatFloat(v, fmt, -1)`. Example: `goNumberText(2 ** 60, 'g')` is `1152921504606846976`,
 * `goNumberText(1e21, 'g')` is `1e+21` and `goNumberText(1e21, 'f')` is `1000000000000000000000`.
 */
export function goNumberText(v: number, fmt: 'f' | 'g'): string {
  if (!isInt64Number(v)) return formatFloat(v, fmt, -1);
  return Number.isSafeInteger(v) ? String(v) : BigInt(v).toString();
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
  return out + fmt + expSuffix(d.length === 0 ? 0 : digs.dp - 1);
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
  return out + (fmt === 'X' ? 'P' : 'p') + expSuffix(exp);
}

/** The exponent of `%e` and `%x` text: a sign and at least two digits (`+06`, `-123`). */
function expSuffix(exp: number): string {
  let sign = '+';
  if (exp < 0) {
    sign = '-';
    exp = -exp;
  }
  return sign + (exp < 10 ? '0' + exp : String(exp));
}

/** `d` without its trailing '0' characters. */
export function trimTrailingZeros(d: string): string {
  let end = d.length;
  while (end > 0 && d.charCodeAt(end - 1) === 0x30) end--;
  return end === d.length ? d : d.slice(0, end);
}
