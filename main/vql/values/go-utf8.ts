/**
 * Go byte strings and UTF-8 (Go's unicode/utf8, and strconv's quoting for `%q`), shared by the
 * fmt port (gofmt.ts), strconv's float formatting (go-float.ts) and JSON output (json.ts).
 *
 * The fmt port holds Go strings in "binary" JS strings: one char per byte, codes 0-255, so
 * that lengths count bytes and invalid UTF-8 survives exactly. The helpers here convert
 * between those, Uint8Arrays and JS text, and decode runes the way Go does: every byte that
 * does not start a valid sequence is one U+FFFD of width 1.
 */
import { isAscii, stringBytes } from './kinds.ts';

/** Lower-case hex digits (Go's strconv `lowerhex`). */
export const LOWER_HEX = '0123456789abcdef';
/** Upper-case hex digits (Go's strconv `upperhex`). */
export const UPPER_HEX = '0123456789ABCDEF';

// ---------------------------------------------------------------------------------------------
// Byte strings ("binary" JS strings: one char per byte)

/** UTF-8 bytes of `s` as a binary string (identity for ASCII). */
export function utf8ToBin(s: string): string {
  return isAscii(s) ? s : bytesToBin(stringBytes(s));
}

/** A binary string holding the bytes `b`. */
export function bytesToBin(b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < b.length; i += 8192) {
    out += String.fromCharCode.apply(null, b.subarray(i, i + 8192) as unknown as number[]);
  }
  return out;
}

/** The bytes of a binary string. */
export function binToBytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

/** JS text of a binary string, invalid UTF-8 bytes becoming U+FFFD. */
export function binToText(s: string): string {
  return isAscii(s) ? s : decodeUtf8Lossy(binToBytes(s));
}

// ---------------------------------------------------------------------------------------------
// Decoding

/**
 * Length of the valid UTF-8 sequence that starts with the byte `c` (>= 0x80) followed by `c1`,
 * `c2`, `c3` (0 past the end of the input), or 0 when it is not valid: Go's utf8 accept
 * ranges (no overlongs, no surrogates, nothing above U+10FFFF).
 */
function sequenceLength(c: number, c1: number, c2: number, c3: number): number {
  if (c >= 0xc2 && c <= 0xdf) return (c1 & 0xc0) === 0x80 ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const lo = c === 0xe0 ? 0xa0 : 0x80;
    const hi = c === 0xed ? 0x9f : 0xbf;
    return c1 >= lo && c1 <= hi && (c2 & 0xc0) === 0x80 ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const lo = c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xf4 ? 0x8f : 0xbf;
    return c1 >= lo && c1 <= hi && (c2 & 0xc0) === 0x80 && (c3 & 0xc0) === 0x80 ? 4 : 0;
  }
  return 0;
}

/** The rune of a valid sequence of `size` (2 to 4) bytes, as checked by sequenceLength. */
function sequenceRune(size: number, c: number, c1: number, c2: number, c3: number): number {
  if (size === 2) return ((c & 0x1f) << 6) | (c1 & 0x3f);
  if (size === 3) return ((c & 0x0f) << 12) | ((c1 & 0x3f) << 6) | (c2 & 0x3f);
  return ((c & 0x07) << 18) | ((c1 & 0x3f) << 12) | ((c2 & 0x3f) << 6) | (c3 & 0x3f);
}

/**
 * Decodes UTF-8 the way Go does when it needs text: every byte that does not start a valid
 * sequence becomes one U+FFFD (so `"\xf0\x9f"` gives two, where TextDecoder gives one).
 */
export function decodeUtf8Lossy(b: Uint8Array): string {
  let out = '';
  let codes: number[] = [];
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) {
      codes.push(c);
      i++;
    } else {
      const c1 = i + 1 < n ? b[i + 1]! : 0;
      const c2 = i + 2 < n ? b[i + 2]! : 0;
      const c3 = i + 3 < n ? b[i + 3]! : 0;
      const size = sequenceLength(c, c1, c2, c3);
      if (size === 0) {
        codes.push(0xfffd);
        i++;
      } else {
        let r = sequenceRune(size, c, c1, c2, c3);
        if (r >= 0x10000) {
          r -= 0x10000;
          codes.push(0xd800 + (r >> 10), 0xdc00 + (r & 0x3ff));
        } else {
          codes.push(r);
        }
        i += size;
      }
    }
    if (codes.length >= 4096) {
      out += String.fromCharCode.apply(null, codes);
      codes = [];
    }
  }
  return codes.length ? out + String.fromCharCode.apply(null, codes) : out;
}

/** Size in bytes of the rune decoded by the last decodeRune call. */
export let runeSize = 1;

/** Go's utf8.DecodeRuneInString on a binary string: U+FFFD with size 1 for an invalid byte. */
export function decodeRune(s: string, i: number): number {
  const c = s.charCodeAt(i);
  runeSize = 1;
  if (c < 0x80) return c;
  const n = s.length;
  const c1 = i + 1 < n ? s.charCodeAt(i + 1) : 0;
  const c2 = i + 2 < n ? s.charCodeAt(i + 2) : 0;
  const c3 = i + 3 < n ? s.charCodeAt(i + 3) : 0;
  const size = sequenceLength(c, c1, c2, c3);
  if (size === 0) return 0xfffd;
  runeSize = size;
  return sequenceRune(size, c, c1, c2, c3);
}

/** Go's utf8.RuneCountInString. */
export function runeCount(s: string): number {
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

// ---------------------------------------------------------------------------------------------
// Runes

/** Go's utf8.ValidRune: a Unicode scalar value (no surrogates, nothing above U+10FFFF). */
export function validRune(r: number): boolean {
  return (r >= 0 && r < 0xd800) || (r > 0xdfff && r <= 0x10ffff);
}

/** Go's utf8.EncodeRune as a binary string (invalid runes become U+FFFD). */
export function encodeRune(r: number): string {
  if (r < 0x80 && r >= 0) return String.fromCharCode(r);
  if (!validRune(r)) r = 0xfffd;
  if (r < 0x800) return String.fromCharCode(0xc0 | (r >> 6), 0x80 | (r & 0x3f));
  if (r < 0x10000) return String.fromCharCode(0xe0 | (r >> 12), 0x80 | ((r >> 6) & 0x3f), 0x80 | (r & 0x3f));
  return String.fromCharCode(0xf0 | (r >> 18), 0x80 | ((r >> 12) & 0x3f), 0x80 | ((r >> 6) & 0x3f), 0x80 | (r & 0x3f));
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** Go's strconv.IsPrint (letters, marks, numbers, punctuation, symbols and the ASCII space). */
export function isPrint(r: number): boolean {
  if (r <= 0xff) {
    if (r >= 0x20 && r <= 0x7e) return true;
    if (r >= 0xa1 && r <= 0xff) return r !== 0xad;
    return false;
  }
  if (!validRune(r)) return false;
  return PRINTABLE.test(String.fromCodePoint(r));
}

// ---------------------------------------------------------------------------------------------
// Quoting (strconv.Quote and friends, for %q)

/** Go's strconv quoting of a binary string (`%q`; `%+q` is ASCII only). */
export function quoteWith(s: string, quote: string, asciiOnly: boolean): string {
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

/** Go's strconv appendEscapedRune: one rune inside a `quote`-delimited literal, as a binary string. */
export function escapedRune(r: number, quote: string, asciiOnly: boolean): string {
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
export function canBackquote(s: string): boolean {
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
