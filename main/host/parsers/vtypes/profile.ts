/**
 * Velociraptor's vtypes profile language (parse_binary): the profile text, its struct
 * definitions, and one parser per type. See VQL-FUNCTIONS.md 1.7.
 *
 * A profile is a YAML (or JSON) list of `[Name, Size, [[Field, Offset, Type, {options}]...]]`.
 * Sizes, offsets and many options may be VQL lambdas (`"x=>x.Length + 2"`), evaluated with
 * `x` = the struct that holds the field, `this` = the same struct, plus the query's scope and
 * parse_binary's `env`. Parsers return plain VQL values (ints, strings, times, lists of
 * names) or lazy objects (objects.ts) whose fields are read on first access.
 */
import { load as loadYaml } from 'js-yaml';
import { Lazy, VDict, VTime, makeFloat, normInt, type Scope, type Value } from '../../../vql/index.ts';
import { then, type MaybePromise } from '../../../vql/eval/maybe.ts';
import { bytesToValue, toNumber } from '../../../vql/values/kinds.ts';
import { truthy } from '../../../vql/protocols/truthy.ts';
import { lambdaArg } from '../../files/lambdas.ts';
import { attempt, type BinaryIO } from './reader.ts';
import { ArrayObject, Leb128Object, StructObject, valueSize } from './objects.ts';

/** A mistake in the profile (its text, a struct, a field or a type's options). */
export class ProfileError extends Error {
  override name = 'ProfileError';
}

/** What every parse needs: the bytes, the profile, the scope lambdas see, the log. */
export interface ParseContext {
  readonly io: BinaryIO;
  readonly profile: Profile;
  /** The query's scope plus parse_binary's env. */
  readonly scope: Scope;
  log(message: string): void;
}

export interface Parser {
  /** The size in bytes when it does not depend on the data (else null). */
  readonly fixedSize: number | null;
  /** The value at absolute `offset`; `owner` is the struct holding the field (lambdas' x). */
  parse(ctx: ParseContext, offset: number, owner: StructObject | null): MaybePromise<Value>;
}

/** A size, offset or count: a number, or a lambda text. */
export type Amount = number | string;

export interface FieldDef {
  readonly name: string;
  readonly offset: Amount;
  readonly type: string;
  readonly options: Record<string, unknown>;
  /** Built on first use (types may be defined later in the profile). */
  parser?: Parser;
}

export interface StructDef {
  readonly name: string;
  readonly size: Amount;
  readonly fields: readonly FieldDef[];
  readonly byName: ReadonlyMap<string, FieldDef>;
}

// ---------------------------------------------------------------------------------------
// Profile text

/** Parses YAML, tolerating surplus closing brackets at the end (as Velocidex's YAML does). */
function loadTolerant(text: string): unknown {
  let t = text;
  for (let i = 0; ; i++) {
    try {
      return loadYaml(t);
    } catch (e) {
      const trimmed = t.trimEnd();
      if (i < 8 && /[\]}]$/.test(trimmed)) {
        t = trimmed.slice(0, -1);
        continue;
      }
      throw e;
    }
  }
}

function amountOf(v: unknown, what: string): Amount {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string') {
    if (v.includes('=>')) return v;
    const n = Number(v.trim());
    if (v.trim() !== '' && Number.isFinite(n)) return n;
  }
  if (v === null || v === undefined) return 0;
  throw new ProfileError(`${what} must be a number or a lambda ("x=>..."), got ${JSON.stringify(v)}`);
}

