/**
 * The VQL value model (SPEC section 1) in JavaScript terms.
 *
 * | VQL        | JS representation                                                        |
 * |------------|--------------------------------------------------------------------------|
 * | null       | `null` (and `undefined`, treated the same)                                |
 * | bool       | `boolean`                                                                 |
 * | int        | an integral `number` within +-2^53, or a `bigint` outside it (int64 wrap) |
 * | float      | a non-integral `number` (NaN, Infinity included), or `VFloat` for an      |
 * |            | integral float such as `2.0` so that int/float rules stay distinct        |
 * | string     | a JS `string` when the bytes are valid UTF-8, else `VBytes`               |
 * | array      | a JS array                                                                |
 * | dict       | `VDict` (ordered; re-setting a key moves it to the end)                   |
 * | time       | `VTime` (nanoseconds since the epoch)                                     |
 * | thunk      | `Lazy` (computed once, on demand)                                         |
 * | host value | any other object; members through the `HostObject` protocol               |
 *
 * Query objects, materialized queries, stored expressions and scopes are defined by the
 * evaluator (eval/) and recognised here only through `isQueryLike` style checks there.
 */

/** Any VQL value. Kept as `unknown` at the type level: host values may be anything. */
export type Value = unknown;

/** A float whose value happens to be integral (`2.0`, `1e3`, `4 / 2`). */
export class VFloat {
  constructor(readonly value: number) {}
  toJSON(): number {
    return this.value;
  }
}

/** A byte string that is not valid UTF-8 (for example `"\xff"`). */
export class VBytes {
  constructor(readonly bytes: Uint8Array) {}
}

/** Marker returned by member lookups for "not present" (distinct from a present null). */
export const ABSENT: unique symbol = Symbol('absent');
export type Absent = typeof ABSENT;

/** Symbols of the host-object protocol (SPEC 17). */
export const MEMBERS: unique symbol = Symbol.for('vql.members');
export const GET_MEMBER: unique symbol = Symbol.for('vql.getMember');
/**
 * Optional: a host object with `[TRUTHY]()` says whether it is truthy (SPEC 9.1: host objects
 * are falsy "unless a host protocol says otherwise").
 */
export const TRUTHY: unique symbol = Symbol.for('vql.truthy');

/**
 * A host object advertises its members and resolves them by name. `GET_MEMBER` returns
 * ABSENT for a name it does not have (so `SELECT *` skips it and access gives null).
 */
export interface HostObject {
  [MEMBERS](): readonly string[];
  [GET_MEMBER](name: string): Value | Absent;
}

export function isHostObject(v: unknown): v is HostObject {
  return typeof v === 'object' && v !== null && typeof (v as Partial<HostObject>)[GET_MEMBER] === 'function';
}

/**
 * A Go struct as Velociraptor hands it to VQL: its fields read like a dict's (`x.Type`, `SELECT *`,
 * JSON), but iterating it (`foreach(row=[...])`, SPEC 10.1) wraps it as `{_value: x}`, since only
 * dicts are rows. Artifacts depend on that: `foreach(row=parse_ntfs(...).Attributes, query={SELECT
 * _value.Type ...})`.
 */
export class VStruct implements HostObject {
  private readonly fields: Map<string, Value>;
  constructor(entries: Iterable<readonly [string, Value]>) {
    this.fields = new Map(entries);
  }
  [MEMBERS](): readonly string[] {
    return [...this.fields.keys()];
  }
  [GET_MEMBER](name: string): Value | Absent {
    return this.fields.has(name) ? this.fields.get(name)! : ABSENT;
  }
}

/** An ordered dictionary with string keys (insertion order; re-set moves to the end). */
export class VDict {
  readonly map: Map<string, Value>;

  constructor(entries?: Iterable<readonly [string, Value]>) {
    this.map = new Map();
    if (entries) for (const [k, v] of entries) this.set(k, v);
  }

  /** Builds a dict from a plain JS object, converting nested plain values (see toValue). */
  static fromObject(obj: Record<string, unknown>): VDict {
    const d = new VDict();
    for (const k of Object.keys(obj)) d.map.set(k, toValue(obj[k]));
    return d;
  }

