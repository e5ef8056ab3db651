/**
 * Plugins over queries: `switch`, `column_filter`, `batch`, `query`, `delay`, `combine`,
 * `sample`, `dedup`.
 */
import { ABSENT, VDict, Session, parseScript, formatError, abortableSleep, openArgQuery, toJSON, truthy, type PluginDef, type Scope, type Value } from '../../vql/index.ts';
import { Channel, LinkedAbort, asStream, type RowStream } from '../../vql/eval/stream.ts';
import { cachedRegex } from '../../vql/protocols/regex.ts';
import type { Regex } from '../../vql/regex/engine.ts';
import { memberEntries } from './collections.ts';
import { lambdaArg } from './lambdas.ts';

/** The rows of a query-like argument as a stream of batches. */
function rowsOf(v: Value, scope: Scope): RowStream {
  return asStream(openArgQuery(v, scope));
}

export const switchPlugin: PluginDef = {
  name: 'switch',
  doc: 'Run the query arguments in the order written and return the rows of the first one that has any.',
  args: {},
  freeArgs: true,
  batched: true,
  async *run({ args, scope, signal }) {
    for (const key of Object.keys(args)) {
      if (signal.aborted) return;
      let found = false;
      for await (const batch of rowsOf(args[key], scope.child(null))) {
        if (batch.length === 0) continue;
        found = true;
        yield batch;
      }
      if (found) return;
    }
  },
};

export const columnFilter: PluginDef = {
  name: 'column_filter',
  doc: 'Keep the columns whose names match an `include` regex (default: all) and no `exclude` regex.',
  args: {
    query: { type: 'query', required: true, doc: 'The rows to filter' },
    include: { type: 'strings', doc: 'Regexes of columns to keep' },
    exclude: { type: 'strings', doc: 'Regexes of columns to drop' },
  },
  batched: true,
  async *run({ args, scope }) {
    const compile = (list: Value) => ((list as string[] | undefined) ?? []).map((p) => cachedRegex(p, scope, { callee: 'column_filter' })).filter((r): r is Regex => r !== null);
    const include = compile(args.include);
    const exclude = compile(args.exclude);
    const keep = (name: string) => (include.length === 0 || include.some((r) => r.test(name))) && !exclude.some((r) => r.test(name));
    for await (const batch of rowsOf(args.query, scope)) {
      yield batch.map((row) => new VDict((memberEntries(row) ?? []).filter(([k]) => keep(k))));
    }
  },
};

export const batch: PluginDef = {
  name: 'batch',
  doc: 'Group rows into batches: each output row is {rows: [...]}, with at most `batch_size` rows; a batch also ends after a row for which `batch_func` is true.',
  args: {
    query: { type: 'query', required: true, doc: 'The rows to group' },
    batch_size: { type: 'int', doc: 'Rows per batch at most', default: '10' },
    batch_func: { type: 'string', doc: 'A lambda given each row: TRUE ends the batch after it' },
  },
  async *run({ args, scope }) {
    const size = Number(args.batch_size ?? 0) > 0 ? Number(args.batch_size) : 10;
    const fn = args.batch_func !== undefined ? lambdaArg(String(args.batch_func), scope) : null;
    let rows: Value[] = [];
    for await (const b of rowsOf(args.query, scope)) {
      for (const row of b) {
        rows.push(row);
        if (rows.length >= size || (fn && (await truthy(await fn(scope, row), scope)))) {
          yield new VDict([['rows', rows]]);
          rows = [];
        }
      }
    }
    if (rows.length) yield new VDict([['rows', rows]]);
  },
};

/**
 * Runs VQL text in a child session: a fresh scope (the registry, `env` and the `copy_env`
 * variables only), or one that sees the caller's variables with `inherit`.
 */
async function* runText(text: string, vars: VDict, inherit: boolean, scope: Scope, signal: AbortSignal): RowStream {
  let statements;
  try {
    statements = parseScript(text).statements;
  } catch (e) {
    scope.log('error', `query: ${formatError(e as Error)}`);
    return;
  }
  const session = new Session({ registry: scope.env.registry, layers: inherit ? [scope] : [], vars, signal, log: scope.env.log, mocks: scope.env.mocks });
  for await (const { rows } of session.executeAll(statements)) yield rows;
}

