/**
 * JSON text of VQL values (SPEC 16.2) and the reverse parser.
 *
 * `toJSON` is the hot path of query output, so it is a single recursive function with no
 * per-call closures: compact and indented output share it (`nl === ''` means compact).
 */
import {
  ABSENT,
  GET_MEMBER,
  Lazy,
  MEMBERS,
  VBytes,
  VDict,
  VFloat,
  VTime,
  isHostObject,
  normInt,
  type HostObject,
  type Value,
} from './types.ts';
import { decodeUtf8Lossy } from './go-utf8.ts';

/** Go's lossy UTF-8 decoding (go-utf8.ts), re-exported: the text JSON gives a byte string. */
export { decodeUtf8Lossy } from './go-utf8.ts';

/** Options of `toJSON`: the indentation of the output. */
export interface JsonOptions {
  /**
   * Indentation per level, as a space count or a literal string. When present and non-empty the
   * layout is Go's `json.MarshalIndent(v, "", indent)`: one entry per line, `"key": value`,
   * and `[]` / `{}` for empty containers. Absent, `0` or `''` gives compact output (the
   * JSON.stringify convention, unlike Go, which still breaks lines for an empty indent).
   */
  indent?: number | string;
}

/**
 * Recursion guard of the encoder. Normalization (SPEC 16.1) already cuts values at depth 10;
 * this limit only stops cycles (an array containing itself, a dict nested in itself) from
 * overflowing the stack. Anything deeper is written as `null`.
 */
export const JSON_MAX_DEPTH = 64;

/**
 * Serializes a normalized value as JSON (SPEC 16.2).
 *
 * Dict keys keep insertion order, an entry whose value is its own dict is skipped, NaN and
 * ±Infinity become `null`, ints print their digits (bigints too), times are RFC 3339 UTC
 * strings, byte strings replace each invalid UTF-8 byte with U+FFFD (as Go does), JS Maps are
 * written with sorted keys (Go map order), host objects as a dict of their members.
 * Example: `toJSON(new VDict([['a', 1]]), { indent: 1 })` gives `{\n "a": 1\n}`.
 */
export function toJSON(v: Value, opts?: JsonOptions): string {
  const indent = opts?.indent;
  if (indent === undefined || indent === 0 || indent === '') return enc(v, 0, '', '');
  const unit = typeof indent === 'number' ? ' '.repeat(Math.max(0, Math.floor(indent))) : indent;
  if (unit === '') return enc(v, 0, '', '');
  return enc(v, 0, unit, '\n');
}

/** A JSON string literal; plain text (the common case) skips JSON.stringify. */
function quote(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s);
  }
  return '"' + s + '"';
}

/** JSON text of a JS number that is a VQL value (ints and floats print alike, SPEC 16.2). */
function numberText(n: number): string {
  // String(n) switches to exponent form below 1e-6 and from 1e21, exactly Go's JSON rule.
  return Number.isFinite(n) ? String(n) : 'null';
}

/**
 * The encoder. `nl` is '' for compact output, else a newline followed by the indentation of the
 * current level; `unit` is the indentation added per level.
 */
