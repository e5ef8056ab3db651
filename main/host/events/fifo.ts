/**
 * `fifo(query=, max_rows=, max_age=, flush=)` (Velociraptor's vql/tools/fifo.go; not in
 * VQL-FUNCTIONS.md, behaviour from its documentation): the first call starts `query` in the
 * background for the rest of the whole query (it is usually an event query such as
 * watch_syslog) and keeps its latest rows; every call - the first included - returns the rows
 * kept at that moment without running the query again. `max_rows` (default 1000) and
 * `max_age` (seconds; 0: no limit) bound what is kept; `flush` empties the cache after the call.
 * Linux.Events.SSHBruteforce uses it to remember recent failed logins.
 *
 * The cache belongs to the query value (the LET that names it) within one session, as
 * Velociraptor keys it on the query in the root scope.
 */
import type { PluginDef, Scope, Value } from '../../vql/index.ts';
import { QueryArg, openArgQuery } from '../../vql/eval/coerce.ts';
import { asStream } from '../../vql/eval/stream.ts';
import { normalizeRow } from '../../vql/eval/normalize.ts';

const FIFOS = Symbol('fifo-caches');
const DEFAULT_MAX_ROWS = 1000;

interface Fifo {
  rows: Array<{ at: number; row: Value }>;
}

/** The session's root scope: its signal ends with the whole query, not with one statement. */
function rootScope(scope: Scope): Scope {
  let s = scope;
  while (s.parent) s = s.parent;
  return s;
}

export const fifo: PluginDef = {
  name: 'fifo',
  doc:
    'Run a query in the background (from the first call on) and return its most recent rows at each call, without running it ' +
    'again: a cache of the last max_rows rows younger than max_age seconds.',
  args: {
    query: { type: 'query', required: true, doc: 'The source of the cached rows (usually an event query)' },
    max_age: { type: 'int', doc: 'Seconds a row is kept (0: no limit)', default: '0' },
    max_rows: { type: 'int', doc: 'Rows kept', default: '1000' },
    flush: { type: 'bool', doc: 'Empty the cache after this call' },
  },
  *run({ args, scope }) {
    const maxRows = Number(args.max_rows ?? 0) > 0 ? Number(args.max_rows) : DEFAULT_MAX_ROWS;
    const maxAgeMs = Number(args.max_age ?? 0) > 0 ? Number(args.max_age) * 1000 : 0;
    const key = args.query instanceof QueryArg ? args.query.value : args.query;
    let caches = scope.env.context.get(FIFOS) as Map<unknown, Fifo> | undefined;
    if (!caches) scope.env.context.set(FIFOS, (caches = new Map()));
    let f = caches.get(key);
    if (!f) {
      const cache: Fifo = { rows: [] };
      f = cache;
      caches.set(key, cache);
      const root = rootScope(scope);
      const bg = scope.withSignal(root.signal);
      void (async () => {
        try {
          for await (const batch of asStream(openArgQuery(args.query, bg))) {
            for (const r of batch) {
              cache.rows.push({ at: Date.now(), row: await normalizeRow(r, bg) });
              if (cache.rows.length > maxRows) cache.rows.splice(0, cache.rows.length - maxRows);
            }
            if (root.signal.aborted) return;
          }
        } catch (e) {
          if (!root.signal.aborted) scope.log('error', `fifo: argument query: ${(e as Error).message}`);
        }
      })();
    }
    const now = Date.now();
    if (maxAgeMs) f.rows = f.rows.filter((r) => now - r.at <= maxAgeMs);
    const out = f.rows.map((r) => r.row);
    if (args.flush === true) f.rows = [];
    yield* out;
  },
};
