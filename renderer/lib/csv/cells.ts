/**
 * Reading one CSV cell: Velociraptor's protective conventions, and fast number, boolean and
 * ISO 8601 parsers with a "canonical" check (the text can be rebuilt exactly from the value),
 * so typed columns keep only the few texts they could not rebuild. Pure: no DOM.
 */

/**
 * The cell as Velociraptor meant it: a string its CSV writer protected with one leading space
 * (because it would read back as a number, `true`, JSON...) loses that space; a 2018-style cell
 * holding a JSON string literal (`"text"`, quotes included) becomes the string. Other text is
 * returned as is. Example: `unprotect(' 123')` is `'123'` (the string), `unprotect(' x')` is `' x'`.
 */
export function unprotect(s: string): string {
  const c = s.charCodeAt(0);
  if (c === 0x20) return isProtected(s) ? s.slice(1) : s;
  if (c === 0x22 && s.length >= 2 && s.charCodeAt(s.length - 1) === 0x22) {
    try {
      const v: unknown = JSON.parse(s);
      if (typeof v === 'string') return v;
    } catch {
      // Not a JSON literal: the quotes are part of the text.
    }
  }
  return s;
}

const PROTECTED_WORD = /^ (?:[ {[]|true|false|base64:|[-+]?(?:inf|nan))/i;

function isProtected(s: string): boolean {
  if (PROTECTED_WORD.test(s)) return true;
  return !Number.isNaN(parseNumber(s.slice(1)));
}

/**
 * The number a cell holds, or NaN: decimal integers and floats (`-12`, `+3.5`, `.5`, `1e-3`),
 * and the non-finite spellings Velociraptor writes (`NaN`, `+Inf`, `-Inf`, `Infinity`). Hex,
 * spaces and thousands separators are text.
 */
export function parseNumber(s: string): number {
  const n = s.length;
  if (n === 0) return NaN;
  let i = 0;
  let c = s.charCodeAt(0);
  if (c === 0x2d || c === 0x2b) {
    if (n === 1) return NaN;
    i = 1;
    c = s.charCodeAt(1);
  }
  if (c > 0x39 && n <= 9) return nonFinite(s);
  let v = 0;
  const start = i;
  for (; i < n; i++) {
    c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    v = v * 10 + (c - 0x30);
  }
  if (i === n) {
    // Past 15 digits the running sum may round: let Number() do it exactly.
    if (n - start > 15) return Number(s);
    return s.charCodeAt(0) === 0x2d ? -v : v;
  }
  return validFloatTail(s, i, i > start) ? Number(s) : NaN;
}

/** Checks `[.digits][e[+-]digits]` from `i`, given whether digits came before. */
function validFloatTail(s: string, i: number, hasDigits: boolean): boolean {
  const n = s.length;
  let c = s.charCodeAt(i);
  if (c === 0x2e) {
    i++;
    for (; i < n; i++) {
      c = s.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      hasDigits = true;
    }
    if (i === n) return hasDigits;
  }
  if (!hasDigits || (c !== 0x65 && c !== 0x45)) return false;
  i++;
  c = s.charCodeAt(i);
  if (c === 0x2d || c === 0x2b) i++;
  if (i === n) return false;
  for (; i < n; i++) {
    c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function nonFinite(s: string): number {
  switch (s) {
    case 'Inf': case '+Inf': case 'Infinity': case '+Infinity': return Infinity;
    case '-Inf': case '-Infinity': return -Infinity;
    default: return NaN;
  }
}

/** True for the literal `NaN` cell (a number, unlike an unparseable cell that also gives NaN). */
export function isNaNWord(s: string): boolean {
  return s === 'NaN';
}

/**
 * Whether `String(v)` gives back exactly `s` (then a number column need not keep the text).
 * Plain decimals of at most 15 significant digits are checked by shape: such a text is the
 * shortest one of its double, so it is JavaScript's own spelling unless it has a `+`, leading or
 * trailing zeros, or is small enough (< 1e-6) for exponent notation.
 */
export function isCanonicalNumber(s: string, v: number): boolean {
  const n = s.length;
  const neg = s.charCodeAt(0) === 0x2d;
  const i = neg ? 1 : 0;
  if (n === i) return false;
  const first = s.charCodeAt(i);
  if (first === 0x30 && n - i > 1 && s.charCodeAt(i + 1) !== 0x2e) return false; // 007
  let sig = 0;
  let dot = -1;
  let zerosAfterDot = 0;
  for (let k = i; k < n; k++) {
    const c = s.charCodeAt(k);
    if (c === 0x2e) {
      if (dot >= 0) return false;
      dot = k;
    } else if (c >= 0x30 && c <= 0x39) {
      if (sig > 0 || c !== 0x30) sig++;
      else if (dot >= 0) zerosAfterDot++;
    } else return String(v) === s; // an exponent, a sign, Inf...
  }
  if (sig > 15) return String(v) === s;
  if (dot >= 0 && (dot === n - 1 || s.charCodeAt(n - 1) === 0x30 || dot === i)) return false; // 5. 1.50 .5
  if (sig === 0) return !neg && n === 1; // 0 (not -0, 0.0)
  return !(first === 0x30 && zerosAfterDot >= 6);
}

/** Booleans: `true`/`false` in any case; -1 when the text is not one. */
export function parseBool(s: string): 0 | 1 | -1 {
  if (s.length === 4 && (s === 'true' || s.toLowerCase() === 'true')) return 1;
  if (s.length === 5 && (s === 'false' || s.toLowerCase() === 'false')) return 0;
  return -1;
}

/** How a boolean column spells its values (taken from its first value): `true`, `True` or `TRUE`. */
export type BoolStyle = 'lower' | 'title' | 'upper';

/** The style of one boolean text. */
export function boolStyle(s: string): BoolStyle {
  if (s === s.toLowerCase()) return 'lower';
  return s === s.toUpperCase() ? 'upper' : 'title';
}

/** The text of a boolean in a column's style. */
export function boolText(v: boolean, style: BoolStyle): string {
  const t = v ? 'true' : 'false';
  if (style === 'lower') return t;
  return style === 'upper' ? t.toUpperCase() : t[0]!.toUpperCase() + t.slice(1);
}
