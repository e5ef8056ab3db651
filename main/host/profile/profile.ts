/**
 * `profile(allocs, block, goroutine, heap, mutex, profile, trace, logs, queries, metrics,
 * debug, duration, type)`: diagnostics of this engine's own process, as Velociraptor's profile()
 * gives a client's (vql/tools/profile.go). One or more rows per profile asked for, in the order
 * of the arguments:
 * - file profiles, `{Type, OSPath}` with OSPath a file in the run's temp folder (removed when the
 *   run ends; artifacts upload() it): `allocs`, `goroutine`, `heap`, `profile` (CPU), `trace`,
 *   the Node.js counterparts described in captures.ts;
 * - `block` and `mutex` have no Node.js counterpart: no row, one log line saying why;
 * - `logs`: `{Type: "logs", Line}`, one per recent log line of this thread's queries;
 * - `queries`: `{Type: "queries", Line: {Start, Duration, Query}}`, the last finished queries
 *   and the running ones (Duration in ns, 0 while running);
 * - `metrics`: `{Type: "metrics", Line: {name, value}}`, one per metric (metrics.ts).
 * `type=REGEX` (case-insensitive) also selects, by name, the profiles that are snapshots taken
 * at once: goroutine, logs, queries, metrics. Timed and heavy captures (allocs, heap, profile,
 * trace) run only when their own argument asks, so `profile(type='.+')` stays quick.
 */
import type { PluginDef, Scope } from '../../vql/index.ts';
import { VDict, VTime } from '../../vql/index.ts';
import { compileRegex } from '../../vql/regex/engine.ts';
import { queryText, recentLogLines, recentQueries } from '../../vql/eval/recent.ts';
import { CAPTURES, type CaptureContext } from './captures.ts';
import { processMetrics } from './metrics.ts';

/** Every profile name, in the order rows come out. */
export const PROFILE_NAMES = ['allocs', 'block', 'goroutine', 'heap', 'mutex', 'profile', 'trace', 'logs', 'queries', 'metrics'] as const;
/** The ones `type=` selects: snapshots, quick to take. */
export const TYPE_SELECTABLE: ReadonlySet<string> = new Set(['goroutine', 'logs', 'queries', 'metrics']);

const NO_EQUIVALENT: Readonly<Record<string, string>> = {
  block:
    "Go's blocking profile has no Node.js counterpart (JavaScript does not block on locks or channels; " +
    'event loop stalls show in profile(metrics=TRUE) as nodejs_eventloop_lag_seconds and in the trace)',
  mutex: "Go's mutex contention profile has no Node.js counterpart (JavaScript has no mutexes)",
};

const DEFAULT_DURATION = 30;

/** The profile names asked for, by flag or by `type`; null (after a log line) for a bad regex. */
function wanted(args: Record<string, unknown>, log: (m: string) => void): string[] | null {
  let re: { test(s: string): boolean } | null = null;
  if (typeof args.type === 'string' && args.type !== '') {
    try {
      re = compileRegex(args.type, true);
    } catch (e) {
      log(`type: invalid regex ${JSON.stringify(args.type)}: ${(e as Error).message}`);
      return null;
    }
  }
  return PROFILE_NAMES.filter((n) => args[n] === true || (re !== null && TYPE_SELECTABLE.has(n) && re.test(n)));
}

function lineRow(type: string, line: unknown): VDict {
  return new VDict([
    ['Type', type],
    ['Line', line],
  ]);
}

function queryRows(): VDict[] {
  return recentQueries().map((q) =>
    lineRow(
      'queries',
      new VDict([
        ['Start', VTime.fromMillis(q.startMs)],
        ['Duration', q.durationNs],
        ['Query', queryText(q)],
      ]),
    ),
  );
}

async function metricRows(): Promise<VDict[]> {
  return (await processMetrics()).map(([name, value]) =>
    lineRow(
      'metrics',
      new VDict([
        ['name', name],
        ['value', value],
      ]),
    ),
  );
}

/** The rows of one profile (empty when it has none, or was cancelled). */
async function rowsOf(name: string, c: CaptureContext): Promise<VDict[]> {
  if (name === 'logs') return recentLogLines().map((l) => lineRow('logs', l));
  if (name === 'queries') return queryRows();
  if (name === 'metrics') return metricRows();
  const why = NO_EQUIVALENT[name];
  if (why) {
    c.log('info', `${name}: ${why}: no row`);
    return [];
  }
  const path = await CAPTURES[name]!(c);
  return path === null
    ? []
    : [
        new VDict([
          ['Type', name],
          ['OSPath', path],
        ]),
      ];
}

function context(scope: Scope, signal: AbortSignal, args: Record<string, unknown>, log: CaptureContext['log']): CaptureContext {
  const duration = Number(args.duration ?? 0);
  return {
    scope,
    signal,
    duration: duration > 0 ? duration : DEFAULT_DURATION,
    debug: Number(args.debug ?? 1),
    log,
  };
}

export const profile: PluginDef = {
  name: 'profile',
  doc:
    "Diagnostics of this engine's process, as Velociraptor's profile(): per profile asked for, a row {Type, OSPath} " +
    '(a file: allocs = V8 sampling heap profile, goroutine = text dump of running queries and resources, ' +
    'heap = V8 heap snapshot, profile = V8 CPU profile, trace = Chrome trace events) or rows {Type, Line} ' +
    '(logs, queries {Start, Duration ns, Query}, metrics {name, value}). block and mutex have no Node.js counterpart.',
  args: {
    allocs: { type: 'bool', doc: 'A V8 sampling heap profile of all allocations during 1 s (.heapprofile file)' },
    block: { type: 'bool', doc: 'Go blocking profile: no Node.js counterpart (logged, no row)' },
    goroutine: { type: 'bool', doc: 'A text dump of the running queries, active libuv resources and the current stack' },
    heap: { type: 'bool', doc: 'A V8 heap snapshot (.heapsnapshot file; pauses the engine while written)' },
    mutex: { type: 'bool', doc: 'Go mutex profile: no Node.js counterpart (logged, no row)' },
    profile: { type: 'bool', doc: 'A V8 CPU profile over `duration` seconds (.cpuprofile file)' },
    trace: { type: 'bool', doc: 'Node trace events of the process over `duration` seconds (Chrome trace JSON)' },
    logs: { type: 'bool', doc: 'The recent log lines of this thread\'s queries (last 200)' },
    queries: { type: 'bool', doc: 'The recent (last 100) and running queries: Line.Start, Line.Duration (ns, 0 while running), Line.Query' },
    metrics: { type: 'bool', doc: 'Process metrics, one row per metric: Line.name, Line.value' },
    debug: { type: 'int', doc: 'Detail of the goroutine dump: 2 prints whole query texts', default: '1' },
    duration: { type: 'int', doc: 'Seconds the CPU profile and the trace run', default: '30' },
    type: { type: 'string', doc: 'A regex of profile names to add (goroutine, logs, queries, metrics)' },
  },
  async *run({ scope, args, signal, log }) {
    const names = wanted(args, (m) => log('error', m));
    if (!names) return;
    const c = context(scope, signal, args, log);
    for (const name of names) {
      if (signal.aborted) return;
      let rows: VDict[];
      try {
        rows = await rowsOf(name, c);
      } catch (e) {
        log('error', `${name}: ${(e as Error).message}`);
        continue;
      }
      if (signal.aborted) return;
      for (const r of rows) yield r;
    }
  },
};