function enc(v: Value, depth: number, unit: string, nl: string): string {
  switch (typeof v) {
    case 'string':
      return quote(v);
    case 'number':
      return numberText(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return v.toString();
    case 'object':
      break;
    default:
      // undefined (null), functions and symbols.
      return 'null';
  }
  if (v === null) return 'null';
  if (depth >= JSON_MAX_DEPTH) return 'null';
  if (v instanceof VDict) return encMap(v.map, v, false, depth, unit, nl);
  if (Array.isArray(v)) return encArray(v, depth, unit, nl);
  if (v instanceof VFloat) {
    const n = v.value;
    // Go writes a negative zero float as -0; a JS number -0 is the int 0 in the value model.
    return n === 0 && Object.is(n, -0) ? '-0' : numberText(n);
  }
  if (v instanceof VTime) return '"' + v.toRFC3339() + '"';
  if (v instanceof VBytes) return quote(decodeUtf8Lossy(v.bytes));
  if (v instanceof Lazy) {
    const forced = v.force();
    // An asynchronous thunk cannot be awaited here; normalization should have forced it.
    return forced instanceof Promise ? 'null' : enc(forced, depth + 1, unit, nl);
  }
  if (v instanceof Map) return encMap(v, v, true, depth, unit, nl);
  if (v instanceof Uint8Array) return '"' + bytesToBase64(v) + '"';
  if (v instanceof Date) {
    return Number.isNaN(v.getTime()) ? 'null' : '"' + VTime.fromMillis(v.getTime()).toRFC3339() + '"';
  }
  if (v instanceof Promise) return 'null';
  // A value that knows its own JSON (a path that serializes as its text) wins over members.
  const custom = (v as { toJSON?: unknown }).toJSON;
  if (typeof custom === 'function') return enc(custom.call(v), depth + 1, unit, nl);
  if (isHostObject(v)) return encHost(v, depth, unit, nl);
  return encPlain(v as Record<string, unknown>, depth, unit, nl);
}

function encArray(a: readonly unknown[], depth: number, unit: string, nl: string): string {
  const n = a.length;
  if (n === 0) return '[]';
  if (nl === '') {
    let out = '[' + enc(a[0], depth + 1, '', '');
    for (let i = 1; i < n; i++) out += ',' + enc(a[i], depth + 1, '', '');
    return out + ']';
  }
  const inner = nl + unit;
  let out = '[' + inner + enc(a[0], depth + 1, unit, inner);
  for (let i = 1; i < n; i++) out += ',' + inner + enc(a[i], depth + 1, unit, inner);
  return out + nl + ']';
}

/** A VDict's map (insertion order) or a JS Map (sorted keys, like a Go map). */
function encMap(
  map: Map<unknown, unknown>,
  self: unknown,
  sortKeys: boolean,
  depth: number,
  unit: string,
  nl: string,
): string {
  if (map.size === 0) return '{}';
  const inner = nl === '' ? '' : nl + unit;
  const colon = nl === '' ? ':' : ': ';
  let out = '{';
  let first = true;
  if (sortKeys) {
    const keys = [...map.keys()].map(String).sort();
    const byText = new Map<string, unknown>();
    for (const [k, x] of map) byText.set(String(k), x);
    for (const k of keys) {
      const x = byText.get(k);
      if (x === self) continue;
      out += (first ? '' : ',') + inner + quote(k) + colon + enc(x, depth + 1, unit, inner);
      first = false;
    }
  } else {
    // keys() + get() is measurably faster than destructuring entries on the output hot path.
    for (const k of map.keys()) {
      const x = map.get(k);
      // SPEC 16.2: an entry holding the dict itself is skipped (no cycles).
      if (x === self) continue;
      out += (first ? '' : ',') + inner + quote(k as string) + colon + enc(x, depth + 1, unit, inner);
      first = false;
    }
  }
  return first ? '{}' : out + nl + '}';
}

/** A host object advertising members: a dict of the members it resolves. */
function encHost(h: HostObject, depth: number, unit: string, nl: string): string {
  const names = typeof h[MEMBERS] === 'function' ? h[MEMBERS]() : [];
  const inner = nl === '' ? '' : nl + unit;
  const colon = nl === '' ? ':' : ': ';
  let out = '{';
  let first = true;
  for (const name of names) {
    const x = h[GET_MEMBER](name);
    if (x === ABSENT || x === h) continue;
    out += (first ? '' : ',') + inner + quote(name) + colon + enc(x, depth + 1, unit, inner);
    first = false;
  }
  return first ? '{}' : out + nl + '}';
}

/** A plain JS object (or other class instance): own enumerable keys in JS order. */
function encPlain(o: Record<string, unknown>, depth: number, unit: string, nl: string): string {
  const inner = nl === '' ? '' : nl + unit;
  const colon = nl === '' ? ':' : ': ';
  let out = '{';
  let first = true;
  for (const k in o) {
    if (!Object.prototype.hasOwnProperty.call(o, k)) continue;
    const x = o[k];
    if (x === o || x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
    out += (first ? '' : ',') + inner + quote(k) + colon + enc(x, depth + 1, unit, inner);
    first = false;
  }
  return first ? '{}' : out + nl + '}';
}

// ---------------------------------------------------------------------------------------------
// Bytes

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 with padding (Go's base64.StdEncoding), without relying on Buffer. */
export function bytesToBase64(b: Uint8Array): string {
  let out = '';
  const n = b.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const x = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    out += B64[x >> 18]! + B64[(x >> 12) & 63]! + B64[(x >> 6) & 63]! + B64[x & 63]!;
  }
  if (i + 1 === n) {
    const x = b[i]! << 16;
    out += B64[x >> 18]! + B64[(x >> 12) & 63]! + '==';
  } else if (i + 2 === n) {
    const x = (b[i]! << 16) | (b[i + 1]! << 8);
    out += B64[x >> 18]! + B64[(x >> 12) & 63]! + B64[(x >> 6) & 63]! + '=';
  }
  return out;
}

const B64_INDEX = (() => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < B64.length; i++) t[B64.charCodeAt(i)] = i;
  return t;
})();

