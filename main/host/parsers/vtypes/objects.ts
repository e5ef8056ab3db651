/**
 * The lazy objects parse_binary returns (VQL-FUNCTIONS.md 1.7, "Object members"):
 *
 * - StructObject: its fields, read on first access and cached, plus SizeOf/Size,
 *   StartOf/Start/OffsetOf, EndOf/End, ParentOf/Parent (a field of the same name wins), and
 *   `` x.`@Field` `` references. As a row or JSON it is its fields in definition order, without
 *   those whose names start with `__`.
 * - ArrayObject: a real list (foreach, indexing and JSON see the elements) that also answers
 *   SizeOf, StartOf, EndOf, ContentsOf and Value; any other member is mapped over the elements.
 * - Leb128Object: a varint with Value, SizeOf, StartOf, EndOf; as JSON its value.
 *
 * A member whose computation must wait for a page of the file is returned as a Lazy thunk,
 * which the engine forces where it needs the value.
 */
import { ABSENT, GET_MEMBER, Lazy, MEMBERS, VBytes, VDict, type Absent, type HostObject, type Scope, type Value } from '../../../vql/index.ts';
import { then, type MaybePromise } from '../../../vql/eval/maybe.ts';
import { member, orNull } from '../../../vql/protocols/member.ts';
import { amount, type FieldDef, type ParseContext, type StructDef } from './profile.ts';
import { attempt } from './reader.ts';

/** A member value for the engine: a pending computation becomes a thunk. */
function expose(v: MaybePromise<Value>): Value {
  return v instanceof Promise ? new Lazy(() => v) : v;
}

/**
 * The members a struct and an array both have: their size, start and end (Velociraptor's
 * `SizeOf`/`Size`, `StartOf`/`Start`/`OffsetOf`, `EndOf`/`End`), or ABSENT for another name.
 */
function placement(name: string, start: number, size: () => MaybePromise<number>): Value | Absent {
  switch (name) {
    case 'SizeOf':
    case 'Size':
      return expose(size());
    case 'StartOf':
    case 'Start':
    case 'OffsetOf':
      return start;
    case 'EndOf':
    case 'End':
      return expose(then(size(), (s) => start + s));
    default:
      return ABSENT;
  }
}

/** The size in bytes of a parsed value (array elements are laid out back to back by it). */
export function valueSize(v: Value): MaybePromise<number> {
  if (v instanceof StructObject) return v.size();
  if (v instanceof Leb128Object) return v.length;
  if (v instanceof ArrayObject) return v.size();
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (v instanceof VBytes) return v.bytes.length;
  return 0;
}

export class StructObject implements HostObject {
  private readonly cache = new Map<string, MaybePromise<Value>>();
  private readonly busy = new Set<string>();
  private readonly cyclic = new Set<string>();
  private scope: Scope | null = null;
  private sizeValue: MaybePromise<number> | null = null;

  constructor(
    private readonly ctx: ParseContext,
    readonly def: StructDef,
    /** Absolute offset of the struct's start. */
    readonly start: number,
    readonly parent: StructObject | null,
  ) {}

  /** The scope the profile's lambdas see for this struct: the query's, plus `this`. */
  lambdaScope(): Scope {
    this.scope ??= this.ctx.scope.child(new VDict([['this', this]]));
    return this.scope;
  }

  /** The struct's size: its definition's number, or its lambda evaluated on this struct. */
  size(): MaybePromise<number> {
    if (this.sizeValue !== null) return this.sizeValue;
    const s = this.def.size;
    if (typeof s === 'number') return (this.sizeValue = s);
    const v = this.guard('size', () => amount(this.ctx, s, this, 0), 0);
    this.sizeValue = v instanceof Promise ? v.then((n) => (this.sizeValue = n)) : v;
    return this.sizeValue;
  }

  /** The value of field `name` (cached). */
  field(name: string): MaybePromise<Value> {
    if (this.cache.has(name)) return this.cache.get(name)!;
    const def = this.def.byName.get(name);
    if (!def) return null;
    const v = this.guard(name, () => then(this.fieldOffset(def), (at) => def.parser!.parse(this.ctx, at, this)), null);
    if (v instanceof Promise) {
      const p = v.then((r) => {
        this.cache.set(name, r);
        return r;
      });
      this.cache.set(name, p);
      return p;
    }
    this.cache.set(name, v);
    return v;
  }

  /** The absolute offset of a field. */
  fieldOffset(def: FieldDef): MaybePromise<number> {
    return then(amount(this.ctx, def.offset, this, 0), (rel) => this.start + rel);
  }

  /**
   * Runs a computation of this struct: waits for pages, logs an error (naming the struct
   * and the field) and gives `fallback` instead of failing, and refuses a field that
   * depends on itself.
   */
  private guard<T>(what: string, f: () => MaybePromise<T>, fallback: T): MaybePromise<T> {
    const where = what === 'size' ? `struct ${this.def.name} size` : `struct ${this.def.name} field ${what}`;
    if (this.busy.has(what)) {
      // Reading it again while computing it: the outer computation fails (logged once there).
      this.cyclic.add(what);
      return fallback;
    }
    this.busy.add(what);
    const finish = (r: T): T => {
      this.busy.delete(what);
      if (this.cyclic.delete(what)) {
        this.ctx.log(`${where} depends on itself`);
        return fallback;
      }
      return r;
    };
    const fail = (e: unknown): T => {
      this.busy.delete(what);
      this.cyclic.delete(what);
      this.ctx.log(`${where}: ${e instanceof Error ? e.message : String(e)}`);
      return fallback;
    };
    let v: MaybePromise<T>;
    try {
      v = attempt(f);
    } catch (e) {
      return fail(e);
    }
    return v instanceof Promise ? v.then(finish, fail) : finish(v);
  }

