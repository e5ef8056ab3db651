/**
 * CSV cells in Velociraptor's encoding (VELOCIRAPTOR.md 2.3, `json/string.go` AnyToString) and
 * the reverse, for reading our own CSV logs back.
 *
 * The encoding keeps types recoverable from text: a string that could be mistaken for another
 * type gets one leading space, which the reader strips.
 */
import { Lazy, VBytes, VDict, VFloat, VTime, isHostObject, type Value, stringerText } from './types.ts';
import { bytesToValue } from './kinds.ts';
import { base64ToBytes, bytesToBase64, fromJSON, numberValue, toJSON } from './json.ts';
import { formatFloat, goNumberText } from './go-float.ts';

/**
 * Strings that need the protective leading space: numbers (a superset of what the reader
 * parses as numbers), and text starting with a space, `{`, `[`, `true`, `false`, `base64:`,
 * or an infinity / NaN spelling (`inf`, `+Inf`, `-inf`, `NaN`, any case).
 */
const LOOKS_LIKE_NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$|^[-+]?0[xX][0-9a-fA-F]+$/;
const RESERVED_PREFIX = /^(?:[ {[]|true|false|base64:)/;
const NON_FINITE_PREFIX = /^[-+]?(?:inf|nan)/i;

/**
 * The text of one CSV cell: strings bare (with a leading space when they could be misread),
 * ints and bools in plain text, floats as shortest fixed-point decimals (Go's 'f', -1), null
 * as empty, times as RFC 3339 UTC, byte strings as `base64:...`, dicts, arrays and host
 * objects as JSON indented by one space (Velociraptor's json.MarshalIndent).
 */
export function csvCell(v: Value): string {
  switch (typeof v) {
    case 'string':
      return v !== '' && (LOOKS_LIKE_NUMBER.test(v) || RESERVED_PREFIX.test(v) || NON_FINITE_PREFIX.test(v)) ? ' ' + v : v;
    case 'number':
      // An integral number past 2^53 is still an int when it fits int64: its exact digits.
      return goNumberText(v, 'f');
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
    case 'undefined':
      return '';
    default:
      break;
  }
  if (v === null) return '';
  if (v instanceof VFloat) return formatFloat(v.value, 'f', -1);
  if (v instanceof VTime) return v.toRFC3339();
  if (v instanceof VBytes) return 'base64:' + bytesToBase64(v.bytes);
  if (v instanceof Uint8Array) return 'base64:' + bytesToBase64(v);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? '' : VTime.fromMillis(v.getTime()).toRFC3339();
  if (v instanceof Lazy) {
    const forced = v.force();
    return forced instanceof Promise ? '' : csvCell(forced);
  }
  // A value whose JSON is text (a path) is written as that text.
  const text = stringerText(v);
  if (text !== undefined) return csvCell(text);
  if (v instanceof VDict || Array.isArray(v) || isHostObject(v) || typeof v === 'object') {
    return toJSON(v, { indent: 1 });
  }
  return String(v);
}

/**
 * Quotes a CSV field when needed, like Go's encoding/csv writer: when it contains the
 * delimiter, a double quote, CR or LF, when it begins with whitespace, or when it is `\.`.
 * Quotes inside are doubled. Example: `csvQuote(' 1')` is `" 1"`.
 */
export function csvQuote(field: string, delimiter = ','): string {
  if (!needsQuotes(field, delimiter)) return field;
  return '"' + (field.includes('"') ? field.replace(/"/g, '""') : field) + '"';
}

function needsQuotes(field: string, delimiter: string): boolean {
  if (field === '') return false;
  if (field === '\\.') return true;
  if (field.includes(delimiter)) return true;
  for (let i = 0; i < field.length; i++) {
    const c = field.charCodeAt(i);
    if (c === 0x22 || c === 0x0a || c === 0x0d) return true;
  }
  // Go: unicode.IsSpace of the first rune.
  const first = field.codePointAt(0)!;
  return first === 0x20 || (first >= 0x09 && first <= 0x0d) || first === 0x85 || first === 0xa0 ||
    (first > 0xff && /^\s/u.test(field) && first !== 0xfeff);
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Reads a cell written by `csvCell` back into a value: a leading space marks a string (one
 * space is stripped), `base64:` gives the bytes (a string when they are UTF-8), JSON numbers
 * give ints / floats, `true`/`false` bools, `NaN`/`+Inf`/`-Inf` floats, empty text null, and
 * text starting with `{` or `[` that parses as JSON its value. Anything else is the string.
 * Not recovered: the empty string (reads as null), integral floats (read as ints) and times
 * (read as their RFC 3339 strings).
 */
export function parseCsvCell(text: string): Value {
  if (text === '') return null;
  const c = text.charCodeAt(0);
  if (c === 0x20) return text.slice(1);
  if (c === 0x7b || c === 0x5b) {
    try {
      return fromJSON(text);
    } catch {
      return text;
    }
  }
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'NaN') return NaN;
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text.startsWith('base64:')) {
    const body = text.slice(7);
    if (body.length % 4 === 0 && BASE64.test(body)) return bytesToValue(base64ToBytes(body));
    return text;
  }
  if ((c >= 0x30 && c <= 0x39) || c === 0x2d) {
    const m = JSON_NUMBER.exec(text);
    if (m) return numberValue(text, m[1] !== undefined || m[2] !== undefined);
  }
  return text;
}