  get size(): number {
    return this.map.size;
  }
  has(key: string): boolean {
    return this.map.has(key);
  }
  /** The value under `key`, or ABSENT. */
  get(key: string): Value | Absent {
    const v = this.map.get(key);
    if (v === undefined && !this.map.has(key)) return ABSENT;
    return v;
  }
  /** Sets `key`; an existing key moves to the end (Go ordereddict behaviour). */
  set(key: string, value: Value): this {
    if (this.map.has(key)) this.map.delete(key);
    this.map.set(key, value);
    return this;
  }
  /** Sets `key` keeping the position of an existing key. */
  setInPlace(key: string, value: Value): this {
    this.map.set(key, value);
    return this;
  }
  delete(key: string): boolean {
    return this.map.delete(key);
  }
  keys(): string[] {
    return [...this.map.keys()];
  }
  values(): Value[] {
    return [...this.map.values()];
  }
  entries(): IterableIterator<[string, Value]> {
    return this.map.entries();
  }
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of this.map) out[k] = v;
    return out;
  }
}

/** A thunk: a value computed lazily, at most once (host lazy members, SPEC 17). */
export class Lazy {
  private state: 0 | 1 = 0;
  private cached: Value = null;
  constructor(private readonly compute: () => Value | Promise<Value>) {}

  /** Forces the thunk. May return a promise when the computation is asynchronous. */
  force(): Value | Promise<Value> {
    if (this.state === 1) return this.cached;
    const v = this.compute();
    if (v instanceof Promise) {
      return v.then((r) => {
        this.state = 1;
        this.cached = r;
        return r;
      });
    }
    this.state = 1;
    this.cached = v;
    return v;
  }
}

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;

/**
 * An instant with nanosecond precision. Members (SPEC/VELOCIRAPTOR 4.2): Unix, UnixNano,
 * UnixMilli, UnixMicro, String (RFC 3339 UTC), Year, Month, Day, Hour, Minute, Second,
 * Nanosecond, Weekday, YearDay, UTC, Zone, IsZero...
 */
export class VTime implements HostObject {
  constructor(readonly unixNano: bigint) {}

  static fromMillis(ms: number): VTime {
    const whole = Math.floor(ms);
    const frac = Math.round((ms - whole) * 1e6);
    return new VTime(BigInt(whole) * NS_PER_MS + BigInt(frac));
  }
  static fromSeconds(s: number): VTime {
    return VTime.fromMillis(s * 1000);
  }
  static now(): VTime {
    // performance.timeOrigin + now() gives sub-millisecond precision.
    return VTime.fromMillis(performance.timeOrigin + performance.now());
  }

  /** Milliseconds since the epoch (may lose sub-ms precision). */
  get millis(): number {
    return Number(this.unixNano / NS_PER_MS) + Number(this.unixNano % NS_PER_MS) / 1e6;
  }
  /** Seconds since the epoch as a float (for comparisons with numbers). */
  get seconds(): number {
    return Number(this.unixNano) / 1e9;
  }
  get unix(): number {
    return Number(floorDiv(this.unixNano, NS_PER_S));
  }
  get date(): Date {
    return new Date(Number(floorDiv(this.unixNano, NS_PER_MS)));
  }
  get nanosecond(): number {
    return Number(this.unixNano - floorDiv(this.unixNano, NS_PER_S) * NS_PER_S);
  }

  /** RFC 3339 in UTC with fractional seconds, trailing zeros trimmed (Go RFC3339Nano). */
  toRFC3339(): string {
    const d = this.date;
    const base = d.toISOString().slice(0, 19);
    const ns = this.nanosecond;
    if (ns === 0) return base + 'Z';
    return base + '.' + String(ns).padStart(9, '0').replace(/0+$/, '') + 'Z';
  }
  toJSON(): string {
    return this.toRFC3339();
  }

