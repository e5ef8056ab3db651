/**
 * `process_tracker(sync_query=, sync_period=, update_query=, max_size=, max_expiry=,
 * enrichments=, cache=)` (VQL-FUNCTIONS.md 7.2): installs a real process tracker as the global
 * one (tracker.ts) and returns it.
 *
 * - The sync query runs once now (a row without `id` aborts the install: `false` and the
 *   error `SyncQuery does not return correct rows`), then every `sync_period` ms (default
 *   5000), each run limited to that period. Without a sync_query the tracker polls this
 *   machine's process list itself (pslist rows as data) - a difference: Velociraptor's tracker
 *   then has no snapshots at all.
 * - The update query (an event query: start/exit rows) is followed until the tracker ends.
 * - The tracker stays installed until the query that installed it is cancelled (then the
 *   dummy comes back and `Uninstalling process tracker.` is logged) or another
 *   process_tracker() replaces it. Velociraptor also uninstalls it when that query ends
 *   normally; here it keeps answering other queries until then (its timers never keep the
 *   process alive).
 * - `cache` (a disk LRU in Velociraptor) is accepted; entries are kept in memory (logged).
 */
import { GET_MEMBER, MEMBERS, ABSENT, type Absent, type FunctionDef, type HostObject, type Scope, type Value } from '../../vql/index.ts';
import { LinkedAbort, asStream } from '../../vql/eval/stream.ts';
import { openArgQuery } from '../../vql/eval/coerce.ts';
import { linuxRows } from '../system/pslist.ts';
import { pslistPidusage } from '../system/pslist-pidusage.ts';
import { ProcessTracker, type ProcessUpdate } from './tracker.ts';
import { installTracker, isInstalled, uninstallTracker } from './global.ts';
import { readUpdate, timeMs } from './rows.ts';

const DEFAULT_PERIOD_MS = 5000;

/** The value process_tracker() returns: the tracker, opaque (its entry count is readable). */
export class TrackerHandle implements HostObject {
  constructor(readonly tracker: ProcessTracker) {}
  [MEMBERS](): readonly string[] {
    return [];
  }
  [GET_MEMBER](name: string): Value | Absent {
    return name === 'Size' ? this.tracker.size : ABSENT;
  }
  toJSON(): Record<string, Value> {
    return {};
  }
}

/** A timer that never keeps the process alive; resolves early when `signal` aborts. */
function idle(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    signal.addEventListener('abort', done, { once: true });
  });
}

/** This machine's processes as sync rows (when no sync_query is given). */
async function pslistSnapshot(scope: Scope): Promise<ProcessUpdate[]> {
  const rows = process.platform === 'linux'
    ? [...linuxRows(0, scope.signal)]
    : await pslistPidusage(0, (l, m) => scope.log(l, `process_tracker: ${m}`), process.platform);
  return rows.map((r) => ({
    id: String(r.get('Pid')),
    parentId: String(r.get('Ppid') ?? ''),
    startMs: timeMs(r.get('CreateTime')),
    endMs: null,
    data: r,
  }));
}

/** One run of the sync query, limited to `limitMs`; null when a row has no `id`. */
async function runSync(query: Value, scope: Scope, limitMs: number): Promise<ProcessUpdate[] | null> {
  if (query === undefined || query === null) return pslistSnapshot(scope);
  const limit = new LinkedAbort(scope.signal);
  const timer = setTimeout(() => limit.abort(), limitMs);
  timer.unref();
  const s = scope.withSignal(limit.signal);
  const out: ProcessUpdate[] = [];
  try {
    for await (const batch of asStream(openArgQuery(query, s))) {
      for (const row of batch) {
        const u = await readUpdate(row, s);
        if (!u) return null;
        out.push(u);
      }
    }
  } catch (e) {
    if (!limit.signal.aborted) throw e;
  } finally {
    clearTimeout(timer);
    limit.dispose();
  }
  return out;
}