  [MEMBERS](): readonly string[] {
    return this.def.fields.filter((f) => !f.name.startsWith('__')).map((f) => f.name);
  }

  [GET_MEMBER](name: string): Value | Absent {
    if (this.def.byName.has(name)) return expose(this.field(name));
    const placed = placement(name, this.start, () => this.size());
    if (placed !== ABSENT) return placed;
    switch (name) {
      case 'ParentOf':
      case 'Parent':
        return this.parent;
      default:
        if (name.startsWith('@')) {
          const def = this.def.byName.get(name.slice(1));
          return def ? new FieldRef(this, def) : ABSENT;
        }
        return ABSENT;
    }
  }
}

/** `` x.`@Field` ``: where a field lies. */
export class FieldRef implements HostObject {
  constructor(private readonly struct: StructObject, private readonly def: FieldDef) {}

  private sizeOf(): MaybePromise<number> {
    const fixed = this.def.parser!.fixedSize;
    if (fixed !== null) return fixed;
    return then(this.struct.field(this.def.name), valueSize);
  }

  [MEMBERS](): readonly string[] {
    return ['SizeOf', 'StartOf', 'RelOffset', 'EndOf', 'RelEndOf', 'Value'];
  }

  [GET_MEMBER](name: string): Value | Absent {
    const start = () => this.struct.fieldOffset(this.def);
    switch (name) {
      case 'SizeOf':
      case 'Size':
        return expose(this.sizeOf());
      case 'StartOf':
      case 'Start':
      case 'OffsetOf':
        return expose(start());
      case 'RelOffset':
        return expose(then(start(), (s) => s - this.struct.start));
      case 'EndOf':
      case 'End':
        return expose(then(start(), (s) => then(this.sizeOf(), (n) => s + n)));
      case 'RelEndOf':
        return expose(then(start(), (s) => then(this.sizeOf(), (n) => s + n - this.struct.start)));
      case 'Value':
        return expose(this.struct.field(this.def.name));
      default:
        return ABSENT;
    }
  }
}

/**
 * A parsed Array: a JavaScript array of its elements (so foreach, indexing and JSON treat it
 * as a list) with the ArrayObject members.
 */
export class ArrayObject extends Array<Value> implements HostObject {
  /** Absolute offset of the first element. */
  start = 0;
  /** The query's scope (member access on the elements). */
  private scope: Scope | null = null;

  static make(items: Value[], start: number, scope: Scope): ArrayObject {
    const a = new ArrayObject();
    for (const x of items) a.push(x);
    a.start = start;
    a.scope = scope;
    return a;
  }

  /** `map`, `filter`... return plain arrays. */
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }

  size(): MaybePromise<number> {
    let total = 0;
    for (let i = 0; i < this.length; i++) {
      const s = valueSize(this[i]);
      if (s instanceof Promise) return this.sizeFrom(i, total);
      total += s;
    }
    return total;
  }

  private async sizeFrom(i: number, total: number): Promise<number> {
    let t = total;
    for (let k = i; k < this.length; k++) t += await valueSize(this[k]);
    return t;
  }

  [MEMBERS](): readonly string[] {
    return [];
  }

  [GET_MEMBER](name: string): Value | Absent {
    const placed = placement(name, this.start, () => this.size());
    if (placed !== ABSENT) return placed;
    switch (name) {
      case 'Value':
      case 'ContentsOf':
        return Array.from(this);
      default: {
        // Any other name is mapped over the elements.
        const out: Value[] = [];
        let pending = false;
        for (const el of this) {
          const v = member(el, name, this.scope!);
          if (v instanceof Promise) pending = true;
          out.push(v);
        }
        if (!pending) return out.filter((v) => v !== ABSENT).map(orNull);
        return new Lazy(async () => (await Promise.all(out)).filter((v) => v !== ABSENT).map(orNull));
      }
    }
  }
}

/** A leb128 / sleb128 varint. */
export class Leb128Object implements HostObject {
  constructor(readonly value: Value, readonly start: number, readonly length: number) {}

  toJSON(): unknown {
    return this.value;
  }

  [MEMBERS](): readonly string[] {
    return ['Value', 'SizeOf', 'StartOf', 'EndOf'];
  }

  [GET_MEMBER](name: string): Value | Absent {
    switch (name) {
      case 'Value':
        return this.value;
      case 'SizeOf':
      case 'Size':
        return this.length;
      case 'StartOf':
      case 'Start':
      case 'OffsetOf':
        return this.start;
      case 'EndOf':
      case 'End':
        return this.start + this.length;
      default:
        return ABSENT;
    }
  }
}