/** Compiles profile text into a Profile; throws ProfileError naming the place. */
export function compileProfile(text: string): Profile {
  let doc: unknown;
  try {
    doc = text.trim() === '' ? [] : loadTolerant(text);
  } catch (e) {
    throw new ProfileError(`the profile is not valid YAML/JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) doc = [];
  if (!Array.isArray(doc)) throw new ProfileError('the profile must be a list of [Name, Size, [fields...]] struct definitions');
  const structs = new Map<string, StructDef>();
  doc.forEach((entry, i) => {
    if (!Array.isArray(entry) || entry.length < 3 || typeof entry[0] !== 'string' || !Array.isArray(entry[2])) {
      throw new ProfileError(`definition ${i + 1} must be [Name, Size, [fields...]], got ${JSON.stringify(entry)?.slice(0, 80)}`);
    }
    const name = entry[0];
    if (structs.has(name) || BUILTIN_INTS[name] || name in COMPOSITE) throw new ProfileError(`struct ${name}: the type name is already defined`);
    const size = amountOf(entry[1], `struct ${name}: size`);
    const fields: FieldDef[] = [];
    const byName = new Map<string, FieldDef>();
    (entry[2] as unknown[]).forEach((f, j) => {
      if (!Array.isArray(f) || f.length < 3 || typeof f[0] !== 'string' || typeof f[2] !== 'string') {
        throw new ProfileError(`struct ${name}: field ${j + 1} must be [Name, Offset, Type, {options}], got ${JSON.stringify(f)?.slice(0, 80)}`);
      }
      const opts = f[3] ?? {};
      if (typeof opts !== 'object' || Array.isArray(opts)) throw new ProfileError(`struct ${name} field ${f[0]}: options must be a mapping`);
      const def: FieldDef = { name: f[0], offset: amountOf(f[1], `struct ${name} field ${f[0]}: offset`), type: f[2], options: opts as Record<string, unknown> };
      fields.push(def);
      byName.set(def.name, def);
    });
    structs.set(name, { name, size, fields, byName });
  });
  const profile = new Profile(structs);
  // Check every field's type and options now: a mistake is reported once, with its place.
  for (const s of structs.values()) {
    for (const f of s.fields) {
      try {
        f.parser = profile.parser(f.type, f.options);
      } catch (e) {
        throw new ProfileError(`struct ${s.name} field ${f.name}: ${(e as Error).message}`);
      }
    }
  }
  return profile;
}

export class Profile {
  constructor(readonly structs: ReadonlyMap<string, StructDef>) {}

  /** The parser of `type` with `options`; throws ProfileError for an unknown type or bad options. */
  parser(type: string, options: Record<string, unknown> = {}): Parser {
    const int = BUILTIN_INTS[type];
    if (int) return int;
    if (type === 'leb128' || type === 'sleb128') return new Leb128Parser(type === 'sleb128');
    const make = COMPOSITE[type];
    if (make) return make(this, options);
    if (this.structs.has(type)) return new StructParser(this, type);
    throw new ProfileError(`Type name ${type} is not known.`);
  }

  /** The parser for parse_binary's `struct=` (a struct or a type that needs no options). */
  topLevel(type: string): Parser {
    if (type in COMPOSITE && !['WinFileTime', 'FatTimestamp', 'Timestamp'].includes(type)) {
      throw new ProfileError(`${type} takes options and cannot be instantiated directly: wrap it in a struct`);
    }
    return this.parser(type, {});
  }
}

// ---------------------------------------------------------------------------------------
// Lambdas and option values

/** A lambda's result, with thunks forced. */
function settle(v: MaybePromise<Value>): MaybePromise<Value> {
  return then(v, (x) => (x instanceof Lazy ? then(x.force(), settle) : x));
}

/** Evaluates lambda `text` with x = `x`, `this` = `owner`. */
export function callLambda(ctx: ParseContext, text: string, x: Value, owner: StructObject | null): MaybePromise<Value> {
  const fn = lambdaArg(text, ctx.scope);
  if (!fn) throw new ProfileError(`invalid lambda ${JSON.stringify(text)}`);
  const scope = owner ? owner.lambdaScope() : ctx.scope;
  return settle(fn(scope, x));
}

/** A number option: a constant or a lambda of the owner. */
export function amount(ctx: ParseContext, a: Amount | undefined, owner: StructObject | null, fallback: number): MaybePromise<number> {
  if (a === undefined) return fallback;
  if (typeof a === 'number') return a;
  return then(callLambda(ctx, a, owner, owner), (v) => {
    const n = v === null || v === undefined ? 0 : toNumber(v);
    return Number.isFinite(n) ? Math.trunc(n) : 0;
  });
}

function optAmount(options: Record<string, unknown>, key: string): Amount | undefined {
  const v = options[key];
  if (v === undefined || v === null) return undefined;
  return amountOf(v, key);
}

function optString(options: Record<string, unknown>, key: string): string | undefined {
  const v = options[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ProfileError(`option ${key} must be a string`);
  return v;
}

function optMap(options: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = options[key];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ProfileError(`option ${key} must be a mapping`);
  return v as Record<string, unknown>;
}

/** Go's strconv.ParseInt(s, 0, 64): 0x, 0o, 0b prefixes and a leading 0 for octal. */
export function parseGoInt(s: string): bigint | null {
  const t = s.trim().replace(/_/g, '');
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(t);
  if (!m) return null;
  let body = m[2]!;
  if (/^0[0-7]+$/.test(body)) body = '0o' + body.slice(1);
  const v = BigInt(body);
  return m[1] === '-' ? -v : v;
}

/** A VQL int from a bigint. */
function intValue(v: bigint): Value {
  return normInt(v);
}

function toBig(v: Value): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  return 0n;
}

/** Go's `%#x` of an integer. */
function hexOf(v: bigint): string {
  return v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
}

// ---------------------------------------------------------------------------------------
// Integers

class IntParser implements Parser {
  constructor(readonly fixedSize: number, private readonly signed: boolean, private readonly bigEndian: boolean) {}
  parse(ctx: ParseContext, offset: number): Value {
    return this.read(ctx.io, offset);
  }
  /** The integer as a bigint (for Enumeration, Flags, BitField, Timestamp). */
  readBig(io: BinaryIO, offset: number): bigint {
    const b = io.read(offset, this.fixedSize);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const le = !this.bigEndian;
    switch (this.fixedSize) {
      case 1:
        return BigInt(this.signed ? dv.getInt8(0) : dv.getUint8(0));
      case 2:
        return BigInt(this.signed ? dv.getInt16(0, le) : dv.getUint16(0, le));
      case 4:
        return BigInt(this.signed ? dv.getInt32(0, le) : dv.getUint32(0, le));
      default:
        return this.signed ? dv.getBigInt64(0, le) : dv.getBigUint64(0, le);
    }
  }
  read(io: BinaryIO, offset: number): Value {
    if (this.fixedSize < 8) return Number(this.readBig(io, offset));
    return intValue(this.readBig(io, offset));
  }
}

class FloatParser implements Parser {
  readonly fixedSize = 8;
  constructor(private readonly bigEndian: boolean) {}
  parse(ctx: ParseContext, offset: number): Value {
    const b = ctx.io.read(offset, 8);
    return makeFloat(new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, !this.bigEndian));
  }
}

const BUILTIN_INTS: Readonly<Record<string, IntParser | FloatParser>> = (() => {
  const t: Record<string, IntParser | FloatParser> = {};
  for (const [bits, size] of [[8, 1], [16, 2], [32, 4], [64, 8]] as const) {
    t[`uint${bits}`] = new IntParser(size, false, false);
    t[`int${bits}`] = new IntParser(size, true, false);
    t[`uint${bits}b`] = new IntParser(size, false, true);
    t[`int${bits}b`] = new IntParser(size, true, true);
    if (bits > 8) t[`uint${bits}be`] = new IntParser(size, false, true);
  }
  t.float64 = new FloatParser(false);
  t.float64be = new FloatParser(true);
  Object.assign(t, {
    int: t.int32, char: t.int8, byte: t.uint8, 'short int': t.int16, 'unsigned char': t.uint8, 'unsigned int': t.uint32,
    'unsigned long': t.uint32, 'unsigned long long': t.uint64, 'unsigned short': t.uint16,
  });
  return t;
})();

function intParserOption(profile: Profile, options: Record<string, unknown>, key: string, fallback?: string): IntParser {
  const name = optString(options, key) ?? fallback;
  if (!name) throw new ProfileError(`option ${key} (an integer type) is required`);
  const p = BUILTIN_INTS[name];
  if (!(p instanceof IntParser)) {
    void profile;
    throw new ProfileError(`option ${key}: ${name} is not an integer type (uint8...uint64, int8...int64, and their big-endian forms)`);
  }
  return p;
}

// ---------------------------------------------------------------------------------------
// Variable-length integers

class Leb128Parser implements Parser {
  readonly fixedSize = null;
  constructor(private readonly signed: boolean) {}
  parse(ctx: ParseContext, offset: number): Value {
    const bytes = ctx.io.readAvailable(offset, 10);
    let v = 0n;
    let shift = 0n;
    let i = 0;
    let b = 0;
    for (; i < bytes.length; i++) {
      b = bytes[i]!;
      v |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) {
        i++;
        break;
      }
    }
    if (this.signed && shift < 64n && (b & 0x40) !== 0) v -= 1n << shift;
    return new Leb128Object(intValue(v), offset, i);
  }
}

// ---------------------------------------------------------------------------------------
// Structs

class StructParser implements Parser {
  constructor(private readonly profile: Profile, readonly name: string) {}
  get fixedSize(): number | null {
    const s = this.profile.structs.get(this.name)!.size;
    return typeof s === 'number' && s > 0 ? s : null;
  }
  parse(ctx: ParseContext, offset: number, owner: StructObject | null): Value {
    return new StructObject(ctx, this.profile.structs.get(this.name)!, offset, owner);
  }
}

// ---------------------------------------------------------------------------------------
// Composite types

type Maker = (profile: Profile, options: Record<string, unknown>) => Parser;

const DEFAULT_MAX_COUNT = 1000;

class ArrayParser implements Parser {
  readonly fixedSize = null;
  private readonly element: Parser;
  private readonly count: Amount | undefined;
  private readonly maxCount: number;
  private readonly sentinel: string | undefined;
  constructor(profile: Profile, options: Record<string, unknown>) {
    const type = optString(options, 'type');
    if (!type) throw new ProfileError('Array needs option type');
    this.element = profile.parser(type, optMap(options, 'type_options'));
    this.count = optAmount(options, 'count');
    const max = optAmount(options, 'max_count');
    this.maxCount = typeof max === 'number' ? max : DEFAULT_MAX_COUNT;
    this.sentinel = optString(options, 'sentinel');
  }
  parse(ctx: ParseContext, offset: number, owner: StructObject | null): MaybePromise<Value> {
    return then(amount(ctx, this.count, owner, 0), (n) => {
      const count = Math.max(0, Math.min(n, this.maxCount));
      const items: Value[] = [];
      const loop = (i: number, at: number): MaybePromise<Value> => {
        while (i < count) {
          // Each element is retried on its own after a page load: the array resumes there.
          const next = attempt(() => this.element1(ctx, items, at, owner));
          if (next instanceof Promise) return next.then((r) => (r === null ? ArrayObject.make(items, offset, ctx.scope) : loop(i + 1, r)));
          if (next === null) break;
          at = next;
          i++;
        }
        return ArrayObject.make(items, offset, ctx.scope);
      };
      return loop(0, offset);
    });
  }

  /** Parses the element at `at`, checks the sentinel and its size, adds it; the next offset or null to stop. */
  private element1(ctx: ParseContext, items: Value[], at: number, owner: StructObject | null): MaybePromise<number | null> {
    return then(this.element.parse(ctx, at, owner), (el) => {
      const stop = this.sentinel ? then(callLambda(ctx, this.sentinel, el, owner), (v) => truthy(v, ctx.scope)) : false;
      return then(stop, (s) => {
        if (s) return null;
        return then(this.element.fixedSize ?? valueSize(el), (size) => {
          // A zero-sized element would not move on: the array stops before it.
          if (!(size > 0)) return null;
          items.push(el);
          return at + size;
        });
      });
    });
  }
}

class StringParser implements Parser {
  readonly fixedSize = null;
  private readonly length: Amount | undefined;
  private readonly maxLength: number;
  private readonly term: Uint8Array | null;
  private readonly termExp: string | undefined;
  private readonly utf16: boolean;
  private readonly byteString: boolean;
  constructor(options: Record<string, unknown>) {
    this.length = optAmount(options, 'length');
    const max = optAmount(options, 'max_length');
    this.maxLength = typeof max === 'number' && max > 0 ? max : 1024;
    const enc = optString(options, 'encoding') ?? 'utf8';
    if (enc !== 'utf8' && enc !== 'utf16') throw new ProfileError(`String encoding must be utf8 or utf16, got ${JSON.stringify(enc)}`);
    this.utf16 = enc === 'utf16';
    this.byteString = options.byte_string === true;
    const hex = optString(options, 'term_hex');
    const term = options.term;
    this.termExp = optString(options, 'term_exp');
    if (hex !== undefined) {
      if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new ProfileError(`term_hex must be hex digits, got ${JSON.stringify(hex)}`);
      this.term = Buffer.from(hex, 'hex');
    } else if (typeof term === 'string' && term.includes('=>')) {
      this.termExp = term;
      this.term = null;
    } else if (term === undefined || term === null) this.term = Uint8Array.of(0);
    else if (typeof term === 'string') this.term = term === '' ? null : Buffer.from(term, 'utf8');
    else throw new ProfileError('String option term must be a string');
  }
  parse(ctx: ParseContext, offset: number, owner: StructObject | null): MaybePromise<Value> {
    const len = amount(ctx, this.length, owner, this.maxLength);
    const term = this.termExp ? then(callLambda(ctx, this.termExp, owner, owner), (t) => (typeof t === 'string' && t !== '' ? Buffer.from(t, 'utf8') : null)) : this.term;
    return then(len, (n) => then(term, (t) => this.decode(ctx.io.readAvailable(offset, Math.max(0, Math.min(n, this.maxLength))), t)));
  }
  private decode(raw: Uint8Array, term: Uint8Array | null): Value {
    let bytes = raw;
    if (term && term.length) {
      const at = indexOfBytes(bytes, term, this.utf16 ? 2 : 1);
      if (at >= 0) bytes = bytes.subarray(0, at);
    }
    if (this.utf16) {
      const even = bytes.subarray(0, bytes.length & ~1);
      if (this.byteString) return bytesToValue(even);
      return new TextDecoder('utf-16le').decode(even);
    }
    return bytesToValue(bytes.slice());
  }
}

/** The first occurrence of `needle` at a multiple of `align`, or -1. */
function indexOfBytes(hay: Uint8Array, needle: Uint8Array, align: number): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i += align) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