  [MEMBERS](): readonly string[] {
    return TIME_MEMBERS;
  }
  [GET_MEMBER](name: string): Value | Absent {
    const d = this.date;
    switch (name) {
      case 'Unix':
        return this.unix;
      case 'UnixNano':
        return normInt(this.unixNano);
      case 'UnixMicro':
        return normInt(floorDiv(this.unixNano, 1000n));
      case 'UnixMilli':
        return normInt(floorDiv(this.unixNano, NS_PER_MS));
      case 'String':
        return this.toRFC3339();
      case 'Year':
        return d.getUTCFullYear();
      case 'Month':
        return d.getUTCMonth() + 1;
      case 'Day':
        return d.getUTCDate();
      case 'Hour':
        return d.getUTCHours();
      case 'Minute':
        return d.getUTCMinutes();
      case 'Second':
        return d.getUTCSeconds();
      case 'Nanosecond':
        return this.nanosecond;
      case 'Weekday':
        return d.getUTCDay();
      case 'YearDay': {
        const start = Date.UTC(d.getUTCFullYear(), 0, 1);
        return Math.floor((d.getTime() - start) / 86400000) + 1;
      }
      case 'ISOWeek':
        return isoWeek(d);
      case 'UTC':
        return this;
      case 'Zone':
        return 'UTC';
      case 'IsDST':
        return false;
      case 'IsZero':
        return this.unixNano === ZERO_TIME_NS;
      default:
        return ABSENT;
    }
  }
}

/** Go's zero time (0001-01-01T00:00:00Z) in Unix nanoseconds. */
const ZERO_TIME_NS = -62135596800n * NS_PER_S;

const TIME_MEMBERS: readonly string[] = [
  'Day', 'Hour', 'ISOWeek', 'IsDST', 'IsZero', 'Minute', 'Month', 'Nanosecond', 'Second', 'String',
  'UTC', 'Unix', 'UnixMicro', 'UnixMilli', 'UnixNano', 'Weekday', 'Year', 'YearDay', 'Zone',
];

function isoWeek(d: Date): number {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  return Math.ceil(((t.getTime() - yearStart) / 86400000 + 1) / 7);
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const INT64_MOD = 1n << 64n;
const INT64_MAX = (1n << 63n) - 1n;

/** Wraps a bigint to int64 and returns a number when it is a safe integer. */
export function normInt(b: bigint): number | bigint {
  let v = b;
  if (v > INT64_MAX || v < -(1n << 63n)) {
    v = ((v % INT64_MOD) + INT64_MOD) % INT64_MOD;
    if (v > INT64_MAX) v -= INT64_MOD;
  }
  if (v <= MAX_SAFE && v >= MIN_SAFE) return Number(v);
  return v;
}

/** An unsigned 64-bit integer (a uint64 field): a number when exact, else a big integer, never wrapped to a negative int64 (as Go prints a uint64). */
export function normUint(b: bigint): number | bigint {
  return b <= MAX_SAFE ? Number(b) : b;
}

/** Makes a VQL float from a JS number (boxing integral values so they stay floats). */
export function makeFloat(n: number): number | VFloat {
  return Number.isInteger(n) ? new VFloat(n) : n;
}

/**
 * The text of a value whose JSON form is text (a path: Go's Stringer), or undefined.
 * Dicts and times have their own rules and are not Stringers here.
 */
export function stringerText(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || v instanceof VDict || v instanceof VTime) return undefined;
  const own = (v as { toJSON?: () => unknown }).toJSON;
  if (typeof own !== 'function') return undefined;
  const j = own.call(v);
  return typeof j === 'string' ? j : undefined;
}

/**
 * Converts a host JS value into a VQL value: plain objects become VDicts (recursively),
 * arrays are converted element-wise, `undefined` becomes null, Dates become VTime.
 * Class instances (VDict, VTime, host objects...) pass through unchanged.
 */
export function toValue(v: unknown): Value {
  if (v === undefined) return null;
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < v.length; i++) {
      const c = toValue(v[i]);
      if (c !== v[i]) {
        if (!out) out = v.slice(0, i);
      }
      if (out) out.push(c);
    }
    return out ?? v;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) return VDict.fromObject(v as Record<string, unknown>);
  if (v instanceof Date) return VTime.fromMillis(v.getTime());
  if (v instanceof Uint8Array && !(v instanceof VBytes)) return new VBytes(v);
  return v;
}
