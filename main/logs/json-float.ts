/**
 * Whether a decimal's text is already the text JS prints for its number (`String(Number(t))`),
 * proved with a few float operations instead of printing: the writer prints floats with JS's
 * shortest digits, so for its files the answer is nearly always yes and the cell is copied as
 * it is. Any doubt (a case too close to call) answers no, and the caller prints the number.
 *
 * Why it holds. Let t have d significant digits (last digit r, not 0), unit s of its last digit,
 * x = Number(t), u the larger gap between x and its neighbours, δ = t - x (|δ| <= u/2).
 * JS prints the fewest digits that read back as x, and among those the closest to x.
 * - No decimal with fewer digits reads back as x: each is at least min(r, 10-r)·s from t, so
 *   at least min(r, 10-r)·s - |δ| from x, which is more than u/2 (the farthest a decimal that
 *   reads back as x can be) when min(r, 10-r)·s > u/2 + |δ|.
 * - t is the closest of the d-digit ones: the others are at least s from t, so farther from x
 *   than t when |δ| < s/2.
 * δ is computed exactly (Dekker's product) but for one rounding; a margin covers it.
 */

/** 10^0 .. 10^22: exact doubles. */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
const SPLIT = 134217729; // 2^27 + 1 (Veltkamp)
const MARGIN = 1e-6; // in units of s; the computed δ/s is off by ~1e-15 at most
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
/** The bit tricks read the high word at index 1: little-endian only (else always "no"). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The gap above |x| to the next double (an exact power of two), or 0 when it is not simple. */
function ulp(ax: number): number {
  F64[0] = ax;
  const exp = U32[1]! >>> 20;
  if (exp <= 52 || exp >= 0x7ff) return 0;
  U32[1] = (exp - 52) << 20;
  U32[0] = 0;
  return F64[0]!;
}

/**
 * True when `String(x)` is the text of bytes [s, e), a decimal with a fraction and no exponent
 * (`-?(0|[1-9]\d*)\.\d+`) whose value is x = Number(text) (the caller parsed it).
 */
export function printsAsItself(src: Buffer, s: number, e: number, x: number): boolean {
  if (!LITTLE_ENDIAN || src[e - 1] === 0x30) return false; // a trailing zero is never printed
  let point = s;
  while (src[point] !== 0x2e) point++;
  const frac = e - point - 1; // digits after the point
  // The significant digits: from the first non-zero one (the last one is not 0), the point skipped.
  let first = src[s] === 0x2d ? s + 1 : s;
  while (src[first] === 0x30 || src[first] === 0x2e) first++;
  const digits = e - first - (first < point ? 1 : 0);
  // Their value as dh·1e9 + dl (both exact): no division per digit.
  let dh = 0;
  let dl = 0;
  let n = 0;
  for (let i = first; i < e; i++) {
    const c = src[i]!;
    if (c === 0x2e) continue;
    if (n++ < digits - 9) dh = dh * 10 + (c - 0x30);
    else dl = dl * 10 + (c - 0x30);
  }
  // JS prints 1e-6 <= |x| < 1e21 without exponent; 17 digits always suffice for a double.
  if (digits > 17 || frac > 22 || frac - digits > 5) return false;
  const ax = Math.abs(x);
  const u = ulp(ax);
  if (u === 0) return false;
  const p10 = POW10[frac]!;
  // ax·p10 = p + err exactly (Dekker), then δ/s = (dh·1e9 - p) + dl - err: the first terms are
  // exact (Sterbenz: dh·1e9 and p are close), only the last subtraction rounds.
  const p = ax * p10;
  let t = SPLIT * ax;
  const ah = t - (t - ax);
  const al = ax - ah;
  t = SPLIT * p10;
  const bh = t - (t - p10);
  const bl = p10 - bh;
  const err = ah * bh - p + ah * bl + al * bh + al * bl;
  const delta = Math.abs(dh * 1e9 - p + dl - err);
  const r = src[e - 1]! - 0x30;
  return delta < 0.5 - MARGIN && Math.min(r, 10 - r) > (u * p10) / 2 + delta + MARGIN;
}
