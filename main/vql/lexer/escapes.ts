/**
 * Escape decoding for the lexer: the content of `'...'` / `"..."` strings (SPEC 2.4) and of
 * backtick identifiers (Go character escapes, SPEC 2.3).
 */

const TAB = 9, LF = 10, CR = 13, BACKSLASH = 92, LOWER_X = 120;

/** `[0-9A-Fa-f]`, as a char code: a hex digit (of `\xHH` escapes and `0x` numbers). */
export function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

const utf8Encoder = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF produced by the query text as part of the value.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenientUtf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Decodes the content of a `'...'` / `"..."` string (SPEC 2.4), working on its UTF-8 bytes:
 * `\n \r \t` are control characters, `\xHH` one raw byte, a backslash before anything else
 * gives that character. Malformed escapes: a trailing lone backslash ends decoding; `\x` with
 * fewer than two bytes left ends decoding and drops the rest; `\x` + non-hex keeps the
 * backslash and carries on at the `x`. Returns a string when the bytes are valid UTF-8.
 */
export function decodeStringEscapes(content: string): string | Uint8Array {
  const bytes = utf8Encoder.encode(content);
  const n = bytes.length;
  const out = new Uint8Array(n);
  let o = 0;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b !== BACKSLASH) {
      out[o++] = b;
      i++;
      continue;
    }
    if (i + 1 >= n) break;
    const e = bytes[i + 1]!;
    if (e === 110) { out[o++] = LF; i += 2; }
    else if (e === 114) { out[o++] = CR; i += 2; }
    else if (e === 116) { out[o++] = TAB; i += 2; }
    else if (e === LOWER_X) {
      if (n - (i + 2) < 2) break;
      const h1 = bytes[i + 2]!, h2 = bytes[i + 3]!;
      if (isHexDigit(h1) && isHexDigit(h2)) {
        out[o++] = (hexValue(h1) << 4) | hexValue(h2);
        i += 4;
      } else {
        out[o++] = BACKSLASH;
        i += 1;
      }
    } else {
      out[o++] = e;
      i += 2;
    }
  }
  const result = out.subarray(0, o);
  try {
    return strictUtf8.decode(result);
  } catch {
    // Not valid UTF-8 (e.g. "\xff"): the value is a byte string.
    return result.slice();
  }
}

function hexValue(c: number): number {
  return c <= 57 ? c - 48 : (c | 0x20) - 87;
}

const GO_SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, "'": 39, '"': 34,
};

/**
 * Decodes Go character escapes in a backtick identifier (SPEC 2.3): `\n`, `\t`, `\\`, `\xHH`,
 * `\ooo`, `\uHHHH`, `\UHHHHHHHH`... An invalid escape leaves the whole text undecoded.
 * @example decodeGoEscapes('a\\x41') // 'aA'
 */
export function decodeGoEscapes(content: string): string {
  if (content.indexOf('\\') < 0) return content;
  const bytes: number[] = [];
  let i = 0;
  const n = content.length;
  while (i < n) {
    const ch = content[i]!;
    if (ch !== '\\') {
      const cp = content.codePointAt(i)!;
      const len = cp > 0xffff ? 2 : 1;
      for (const b of utf8Encoder.encode(content.slice(i, i + len))) bytes.push(b);
      i += len;
      continue;
    }
    const e = content[i + 1];
    if (e === undefined) return content;
    const simple = GO_SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      bytes.push(simple);
      i += 2;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = content.slice(i + 2, i + 2 + len);
      if (hex.length !== len || !/^[0-9a-fA-F]+$/.test(hex)) return content;
      const v = parseInt(hex, 16);
      if (e === 'x') {
        bytes.push(v);
      } else {
        if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return content;
        for (const b of utf8Encoder.encode(String.fromCodePoint(v))) bytes.push(b);
      }
      i += 2 + len;
    } else if (e >= '0' && e <= '7') {
      const oct = content.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(oct)) return content;
      const v = parseInt(oct, 8);
      if (v > 255) return content;
      bytes.push(v);
      i += 4;
    } else {
      return content;
    }
  }
  return lenientUtf8.decode(new Uint8Array(bytes));
}
