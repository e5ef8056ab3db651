/**
 * Go `%v` text and `fmt.Sprintf` (SPEC 14.3), ported from Go's fmt and strconv packages.
 *
 * The printer works on Go byte strings held in "binary" JS strings (one char per byte, codes
 * 0-255) so that widths count runes, `%x` sees the bytes and invalid UTF-8 survives exactly as in
 * Go. The result is converted back at the end: `sprintfValue` gives a string value (VBytes when
 * the bytes are not UTF-8), `sprintf` and `goText` give JS text with invalid bytes as U+FFFD.
 *
 * The port follows Go's own seams: go-float.ts is strconv's float formatting, go-utf8.ts the
 * byte strings, UTF-8 and `%q` quoting, go-fmt-primitives.ts fmt's `fmt` (flags, padding and
 * primitive formats). This file is fmt's `pp`: verbs by value type and the format loop.
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
import { Lazy, MEMBERS, VBytes, VDict, VFloat, VTime, isHostObject, type Value, stringerText } from './types.ts';
import { bytesToValue, isAscii } from './kinds.ts';
import { toJSON } from './json.ts';
import { formatFloat, goNumberText, isInt64Number, trimTrailingZeros } from './go-float.ts';
import { binToBytes, binToText, bytesToBin, decodeRune, decodeUtf8Lossy, encodeRune, runeSize, utf8ToBin } from './go-utf8.ts';
import { GoFormatter } from './go-fmt-primitives.ts';

/** Go's `strconv.FormatFloat` (go-float.ts), re-exported: fmt's float text. */
export { formatFloat } from './go-float.ts';

/** The `%v` text of VQL null (vfilter's `types.Null` Stringer). */
const NULL_TEXT = 'Null';
const NULL_TYPE = 'types.Null';

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

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
      return goNumberText(v, 'g');
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
  return isAscii(out) ? out : bytesToValue(binToBytes(out));
}

/** The Go type name fmt shows for a value in `%T` and in `%!verb(type=value)` annotations. */
export function goTypeName(v: Value): string {
  switch (typeof v) {
    case 'undefined':
      return NULL_TYPE;
    case 'boolean':
      return 'bool';
    case 'number':
      return isInt64Number(v) ? 'int64' : 'float64';
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

// ---------------------------------------------------------------------------------------------
// The printer (Go's fmt.pp; the fmt.fmt half is GoFormatter in go-fmt-primitives.ts)

/** A nil pointer of a named Go type (the `loc` field of a UTC time.Time). */
class GoNilPointer {
  constructor(readonly typeName: string) {}
}

/** An explicitly unsigned Go integer (uint64 struct fields). */
class GoUint {
  constructor(readonly value: bigint) {}
}

/** Go's `fmt.pp`: prints VQL values under fmt verbs into `buf` (see the table at the top). */
class Printer extends GoFormatter {
  // pp state
  erroring = false;
  reordered = false;
  goodArgNum = true;

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
      case 'x':
      case 'X':
      case 'q':
        return this.fmtString(s, verb, arg);
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
        if (isInt64Number(v)) {
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
      // A host value whose JSON is text (a path) prints as that text, like a Go Stringer.
      return this.printStringer(v, verb, stringerText(v) ?? toJSON(v));
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

  /** Prints one operand of the format: under `%v` the `#` and `+` flags mean `%#v` and `%+v`. */
  printOperand(arg: Value, verb: string): void {
    if (verb === 'v') {
      this.sharpV = this.sharp;
      this.sharp = false;
      this.plusV = this.plus;
      this.plus = false;
    }
    this.printArg(arg, verb);
  }

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
              this.printOperand(a[argNum], c);
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
        this.printOperand(a[argNum], verb);
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
// Small helpers

function pad0(n: number, width: number): string {
  return String(n).padStart(width, '0');
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