class EnumerationParser implements Parser {
  private readonly int: IntParser;
  private readonly names = new Map<bigint, string>();
  constructor(profile: Profile, options: Record<string, unknown>) {
    this.int = intParserOption(profile, options, 'type');
    for (const [k, v] of Object.entries(optMap(options, 'choices'))) {
      const n = parseGoInt(k);
      if (n === null) throw new ProfileError(`Enumeration choice ${JSON.stringify(k)} is not a number`);
      this.names.set(n, String(v));
    }
    for (const [name, v] of Object.entries(optMap(options, 'map'))) {
      const n = typeof v === 'number' ? BigInt(Math.trunc(v)) : typeof v === 'string' ? parseGoInt(v) : null;
      if (n === null) throw new ProfileError(`Enumeration map value of ${name} is not a number`);
      this.names.set(n, name);
    }
  }
  get fixedSize(): number {
    return this.int.fixedSize;
  }
  parse(ctx: ParseContext, offset: number): Value {
    const v = this.int.readBig(ctx.io, offset);
    return this.names.get(v) ?? hexOf(v);
  }
}

class FlagsParser implements Parser {
  private readonly int: IntParser;
  private readonly bits: Array<[string, bigint]> = [];
  constructor(profile: Profile, options: Record<string, unknown>) {
    this.int = intParserOption(profile, options, 'type');
    for (const [name, bit] of Object.entries(optMap(options, 'bitmap'))) {
      const b = typeof bit === 'number' ? bit : Number(bit);
      if (!Number.isInteger(b) || b < 0 || b > 63) throw new ProfileError(`Flags bit of ${name} must be 0-63`);
      this.bits.push([name, BigInt(b)]);
    }
    this.bits.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
  get fixedSize(): number {
    return this.int.fixedSize;
  }
  parse(ctx: ParseContext, offset: number): Value {
    const v = BigInt.asUintN(64, this.int.readBig(ctx.io, offset));
    return this.bits.filter(([, b]) => ((v >> b) & 1n) === 1n).map(([n]) => n);
  }
}

class BitFieldParser implements Parser {
  private readonly int: IntParser;
  private readonly start: bigint;
  private readonly mask: bigint;
  constructor(profile: Profile, options: Record<string, unknown>) {
    this.int = intParserOption(profile, options, 'type');
    const start = options.start_bit === undefined ? 0 : Number(options.start_bit);
    const end = options.end_bit === undefined ? 64 : Number(options.end_bit);
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > 64 || end <= start) {
      throw new ProfileError(`BitField needs 0 <= start_bit < end_bit <= 64 (got ${String(options.start_bit)}, ${String(options.end_bit)})`);
    }
    this.start = BigInt(start);
    this.mask = (1n << BigInt(end - start)) - 1n;
  }
  get fixedSize(): number {
    return this.int.fixedSize;
  }
  parse(ctx: ParseContext, offset: number): Value {
    const v = BigInt.asUintN(64, this.int.readBig(ctx.io, offset));
    return intValue((v >> this.start) & this.mask);
  }
}

