/**
 * Caching functions: `lru(size=)` (a bounded dict for set()/get()), `memoize(query=, key=)`
 * (a lookup of a query's rows by a key column, re-run after `period` seconds) and
 * `cache(func=|lambda=, key=, name=)` (values computed once per key).
 */
import { ABSENT, GET_MEMBER, MEMBERS, openArgQuery, type Absent, type FunctionDef, type HostObject, type LazyArg, type QueryArg, type Scope, type Value } from '../../vql/index.ts';
import { asStream } from '../../vql/eval/stream.ts';
import { member } from '../../vql/protocols/member.ts';
import { lambdaArg } from './lambdas.ts';
import { textOf } from './text.ts';

/** A dict that keeps at most `size` keys, dropping the least recently used. */
export class LruCache implements HostObject {
  private readonly map = new Map<string, Value>();
  constructor(readonly size: number) {}

  set(key: string, value: Value): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.size) this.map.delete(this.map.keys().next().value!);
  }
  get(key: string): Value | Absent {
    if (!this.map.has(key)) return ABSENT;
    const v = this.map.get(key);
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }
  [MEMBERS](): readonly string[] {
    return [...this.map.keys()];
  }
  [GET_MEMBER](name: string): Value | Absent {
    return this.get(name);
  }
}

export const lru: FunctionDef = {
  name: 'lru',
  doc: 'A dict that holds at most `size` keys (least recently used dropped): fill with set(), read with get() or .Key.',
  args: { size: { type: 'int', doc: 'Maximum number of keys', default: '1000' } },
  run: ({ args }) => new LruCache(Number(args.size ?? 0) > 0 ? Number(args.size) : 1000),
};

/** A query's rows by key column, loaded on first use and again once `period` seconds pass. */
export class MemoizedQuery implements HostObject {
  private rows: Map<string, Value> | null = null;
  private loadedAt = 0;
  private loading: Promise<Map<string, Value>> | null = null;

  constructor(
    private readonly query: QueryArg,
    private readonly key: string,
    private readonly periodMs: number,
    private readonly scope: Scope,
  ) {}

  private fresh(): boolean {
    return this.rows !== null && (this.periodMs <= 0 || Date.now() - this.loadedAt < this.periodMs);
  }

  private async load(): Promise<Map<string, Value>> {
    const out = new Map<string, Value>();
    for await (const batch of asStream(openArgQuery(this.query, this.scope))) {
      for (const row of batch) {
        const k = await member(row, this.key, this.scope);
        if (k !== ABSENT && k !== null && k !== undefined) out.set(textOf(k), row);
      }
    }
    this.rows = out;
    this.loadedAt = Date.now();
    return out;
  }

  [MEMBERS](): readonly string[] {
    return this.rows ? [...this.rows.keys()] : [];
  }
  [GET_MEMBER](name: string): Value | Absent | Promise<Value | Absent> {
    if (this.fresh()) return this.rows!.has(name) ? this.rows!.get(name) : ABSENT;
    this.loading ??= this.load().finally(() => {
      this.loading = null;
    });
    return this.loading.then((rows) => (rows.has(name) ? rows.get(name) : ABSENT));
  }
}

export const memoize: FunctionDef = {
  name: 'memoize',
  doc: 'Index a query\'s rows by a key column: get(item=M, field=K) or M.K gives the row (the query runs on first use, and again after `period` seconds).',
  args: {
    query: { type: 'query', required: true, doc: 'The rows to index' },
    key: { type: 'string', required: true, doc: 'The key column' },
    period: { type: 'int', doc: 'Seconds before the rows are reloaded (0: never)', default: '0' },
  },
  run: ({ args, scope }) => new MemoizedQuery(args.query as QueryArg, args.key as string, Number(args.period ?? 0) * 1000, scope),
};

interface CacheStore {
  entries: Map<string, { value: Value; at: number }>;
  periodMs: number;
  maxSize: number;
  lambda?: string;
}

const NAMED = Symbol('host-named-caches');

function store(name: string | undefined, state: { value: unknown }, scope: Scope): CacheStore {
  const fresh = (): CacheStore => ({ entries: new Map(), periodMs: 60_000, maxSize: 1000 });
  if (name === undefined) return (state.value ??= fresh()) as CacheStore;
  let named = scope.env.context.get(NAMED) as Map<string, CacheStore> | undefined;
  if (!named) scope.env.context.set(NAMED, (named = new Map()));
  let s = named.get(name);
  if (!s) named.set(name, (s = fresh()));
  return s;
}

export const cache: FunctionDef = {
  name: 'cache',
  doc: 'Compute a value once per key and reuse it for `period` seconds: func= (an expression) or lambda= (given the key). A `name` shares the cache between call sites; a call with name and lambda but no key just defines it.',
  args: {
    func: { type: 'lazy', doc: 'The expression computing the value on a miss' },
    key: { type: 'any', doc: 'The cache key' },
    name: { type: 'string', doc: 'A cache shared by every call with this name' },
    lambda: { type: 'string', doc: 'A lambda computing the value from the key' },
    period: { type: 'int', doc: 'Seconds a value stays valid', default: '60' },
    max_size: { type: 'int', doc: 'Keys kept at most', default: '1000' },
  },
  async run({ args, scope, state }) {
    const s = store(args.name as string | undefined, state, scope);
    if (args.period !== undefined) s.periodMs = Number(args.period) * 1000;
    if (args.max_size !== undefined) s.maxSize = Math.max(1, Number(args.max_size));
    if (args.lambda !== undefined) s.lambda = String(args.lambda);
    if (args.key === undefined) return null;
    const key = textOf(args.key);
    const hit = s.entries.get(key);
    if (hit && Date.now() - hit.at < s.periodMs) return hit.value;
    let value: Value = null;
    if (args.func !== undefined) value = await (args.func as LazyArg).get();
    else if (s.lambda !== undefined) {
      const fn = lambdaArg(s.lambda, scope);
      value = fn ? await fn(scope, args.key) : null;
    }
    s.entries.delete(key);
    s.entries.set(key, { value, at: Date.now() });
    while (s.entries.size > s.maxSize) s.entries.delete(s.entries.keys().next().value!);
    return value;
  },
};