/** `env` plus the caller's variables named in `copy_env`. */
async function subqueryVars(env: Value, copy: Value, scope: Scope): Promise<VDict> {
  const vars = env instanceof VDict ? new VDict(env.entries()) : new VDict();
  for (const name of Array.isArray(copy) ? copy : typeof copy === 'string' ? [copy] : []) {
    const v = await scope.lookup(String(name));
    if (v !== ABSENT) vars.setInPlace(String(name), v as Value);
  }
  return vars;
}

/**
 * `query()` (VQL-FUNCTIONS.md 5.2). VQL text runs in a fresh scope unless `inherit`; a stored
 * query (`{ SELECT ... }`) is evaluated where it was defined, with `env` added. `timeout`
 * (whole seconds, as Velociraptor truncates it) and `progress_timeout` (no row for that long)
 * end the rows without an error row.
 */
export const queryPlugin: PluginDef = {
  name: 'query',
  doc: 'Run a query (VQL text, in a fresh scope unless inherit, or a stored query) with `env` and `copy_env` variables; stop before the first row for which the `exit` lambda is true, or after `timeout` seconds.',
  args: {
    query: { type: 'any', required: true, doc: 'VQL text, or a query' },
    env: { type: 'any', doc: 'A dict of variables for the query' },
    copy_env: { type: 'strings', doc: "Names of the caller's variables to copy into the query's scope" },
    exit: { type: 'string', doc: 'A lambda given each row: TRUE stops the query (that row is not emitted)' },
    inherit: { type: 'bool', doc: "VQL text sees a copy of the caller's scope instead of a fresh one" },
    timeout: { type: 'float', doc: 'Stop the query after this many seconds (fractions are dropped, as in Velociraptor)' },
    progress_timeout: { type: 'float', doc: 'Stop the query when no row has come for this many seconds' },
    cpu_limit: { type: 'float', doc: 'Accepted for compatibility; not enforced here' },
    iops_limit: { type: 'float', doc: 'Accepted for compatibility; not enforced here' },
    org_id: { type: 'string', doc: 'Accepted for compatibility (one org here)' },
    runas: { type: 'string', doc: 'Not supported here (a server feature): the query is refused' },
  },
  batched: true,
  async *run({ args, scope, signal }) {
    if (args.runas !== undefined && args.runas !== '') {
      scope.log('error', 'query: runas is a Velociraptor server feature; it is not supported here');
      return;
    }
    const fn = args.exit !== undefined ? lambdaArg(String(args.exit), scope) : null;
    const q = args.query;
    const link = new LinkedAbort(signal);
    const timers: NodeJS.Timeout[] = [];
    if (args.timeout !== undefined && args.timeout !== null) timers.push(setTimeout(() => link.abort(), Math.trunc(Number(args.timeout)) * 1000));
    const idleMs = Number(args.progress_timeout ?? 0) * 1000;
    let idle: NodeJS.Timeout | undefined;
    const progress = () => {
      if (idleMs <= 0) return;
      clearTimeout(idle);
      idle = setTimeout(() => {
        scope.log('warn', `query: no row for ${idleMs / 1000} s (progress_timeout): stopped`);
        link.abort();
      }, idleMs);
    };
    try {
      progress();
      let src: RowStream;
      if (typeof q === 'string') {
        src = runText(q, await subqueryVars(args.env, args.copy_env, scope), args.inherit === true, scope, link.signal);
      } else {
        const env = args.env instanceof VDict ? args.env : undefined;
        src = rowsOf(q, (env ? scope.child(env) : scope).withSignal(link.signal));
      }
      for await (const b of src) {
        if (link.signal.aborted) return;
        progress();
        if (!fn) {
          yield b;
          continue;
        }
        const out: Value[] = [];
        for (const row of b) {
          if (await truthy(await fn(scope, row), scope)) {
            if (out.length) yield out;
            return;
          }
          out.push(row);
        }
        yield out;
      }
    } finally {
      for (const t of timers) clearTimeout(t);
      clearTimeout(idle);
      link.abort();
    }
  },
};