class ValueParser implements Parser {
  readonly fixedSize = 0;
  private readonly value: unknown;
  constructor(options: Record<string, unknown>) {
    if (!('value' in options)) throw new ProfileError('Value needs option value');
    this.value = options.value;
  }
  parse(ctx: ParseContext, _offset: number, owner: StructObject | null): MaybePromise<Value> {
    if (typeof this.value === 'string' && this.value.includes('=>')) return callLambda(ctx, this.value, owner, owner);
    return plainValue(this.value);
  }
}

/** A YAML constant as a VQL value. */
function plainValue(v: unknown): Value {
  if (v === undefined) return null;
  if (Array.isArray(v)) return v.map(plainValue);
  if (v instanceof Date) return VTime.fromMillis(v.getTime());
  if (typeof v === 'object' && v !== null) return new VDict(Object.entries(v).map(([k, x]) => [k, plainValue(x)]));
  return v;
}

const NS = 1_000_000_000n;

class TimestampParser implements Parser {
  private readonly int: IntParser;
  private readonly factor: bigint;
  constructor(profile: Profile, options: Record<string, unknown>) {
    this.int = intParserOption(profile, options, 'type', 'uint64');
    const f = options.factor === undefined ? 1 : Number(options.factor);
    if (!Number.isFinite(f) || f <= 0) throw new ProfileError('Timestamp factor must be a positive number');
    this.factor = BigInt(Math.trunc(f));
  }
  get fixedSize(): number {
    return this.int.fixedSize;
  }
  parse(ctx: ParseContext, offset: number): Value {
    const v = this.int.readBig(ctx.io, offset);
    // Go's time.Unix(v / factor, v % factor): the remainder is taken as nanoseconds.
    const t = new VTime((v / this.factor) * NS + (v % this.factor));
    return validTime(t);
  }
}