/** Feeds the update query's rows to the tracker until `signal` aborts. */
async function followUpdates(query: Value, scope: Scope, tracker: ProcessTracker): Promise<void> {
  try {
    for await (const batch of asStream(openArgQuery(query, scope))) {
      for (const row of batch) {
        const u = await readUpdate(row, scope);
        if (u) tracker.update(u);
      }
      if (scope.signal.aborted) return;
    }
  } catch (e) {
    if (!scope.signal.aborted) scope.log('error', `process_tracker: argument update_query: ${(e as Error).message}`);
  }
}

export const processTracker: FunctionDef = {
  name: 'process_tracker',
  doc:
    'Install a process tracker: it remembers every process it sees (ids <pid>-<start seconds>), including after the process ' +
    'ends (EndTime), for process_tracker_get/_callchain/_tree/_children/_pslist/_updates. Fed by sync_query snapshots ' +
    '(default: this machine\'s process list) every sync_period ms and by update_query events.',
  args: {
    sync_query: { type: 'query', doc: 'Snapshot rows: id, parent_id, start_time, end_time, data (default: pslist of this machine)' },
    sync_period: { type: 'int', doc: 'Milliseconds between snapshots (also each snapshot\'s time limit)', default: '5000' },
    update_query: { type: 'query', doc: 'Event rows: id, parent_id, update_type (start or exit), start_time, end_time, data' },
    max_size: { type: 'int', doc: 'Entries (and pid links) kept', default: '10000' },
    max_expiry: { type: 'int', doc: 'Seconds an entry is kept after its last use', default: '86400' },
    enrichments: { type: 'strings', doc: 'Lambdas called with an entry by get and tree: a dict result is merged into Data' },
    cache: { type: 'string', doc: 'A disk cache file in Velociraptor; accepted, entries are kept in memory here' },
  },
  onArgError: false,
  async run(call) {
    const { args, scope } = call;
    const period = Number(args.sync_period ?? 0) > 0 ? Number(args.sync_period) : DEFAULT_PERIOD_MS;
    if (typeof args.cache === 'string' && args.cache !== '') call.log('warn', 'argument cache: a disk cache is not supported; entries are kept in memory');
    const tracker = new ProcessTracker({
      maxSize: Number(args.max_size ?? 0),
      maxExpiry: Number(args.max_expiry ?? 0),
      enrichments: (args.enrichments as string[] | undefined) ?? [],
    });
    let first: ProcessUpdate[] | null;
    try {
      first = await runSync(args.sync_query, scope, period);
    } catch (e) {
      call.log('error', `argument sync_query: ${(e as Error).message}`);
      return false;
    }
    if (first === null) {
      call.log('error', 'argument sync_query: SyncQuery does not return correct rows (each row needs an id column)');
      return false;
    }
    tracker.sync(first);
    installTracker(tracker);
    const life = new LinkedAbort(scope.signal);
    const lifeScope = scope.withSignal(life.signal);
    const end = () => {
      if (uninstallTracker(tracker)) scope.log('info', 'process_tracker: Uninstalling process tracker.');
      tracker.closeReaders();
    };
    life.signal.addEventListener('abort', end, { once: true });
    void (async () => {
      while (!life.signal.aborted) {
        await idle(period, life.signal);
        if (life.signal.aborted) return;
        // Replaced by another process_tracker(): stop polling.
        if (!isInstalled(tracker)) return life.abort();
        try {
          const rows = await runSync(args.sync_query, lifeScope, period);
          if (rows) tracker.sync(rows);
          else scope.log('warn', 'process_tracker: argument sync_query: a row without id: this snapshot is skipped');
        } catch (e) {
          if (!life.signal.aborted) scope.log('warn', `process_tracker: argument sync_query: ${(e as Error).message}`);
        }
      }
    })();
    if (args.update_query !== undefined && args.update_query !== null) void followUpdates(args.update_query, lifeScope, tracker);
    return new TrackerHandle(tracker);
  },
};