/** Decodes standard base64 with padding; the caller has checked the alphabet and the length. */
export function base64ToBytes(s: string): Uint8Array {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0x3d) end--;
  const out = new Uint8Array(Math.floor((end * 6) / 8));
  let acc = 0;
  let bits = 0;
  let j = 0;
  for (let i = 0; i < end; i++) {
    acc = (acc << 6) | B64_INDEX[s.charCodeAt(i)]!;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** Go's encoding/json nesting limit. */
const MAX_NESTING = 10000;

/**
 * Parses JSON text into VQL values: objects become VDicts in source key order (a repeated key
 * moves to the end, like a dict set), integral number literals become ints (a bigint outside
 * the safe range, a float when outside int64), literals with a fraction or exponent become
 * floats (`VFloat` when integral, so `2.0` stays a float). Throws a SyntaxError on bad input.
 */
export function fromJSON(text: string): Value {
  const p = new JsonParser(text);
  p.skipWs();
  const v = p.parseValue(0);
  p.skipWs();
  if (p.pos !== text.length) p.fail('unexpected text after the JSON value');
  return v;
}

class JsonParser {
  pos = 0;
  constructor(readonly src: string) {}

  fail(msg: string): never {
    throw new SyntaxError(`invalid JSON at offset ${this.pos}: ${msg}`);
  }

  skipWs(): void {
    const s = this.src;
    let i = this.pos;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.pos = i;
  }

  parseValue(depth: number): Value {
    const c = this.src.charCodeAt(this.pos);
    switch (c) {
      case 0x7b: // {
        return this.parseObject(depth + 1);
      case 0x5b: // [
        return this.parseArray(depth + 1);
      case 0x22: // "
        return this.parseString();
      case 0x74: // t
        return this.literal('true', true);
      case 0x66: // f
        return this.literal('false', false);
      case 0x6e: // n
        return this.literal('null', null);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.parseNumber();
        return this.fail(Number.isNaN(c) ? 'unexpected end of input' : `unexpected character ${JSON.stringify(this.src[this.pos])}`);
    }
  }

  literal(word: string, value: Value): Value {
    if (!this.src.startsWith(word, this.pos)) this.fail(`expected ${word}`);
    this.pos += word.length;
    return value;
  }

  parseObject(depth: number): VDict {
    if (depth > MAX_NESTING) this.fail('nesting too deep');
    const d = new VDict();
    if (this.open(0x7d)) return d;
    for (;;) {
      if (this.src.charCodeAt(this.pos) !== 0x22) this.fail('expected a string key');
      const key = this.parseString();
      this.skipWs();
      if (this.src.charCodeAt(this.pos) !== 0x3a) this.fail('expected ":"');
      this.pos++;
      this.skipWs();
      d.set(key, this.parseValue(depth));
      if (this.endOfElement(0x7d, 'expected "," or "}"')) return d;
    }
  }

  parseArray(depth: number): Value[] {
    if (depth > MAX_NESTING) this.fail('nesting too deep');
    const out: Value[] = [];
    if (this.open(0x5d)) return out;
    for (;;) {
      out.push(this.parseValue(depth));
      if (this.endOfElement(0x5d, 'expected "," or "]"')) return out;
    }
  }

  /**
   * Consumes an opening `[` or `{` and the whitespace after it; true, with the closing `close`
   * consumed too, when the container is empty.
   */
  open(close: number): boolean {
    this.pos++;
    this.skipWs();
    if (this.src.charCodeAt(this.pos) !== close) return false;
    this.pos++;
    return true;
  }

  /**
   * After an array element or object entry: consumes a `,` (false: another one follows) or
   * the closing `close` character (true); anything else fails with `expected`.
   */
  endOfElement(close: number, expected: string): boolean {
    this.skipWs();
    const c = this.src.charCodeAt(this.pos);
    if (c === 0x2c) {
      this.pos++;
      this.skipWs();
      return false;
    }
    if (c === close) {
      this.pos++;
      return true;
    }
    return this.fail(expected);
  }

  parseString(): string {
    const s = this.src;
    const start = this.pos;
    let i = start + 1;
    let escaped = false;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x5c) {
        escaped = true;
        i += 2;
        continue;
      }
      if (c < 0x20 || Number.isNaN(c)) {
        this.pos = i;
        this.fail(Number.isNaN(c) ? 'unterminated string' : 'control character in string');
      }
      i++;
    }
    this.pos = i + 1;
    if (!escaped) return s.slice(start + 1, i);
    let text: string;
    try {
      text = JSON.parse(s.slice(start, i + 1)) as string;
    } catch {
      this.pos = start;
      return this.fail('bad escape in string');
    }
    // Go decodes an unpaired surrogate escape as U+FFFD.
    return text.replace(LONE_SURROGATE, '\ufffd');
  }

  parseNumber(): Value {
    const s = this.src;
    const start = this.pos;
    let i = start;
    if (s.charCodeAt(i) === 0x2d) i++;
    const intStart = i;
    while (isDigit(s.charCodeAt(i))) i++;
    if (i === intStart || (s.charCodeAt(intStart) === 0x30 && i - intStart > 1)) {
      this.pos = start;
      this.fail('bad number');
    }
    let isFloat = false;
    if (s.charCodeAt(i) === 0x2e) {
      isFloat = true;
      const fracStart = ++i;
      while (isDigit(s.charCodeAt(i))) i++;
      if (i === fracStart) {
        this.pos = start;
        this.fail('bad number');
      }
    }
    const e = s.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      isFloat = true;
      i++;
      const sign = s.charCodeAt(i);
      if (sign === 0x2b || sign === 0x2d) i++;
      const expStart = i;
      while (isDigit(s.charCodeAt(i))) i++;
      if (i === expStart) {
        this.pos = start;
        this.fail('bad number');
      }
    }
    this.pos = i;
    return numberValue(s.slice(start, i), isFloat);
  }
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/**
 * The VQL number of a JSON number literal: ints for integral literals (bigint outside the safe
 * range; a float beyond int64), floats otherwise (VFloat when the value is integral).
 */
export function numberValue(literal: string, isFloat: boolean): Value {
  if (!isFloat) {
    // Up to 15 digits (plus a sign) always fits a safe integer.
    if (literal.length <= 15) return Number(literal) || 0; // `|| 0` turns -0 into the int 0
    const b = BigInt(literal);
    if (b >= INT64_MIN && b <= INT64_MAX) return normInt(b);
  }
  const n = Number(literal);
  return Number.isInteger(n) ? new VFloat(n) : n;
}