/** Years 0-9999 (Go's time JSON range); anything else is NULL. */
function validTime(t: VTime): Value {
  const year = t.date.getUTCFullYear();
  return Number.isFinite(year) && year >= 0 && year <= 9999 ? t : null;
}

/** FILETIME ticks between 1601-01-01 and 1970-01-01. */
const FILETIME_EPOCH = 116444736000000000n;

class WinFileTimeParser implements Parser {
  private readonly int: IntParser;
  private readonly factor: bigint;
  constructor(profile: Profile, options: Record<string, unknown>) {
    this.int = intParserOption(profile, options, 'type', 'uint64');
    const f = options.factor === undefined ? 1 : Number(options.factor);
    if (!Number.isFinite(f) || f <= 0) throw new ProfileError('WinFileTime factor must be a positive number');
    this.factor = BigInt(Math.trunc(f));
  }
  get fixedSize(): number {
    return this.int.fixedSize;
  }
  parse(ctx: ParseContext, offset: number): Value {
    const ticks = this.int.readBig(ctx.io, offset) / this.factor;
    const seconds = (ticks - FILETIME_EPOCH) / 10_000_000n;
    return validTime(new VTime(seconds * NS));
  }
}

class FatTimestampParser implements Parser {
  readonly fixedSize = 4;
  parse(ctx: ParseContext, offset: number): Value {
    const b = ctx.io.read(offset, 4);
    const dv = new DataView(b.buffer, b.byteOffset, 4);
    const date = dv.getUint16(0, true);
    const time = dv.getUint16(2, true);
    const ms = Date.UTC(1980 + (date >> 9), ((date >> 5) & 0xf) - 1, date & 0x1f, time >> 11, (time >> 5) & 0x3f, (time & 0x1f) * 2);
    return Number.isFinite(ms) ? VTime.fromMillis(ms) : null;
  }
}

