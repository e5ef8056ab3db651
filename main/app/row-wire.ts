/**
 * Rows across a thread boundary without changing a single output byte. Structured clone keeps
 * primitives, Dates and byte arrays but drops classes (VDict, VFloat, VTime, VBytes, Lazy, host
 * objects), and the CSV cells (csvCell), JSON (toJSON) and text tables (stringerText) the
 * CLI and the collector write depend on those classes. So the sending thread turns each value
 * into a tagged form that mirrors how the encoders read it, and the receiving thread rebuilds
 * values that encode identically:
 *
 * - primitives, Date, Uint8Array: as they are (structured clone keeps -0, NaN, bigint, lone
 *   surrogates, invalid dates);
 * - VFloat, VTime, VBytes: rebuilt as the same class;
 * - VDict, JS Maps (sorted keys, like the encoder), host objects (their members) and plain
 *   objects (own enumerable keys minus functions, symbols and undefined): rebuilt as VDicts
 *   with the entries the encoder would have written, in its order; entries holding their own
 *   container are left out, as the encoder leaves them out;
 * - Lazy: forced here, rebuilt as a Lazy (the encoder adds a level of depth for a thunk); an
 *   asynchronous thunk as a thunk of a promise (an empty cell, JSON null, as before);
 * - a value whose toJSON gives text (a path): that text; other toJSON results (and promises,
 *   which encode as null) as an object whose toJSON gives the rebuilt result;
 * - functions and symbols (JSON null, but a CSV cell of their text): a function or symbol with
 *   the same text.
 *
 * Objects nested deeper than the JSON encoder goes (JSON_MAX_DEPTH, where it writes null) are
 * sent as null: a host object whose members make new objects forever stops there too.
 */
import { ABSENT, GET_MEMBER, Lazy, MEMBERS, VBytes, VDict, VFloat, VTime, isHostObject, type Value } from '../vql/index.ts';
import { JSON_MAX_DEPTH } from '../vql/values/json.ts';

/** A value in transit: a primitive, a Date, a byte array, an array of values or a tagged node. */
export type WireValue =
  | string | number | boolean | bigint | null | undefined | Date | Uint8Array
  | WireValue[]
  | { readonly t: 'f'; readonly v: number }
  | { readonly t: 't'; readonly ns: bigint }
  | { readonly t: 'b'; readonly b: Uint8Array }
  | { readonly t: 'd'; readonly k: string[]; readonly v: WireValue[] }
  | { readonly t: 'l'; readonly v: WireValue; readonly p?: true }
  | { readonly t: 'j'; readonly v: WireValue }
  | { readonly t: 'fn'; readonly s: string }
  | { readonly t: 'sym'; readonly s: string | undefined };

/**
 * A batch of rows: the distinct column lists once, then each row as the index of its columns
 * and its values (rows of one query nearly always share their columns).
 */
export interface WireRows {
  readonly columns: string[][];
  readonly rows: Array<[number, WireValue[]]>;
}

/** A value whose toJSON is not text (a rebuilt custom value, or a promise: null). */
class WireJson {
  constructor(private readonly value: Value) {}
  toJSON(): Value {
    return this.value;
  }
}

