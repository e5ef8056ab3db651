/**
 * What this thread's engine did lately: the queries it runs and ran, and its last log lines,
 * in small bounded rings (Velociraptor's QueryLog and in-memory logs). Sessions feed them
 * (session.ts); `profile(queries=TRUE)` and `profile(logs=TRUE)` read them to show what the
 * process is busy with. Process-wide on purpose, like Velociraptor's: a profile query must see
 * the other queries of the process. Each worker thread has its own (module state is per thread).
 *
 * Cheap enough for every statement: one object and one array slot per query, the query text is
 * formatted only when read.
 */
import type { Statement } from '../ast/nodes.ts';
import { formatStatement } from '../ast/format.ts';
import type { LogLevel, Logger } from './scope.ts';

/** How many finished queries and log lines are kept. */
export const RECENT_QUERIES = 100;
export const RECENT_LOG_LINES = 200;
/** At most this many queries are listed as running (the oldest are forgotten past it). */
const MAX_RUNNING = 1000;

/** One query: running while `durationNs` is 0. */
export interface QueryLogEntry {
  /** When it started, ms since the epoch. */
  readonly startMs: number;
  /** Its run time in nanoseconds once finished; 0 while running (as Velociraptor's). */
  durationNs: number;
  readonly statement: Statement;
}

/** A fixed-size ring: the last `size` items, oldest first. */
class Ring<T> {
  private readonly items: T[] = [];
  private next = 0;
  constructor(private readonly size: number) {}
  push(item: T): void {
    if (this.items.length < this.size) this.items.push(item);
    else this.items[this.next] = item;
    this.next = (this.next + 1) % this.size;
  }
  list(): T[] {
    if (this.items.length < this.size) return this.items.slice();
    return [...this.items.slice(this.next), ...this.items.slice(0, this.next)];
  }
}

const running = new Set<QueryLogEntry & { readonly started: bigint }>();
const finished = new Ring<QueryLogEntry>(RECENT_QUERIES);
const lines = new Ring<string>(RECENT_LOG_LINES);
const totals = { queries: 0, logLines: 0 };

/** Records a query starting; call the returned function when it ends (however it ends). */
export function queryStarted(statement: Statement): () => void {
  const entry = { startMs: Date.now(), durationNs: 0, statement, started: process.hrtime.bigint() };
  // A query whose consumer dropped it without closing it never ends: do not keep those forever.
  if (running.size >= MAX_RUNNING) running.delete(running.values().next().value!);
  running.add(entry);
  totals.queries++;
  return () => {
    if (!running.delete(entry)) return;
    // At least 1 ns: 0 means "still running".
    entry.durationNs = Math.max(1, Number(process.hrtime.bigint() - entry.started));
    finished.push(entry);
  };
}

/** The last finished queries then the running ones, each ordered by start. */
export function recentQueries(): QueryLogEntry[] {
  const now = [...running].sort((a, b) => a.startMs - b.startMs);
  return [...finished.list(), ...now];
}

/** The text of a query, as Velociraptor logs it (formatted from the parsed statement). */
export function queryText(entry: QueryLogEntry): string {
  return formatStatement(entry.statement);
}

/** How many queries are running now, and totals since the thread started. */
export function queryCounts(): { running: number; total: number; logLines: number } {
  return { running: running.size, total: totals.queries, logLines: totals.logLines };
}

/** Keeps a log line: `[LEVEL] <RFC 3339 time> message`, as Velociraptor's memory log. */
export function recordLogLine(level: LogLevel, message: string): void {
  totals.logLines++;
  lines.push(`[${level.toUpperCase()}] ${new Date().toISOString()} ${message}`);
}

/** The last log lines, oldest first. */
export function recentLogLines(): string[] {
  return lines.list();
}

const TEED = Symbol('recent.teed');

/** Teed loggers running now: a line passed on from one to another is kept once. */
let teeDepth = 0;

/**
 * `log` that also keeps each line in the ring. Once per line: a logger already teed is returned
 * as is, and a line that reaches a teed logger through another (an Artifact.X() call's session
 * logs through its caller's scope) is kept by the first only.
 */
export function teeLogger(log: Logger): Logger {
  if ((log as { [TEED]?: boolean })[TEED]) return log;
  const teed: Logger = (level, message) => {
    if (teeDepth === 0) recordLogLine(level, message);
    teeDepth++;
    try {
      log(level, message);
    } finally {
      teeDepth--;
    }
  };
  (teed as { [TEED]?: boolean })[TEED] = true;
  return teed;
}