class UnionParser implements Parser {
  readonly fixedSize = null;
  private readonly selector: string;
  private readonly choices = new Map<string, Parser>();
  constructor(profile: Profile, options: Record<string, unknown>) {
    const sel = optString(options, 'selector');
    if (!sel) throw new ProfileError('Union needs option selector (a lambda)');
    this.selector = sel;
    for (const [k, type] of Object.entries(optMap(options, 'choices'))) {
      if (typeof type !== 'string') throw new ProfileError(`Union choice ${k} must name a type`);
      this.choices.set(k, profile.parser(type, {}));
    }
  }
  parse(ctx: ParseContext, offset: number, owner: StructObject | null): MaybePromise<Value> {
    return then(callLambda(ctx, this.selector, owner, owner), (sel) => {
      const key = sel === null || sel === undefined ? '' : typeof sel === 'string' ? sel : typeof sel === 'boolean' ? String(sel) : String(sel);
      const p = this.choices.get(key) ?? this.choices.get('default');
      return p ? p.parse(ctx, offset, owner) : null;
    });
  }
}

class PointerParser implements Parser {
  readonly fixedSize = 8;
  private readonly target: Parser;
  constructor(profile: Profile, options: Record<string, unknown>) {
    const type = optString(options, 'type');
    if (!type) throw new ProfileError('Pointer needs option type');
    this.target = profile.parser(type, optMap(options, 'type_options'));
  }
  parse(ctx: ParseContext, offset: number, owner: StructObject | null): MaybePromise<Value> {
    const address = (BUILTIN_INTS.uint64 as IntParser).readBig(ctx.io, offset);
    return this.target.parse(ctx, Number(address), owner);
  }
}