/** The tagged form of one value at `depth` below a CSV cell (the encoders' depth). */
export function encodeValue(v: Value, depth = 0): WireValue {
  switch (typeof v) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return v;
    case 'function':
      return { t: 'fn', s: String(v) };
    case 'symbol':
      return { t: 'sym', s: v.description };
    default:
      break;
  }
  if (v === null) return null;
  if (depth >= JSON_MAX_DEPTH) return null;
  if (v instanceof VDict) return dictOf(v.map.keys(), (k) => v.map.get(k), v, depth);
  if (Array.isArray(v)) return v.map((x) => encodeValue(x, depth + 1));
  if (v instanceof VFloat) return { t: 'f', v: v.value };
  if (v instanceof VTime) return { t: 't', ns: v.unixNano };
  if (v instanceof VBytes) return { t: 'b', b: v.bytes };
  if (v instanceof Lazy) {
    const forced = v.force();
    if (forced instanceof Promise) {
      forced.catch(() => {}); // nobody awaits it here: the encoders write it as empty / null
      return { t: 'l', v: null, p: true };
    }
    return { t: 'l', v: encodeValue(forced, depth + 1) };
  }
  if (v instanceof Map) {
    const byText = new Map<string, unknown>();
    for (const [k, x] of v) byText.set(String(k), x);
    return dictOf([...byText.keys()].sort(), (k) => byText.get(k), v, depth);
  }
  if (v instanceof Uint8Array) return v;
  if (v instanceof Date) return v;
  if (v instanceof Promise) {
    v.catch(() => {});
    return { t: 'j', v: null };
  }
  const custom = (v as { toJSON?: unknown }).toJSON;
  if (typeof custom === 'function') {
    const j = custom.call(v) as Value;
    return typeof j === 'string' ? j : { t: 'j', v: encodeValue(j, depth + 1) };
  }
  if (isHostObject(v)) {
    const names = typeof v[MEMBERS] === 'function' ? v[MEMBERS]() : [];
    const members = new Map<string, Value>();
    for (const name of names) {
      const x = v[GET_MEMBER](name);
      if (x !== ABSENT) members.set(name, x);
    }
    return dictOf(members.keys(), (k) => members.get(k), v, depth);
  }
  const o = v as Record<string, unknown>;
  const keys: string[] = [];
  for (const k in o) {
    if (!Object.prototype.hasOwnProperty.call(o, k)) continue;
    const x = o[k];
    if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
    keys.push(k);
  }
  return dictOf(keys, (k) => o[k], v, depth);
}

function dictOf(keys: Iterable<string>, get: (k: string) => Value, self: unknown, depth: number): WireValue {
  const k: string[] = [];
  const vals: WireValue[] = [];
  for (const key of keys) {
    const x = get(key);
    if (x === self) continue; // the encoder skips an entry holding its own container
    k.push(key);
    vals.push(encodeValue(x, depth + 1));
  }
  return { t: 'd', k, v: vals };
}

/** The value rebuilt from its tagged form. */
export function decodeValue(w: WireValue): Value {
  if (typeof w !== 'object' || w === null) return w;
  if (Array.isArray(w)) return w.map(decodeValue);
  if (w instanceof Uint8Array || w instanceof Date) return w;
  switch (w.t) {
    case 'f':
      return new VFloat(w.v);
    case 't':
      return new VTime(w.ns);
    case 'b':
      return new VBytes(w.b);
    case 'd': {
      const d = new VDict();
      for (let i = 0; i < w.k.length; i++) d.map.set(w.k[i]!, decodeValue(w.v[i]!));
      return d;
    }
    case 'l': {
      if (w.p) return new Lazy(() => Promise.resolve(null));
      const inner = decodeValue(w.v);
      return new Lazy(() => inner);
    }
    case 'j':
      return new WireJson(decodeValue(w.v));
    case 'fn': {
      const text = w.s;
      const f = function () {};
      f.toString = () => text;
      return f;
    }
    case 'sym':
      return Symbol(w.s);
  }
}

/** A batch of rows (VDicts, or plain objects from a host plugin) in transit form. */
export function encodeRows(rows: readonly Value[]): WireRows {
  const columns: string[][] = [];
  const index = new Map<string, number>();
  const out: Array<[number, WireValue[]]> = [];
  for (const row of rows) {
    const d = row instanceof VDict ? row : null;
    const keys = d ? [...d.map.keys()] : Object.keys(row as object);
    const sig = keys.join('\u0000');
    let i = index.get(sig);
    if (i === undefined) {
      i = columns.length;
      columns.push(keys);
      index.set(sig, i);
    }
    const vals: WireValue[] = new Array(keys.length);
    for (let j = 0; j < keys.length; j++) {
      const x = d ? d.map.get(keys[j]!) : (row as Record<string, unknown>)[keys[j]!];
      vals[j] = encodeValue(x);
    }
    out.push([i, vals]);
  }
  return { columns, rows: out };
}

/** The rows of a batch, rebuilt as VDicts. */
export function decodeRows(w: WireRows): VDict[] {
  const out: VDict[] = new Array(w.rows.length);
  for (let r = 0; r < w.rows.length; r++) {
    const [i, vals] = w.rows[r]!;
    const keys = w.columns[i]!;
    const d = new VDict();
    for (let j = 0; j < keys.length; j++) d.map.set(keys[j]!, decodeValue(vals[j]!));
    out[r] = d;
  }
  return out;
}
