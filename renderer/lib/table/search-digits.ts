/**
 * Whether the text of a number (String(v), what the table shows) contains a run of digits,
 * decided by arithmetic: searching "12345" over a million numbers must not build a million
 * strings (that cost more than the rest of the search together).
 */

/** A digits-only needle: its text's length, its value and 10^len, 10^(len-1). */
export interface Digits {
  len: number;
  value: number;
  mod: number;
  least: number;
}

/** The needle as Digits when it is 1-15 decimal digits (exact as a double), else null. */
export function digitsNeedle(needle: string): Digits | null {
  if (!/^[0-9]{1,15}$/.test(needle)) return null;
  return { len: needle.length, value: Number(needle), mod: 10 ** needle.length, least: 10 ** (needle.length - 1) };
}

/** Whether the decimal text of the non-negative integer q contains the needle. */
function integerContains(q: number, d: Digits): boolean {
  if (q === 0) return d.value === 0 && d.len === 1;
  // Each step drops the last digit; while q keeps len digits, its last len digits are one window of the text.
  for (; q >= d.least; q = Math.floor(q / 10)) if (q % d.mod === d.value) return true;
  return false;
}

/** Whether a fraction's digits q, written with leading zeros to `width` digits (0.05 is "05"), contain the needle. */
function fractionContains(q: number, width: number, d: Digits): boolean {
  for (let k = width; k >= d.len; k--, q = Math.floor(q / 10)) if (q % d.mod === d.value) return true;
  return false;
}

/**
 * true/false when String(v) does / does not contain the digits, or null when arithmetic cannot
 * tell cheaply and exactly (below 1e-6, 1e15 and above, more than 15 significant digits, NaN
 * and infinities): the caller then compares against String(v).
 *
 * Exactness: for 1e-6 <= |v| < 1e15 String(v) is fixed-point, and the shortest decimal it
 * prints has the integer part of |v| (no decimal that rounds to v can pass an integer, which
 * doubles represent exactly there) and the fewest fraction digits f whose decimal rounds back
 * to v. Below 1e15 in all (at most 15 significant digits), round(|v| * 10^f) is that decimal's
 * digits whenever one exists (the product is off by far less than 1/2), and dividing back by
 * 10^f tells whether it round-trips. Checked against String(v) over millions of values.
 */
export function numberHasDigits(v: number, d: Digits): boolean | null {
  const a = Math.abs(v);
  if (!(a < 1e15)) return null;
  const ip = Math.floor(a);
  if (ip === a) return integerContains(a, d);
  if (a < 1e-6) return null; // exponent notation (1e-7)
  if (integerContains(ip, d)) return true;
  for (let f = 1, scale = 10; a * scale < 1e15; f++, scale *= 10) {
    const s = Math.round(a * scale);
    if (s / scale === a) return fractionContains(s - ip * scale, f, d);
  }
  return null;
}