class ProfileTypeParser implements Parser {
  readonly fixedSize = 0;
  private readonly target: Parser;
  private readonly offset: Amount;
  constructor(profile: Profile, options: Record<string, unknown>) {
    const type = optString(options, 'type');
    if (!type) throw new ProfileError('Profile needs option type');
    this.target = profile.parser(type, optMap(options, 'type_options'));
    const off = optAmount(options, 'offset');
    if (off === undefined) throw new ProfileError('Profile needs option offset (a lambda)');
    this.offset = off;
  }
  parse(ctx: ParseContext, _offset: number, owner: StructObject | null): MaybePromise<Value> {
    return then(amount(ctx, this.offset, owner, 0), (at) => this.target.parse(ctx, at, owner));
  }
}

const COMPOSITE: Readonly<Record<string, Maker>> = {
  Array: (p, o) => new ArrayParser(p, o),
  String: (_p, o) => new StringParser(o),
  Enumeration: (p, o) => new EnumerationParser(p, o),
  Flags: (p, o) => new FlagsParser(p, o),
  BitField: (p, o) => new BitFieldParser(p, o),
  Value: (_p, o) => new ValueParser(o),
  Timestamp: (p, o) => new TimestampParser(p, o),
  WinFileTime: (p, o) => new WinFileTimeParser(p, o),
  FatTimestamp: () => new FatTimestampParser(),
  Union: (p, o) => new UnionParser(p, o),
  Pointer: (p, o) => new PointerParser(p, o),
  Profile: (p, o) => new ProfileTypeParser(p, o),
};