export const delay: PluginDef = {
  name: 'delay',
  doc: 'Pass the rows of a query through, each held back `delay` seconds after it arrived.',
  args: {
    query: { type: 'query', required: true, doc: 'The rows' },
    delay: { type: 'float', required: true, doc: 'Seconds to hold each row' },
  },
  async *run({ args, scope, signal }) {
    const ms = Number(args.delay) * 1000;
    const link = new LinkedAbort(signal);
    const queue = new Channel<{ row: Value; due: number }>(1000);
    const reader = (async () => {
      for await (const b of rowsOf(args.query, scope.withSignal(link.signal))) {
        for (const row of b) await queue.push({ row, due: Date.now() + ms });
      }
    })().then(() => queue.close(), (e) => queue.close(e));
    try {
      for await (const items of queue.drain()) {
        for (const { row, due } of items) {
          if (!(await abortableSleep(due - Date.now(), signal))) return;
          yield row;
        }
      }
    } finally {
      link.abort();
      await reader;
    }
  },
};

export const combine: PluginDef = {
  name: 'combine',
  doc: 'Run every query argument at the same time and merge their rows (in arrival order).',
  args: {},
  freeArgs: true,
  batched: true,
  async *run({ args, scope, signal }) {
    const link = new LinkedAbort(signal);
    const out = new Channel<Value[]>(16);
    const child = scope.child(null).withSignal(link.signal);
    const all = Promise.all(
      Object.keys(args).map(async (k) => {
        for await (const b of rowsOf(args[k], child)) await out.push(b);
      }),
    ).then(() => out.close(), (e) => out.close(e));
    try {
      for await (const batches of out.drain()) yield batches.flat();
      await all;
    } finally {
      link.abort();
    }
  },
};

export const sample: PluginDef = {
  name: 'sample',
  doc: 'Pass every n-th row of a query through (rows n, 2n, 3n...), to thin out a busy event query.',
  args: {
    query: { type: 'query', required: true, doc: 'The rows' },
    n: { type: 'int', required: true, doc: 'Keep one row in n' },
  },
  batched: true,
  async *run({ args, scope, log }) {
    const n = Number(args.n);
    if (!(n >= 1)) {
      log('error', `argument n: must be 1 or more (got ${String(args.n)})`);
      return;
    }
    let seen = 0;
    for await (const b of rowsOf(args.query, scope)) {
      const kept = b.filter(() => ++seen % n === 0);
      if (kept.length) yield kept;
    }
  },
};

/** Key values seen, each until it expires; the oldest go first when `size` is reached. */
class SeenKeys {
  private readonly until = new Map<string, number>();
  constructor(private readonly ttlMs: number, private readonly size: number) {}
  /** Whether `key` was seen within the timeout; marks it seen now either way. */
  check(key: string, now: number): boolean {
    const until = this.until.get(key);
    const fresh = until !== undefined && until > now;
    this.until.delete(key);
    this.until.set(key, now + this.ttlMs);
    if (this.until.size > this.size) this.until.delete(this.until.keys().next().value!);
    return fresh;
  }
}

export const dedup: PluginDef = {
  name: 'dedup',
  doc: 'Pass a query\'s rows through, dropping a row whose `key` column was seen within the last `timeout` seconds.',
  args: {
    query: { type: 'query', required: true, doc: 'The rows' },
    key: { type: 'string', required: true, doc: 'The column whose value identifies a duplicate' },
    timeout: { type: 'float', doc: 'Seconds a key value is remembered', default: '60' },
    size: { type: 'int', doc: 'Key values remembered at most (the oldest are forgotten first)', default: '10000' },
  },
  batched: true,
  async *run({ args, scope }) {
    const key = String(args.key);
    const seen = new SeenKeys(Number(args.timeout ?? 60) * 1000, Number(args.size ?? 0) > 0 ? Number(args.size) : 10000);
    for await (const b of rowsOf(args.query, scope)) {
      const now = Date.now();
      const kept = b.filter((row) => {
        const v = (memberEntries(row) ?? []).find(([k]) => k === key)?.[1];
        return !seen.check(toJSON(v ?? null), now);
      });
      if (kept.length) yield kept;
    }
  },
};

export const queryPlugins: readonly PluginDef[] = [switchPlugin, columnFilter, batch, queryPlugin, delay, combine, sample, dedup];
