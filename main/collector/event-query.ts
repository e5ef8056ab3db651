/**
 * One supervised event query: runs an event artifact forever, batches its rows to the store
 * (at least every `maxWaitMs`), restarts it with exponential backoff when it fails, and
 * applies its rows-per-second budget. The consumer never pulls more rows than it can write:
 * a producer faster than the disk is back-pressured, so memory stays bounded and no row is
 * dropped.
 *
 * Isolated (the collector's default), each run has a worker thread of its own (a stream job,
 * main/app/stream-thread.ts): one query stuck in a long synchronous step then holds only its
 * own thread, while this one goes on writing the others' rows, flushing and checking budgets.
 * A worker not heard from for `watchdogMs`, or out of its heap limit, is terminated; the log
 * says which limit fired, and the query restarts after its backoff. Rows cross the thread as
 * row-wire values, so the CSV cells (and JSON lines) are the same as when the query runs on this thread.
 */
import { LinkedAbort, abortableSleep, type LogLevel, type Registry, type VDict, type Value } from '../vql/index.ts';
import { runArtifact, type LoadedArtifact, type Repository } from '../artifacts/index.ts';
import { StreamThread } from '../app/stream-thread.ts';
import type { WorkerEntry } from '../app/worker-script.ts';
import type { DayStore } from './day-store.ts';
import type { MonitorLog } from './monitor-log.ts';
import type { ToolsConfig } from '../artifacts/tools.ts';

export type QueryState = 'starting' | 'running' | 'paused' | 'backoff' | 'stopped';

/** How an isolated query's worker is made and watched. */
export interface QueryIsolation {
  /** The query worker script (main/app/worker-script.ts). */
  readonly entry: WorkerEntry;
  /** The worker's artifact folders (its repository resolves imports and Artifact.X() calls). */
  readonly definitions: readonly string[];
  readonly allowExecve: boolean;
  /** Modules adding plugins to the worker's engine (main/app/stream-job.ts). */
  readonly pluginModules?: readonly string[];
  /** Where artifacts' tools and local state are (the collector's datastore: main/artifacts/tools.ts). */
  readonly tools?: ToolsConfig;
  /** A worker not heard from for this long (ms) is terminated, and the query restarted. */
  readonly watchdogMs: number;
  /** The worker's heap limit (MB); a worker that runs out is terminated, and the query restarted. */
  readonly memoryMb: number;
  /** How long a stopped query may take to end before its worker is terminated (default 1000 ms). */
  readonly stopMs?: number;
}

/** A run ended by a limit of its worker; already logged. */
class WorkerLimitError extends Error {}

export interface EventQueryOptions {
  readonly repo: Repository;
  readonly registry: Registry;
  readonly store: DayStore;
  readonly log: MonitorLog;
  /** Rows are written at least this often (ms). */
  readonly maxWaitMs: number;
  /** A batch is written as soon as it has this many rows. */
  readonly batchRows: number;
  /** Rows per second this query may produce before it is paused (its budget). */
  readonly maxRowsPerSecond: number;
  /** Rows received, before they are written (live views subscribe here). */
  readonly onRows: (artifact: string, rows: VDict[]) => void;
  readonly now: () => Date;
  /** Run each run on a worker thread of its own; on this thread when absent. */
  readonly isolation?: QueryIsolation;
}

const MIN_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 5 * 60_000;
/** A run that lasted this long resets the backoff. */
const HEALTHY_MS = 60_000;

export class EventQuery {
  state: QueryState = 'starting';
  rowsWritten = 0;
  rowsReceived = 0;
  restarts = 0;
  lastError: string | null = null;
  /** Rows received in the current one-second window (for the rows/s budget and CPU attribution). */
  windowRows = 0;
  private windowStart = Date.now();
  private readonly stopper: AbortController = new AbortController();
  private pauseUntil = 0;
  private pending = new Map<string, VDict[]>();
  private pendingCount = 0;
  private flushing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private done: Promise<void> | null = null;
  private run: LinkedAbort | null = null;
  private thread: StreamThread | null = null;
  /** CPU time of the workers of finished runs (ms). */
  private cpuOfEndedRuns = 0;

  constructor(
    readonly loaded: LoadedArtifact,
    readonly params: ReadonlyMap<string, Value>,
    private readonly opts: EventQueryOptions,
  ) {}

  get name(): string {
    return this.loaded.artifact.name;
  }

  /** Starts the supervision loop. */
  start(): void {
    this.done = this.supervise();
  }

  /** Stops the query and writes what it had received. */
  async stop(): Promise<void> {
    this.stopper.abort();
    this.run?.abort();
    await this.done;
    this.state = 'stopped';
  }

  /** Pauses the query (it stops pulling rows) for `ms` milliseconds. */
  pause(ms: number): void {
    this.pauseUntil = Math.max(this.pauseUntil, Date.now() + ms);
    this.thread?.pause(ms);
  }

  /**
   * CPU time (ms) the query's worker threads have used, all runs together, as of their last
   * heartbeats; undefined when the query runs on this thread (only the process is measured).
   */
  cpuMs(): number | undefined {
    if (!this.opts.isolation) return undefined;
    return this.cpuOfEndedRuns + (this.thread?.cpuMs ?? 0);
  }

  /** Heap in use by the running worker (bytes, last heartbeat); undefined when not isolated or not known yet. */
  heapUsed(): number | undefined {
    return this.thread?.heapUsed;
  }

  /** Stops the current run; the supervisor restarts it after the backoff. */
  kill(reason: string): void {
    this.lastError = reason;
    this.run?.abort();
  }

  private async supervise(): Promise<void> {
    let backoff = MIN_BACKOFF_MS;
    const log = this.opts.log;
    while (!this.stopper.signal.aborted) {
      const started = Date.now();
      this.state = 'running';
      try {
        await this.runOnce();
        if (!this.stopper.signal.aborted) {
          log.write('warn', 'query', `${this.name} ended by itself; restarting it (event queries should run forever)`, { artifact: this.name });
        }
      } catch (e) {
        this.lastError = (e as Error).message;
        if (!(e instanceof WorkerLimitError)) log.write('error', 'error', `${this.name} failed: ${this.lastError}`, { artifact: this.name });
      }
      await this.flushAll();
      if (this.stopper.signal.aborted) break;
      if (Date.now() - started > HEALTHY_MS) backoff = MIN_BACKOFF_MS;
      this.state = 'backoff';
      this.restarts++;
      log.write('info', 'query', `${this.name} restarts in ${Math.round(backoff / 1000)} s (restart ${this.restarts})`, { artifact: this.name, backoffMs: backoff });
      await abortableSleep(backoff, this.stopper.signal);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
    if (this.timer) clearInterval(this.timer);
    await this.flushAll();
  }

  private async runOnce(): Promise<void> {
    this.run = new LinkedAbort(this.stopper.signal);
    const signal = this.run.signal;
    this.timer ??= setInterval(() => void this.flushAll(), this.opts.maxWaitMs);
    const log = (level: LogLevel, message: string) => {
      if (level === 'error') this.lastError = message;
      if (level !== 'debug') this.opts.log.write(level === 'error' ? 'error' : level === 'warn' ? 'warn' : 'info', level === 'error' ? 'error' : 'info', `${this.name}: ${message}`, { artifact: this.name });
    };
    if (this.opts.isolation) return this.runIsolated(signal, log, this.opts.isolation);
    const stream = runArtifact(this.opts.repo, this.loaded, this.params, {
      registry: this.opts.registry,
      signal,
      preconditions: true,
      log,
    });
    for await (const batch of stream) {
      this.receive(batch);
      // Back-pressure: stop pulling rows until the disk has caught up.
      if (this.pendingCount >= this.opts.batchRows) await this.flushAll();
      await this.throttle(signal);
      if (signal.aborted) break;
    }
  }

  /**
   * One run on a worker thread: the same loop as above over the worker's row messages, each
   * acknowledged once written or throttled (the worker's back-pressure). After a stop the
   * rows already received are still taken in; a worker that does not end within `stopMs` is
   * terminated.
   */
  private async runIsolated(signal: AbortSignal, log: (level: LogLevel, message: string) => void, iso: QueryIsolation): Promise<void> {
    const thread = new StreamThread({
      entry: iso.entry,
      engine: {
        definitions: iso.definitions,
        allowExecve: iso.allowExecve,
        pluginModules: iso.pluginModules,
        tools: iso.tools,
        // Several heartbeats per watchdog period: one late message is not a stuck worker.
        heartbeatMs: Math.max(10, Math.min(1000, Math.floor(iso.watchdogMs / 5))),
      },
      memoryLimitMb: iso.memoryMb,
      silenceMs: iso.watchdogMs,
      log,
    });
    this.thread = thread;
    let killer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      thread.cancel();
      const ms = iso.stopMs ?? 1000;
      killer = setTimeout(() => {
        this.opts.log.write('warn', 'query', `${this.name} did not stop within ${ms} ms, so its worker thread was terminated`, { artifact: this.name });
        void thread.terminate('stopped');
      }, ms);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const params = [...this.params].map(([k, v]) => [k, String(v)] as [string, string]);
    thread.start({ kind: 'event', raw: this.loaded.raw, file: this.loaded.file, builtIn: this.loaded.builtIn, params }, this.opts.batchRows);
    try {
      for (;;) {
        const ev = await thread.next();
        if (ev.type === 'rows') {
          this.receive(ev.rows);
          if (!signal.aborted) {
            if (this.pendingCount >= this.opts.batchRows) await this.flushAll();
            await this.throttle(signal);
          }
          thread.ack();
        } else if (ev.type === 'done') {
          if (ev.error !== undefined) throw new Error(ev.error);
          return;
        } else if (ev.type === 'exit') {
          if (signal.aborted) return; // stopped, or restarted by a budget: said already
          if (ev.limit) {
            const budget = ev.limit === 'heartbeat' ? iso.watchdogMs : iso.memoryMb;
            this.opts.log.write('error', 'budget', `${this.name}: ${ev.reason}; its worker thread was terminated and the query restarts after its backoff`, {
              artifact: this.name, limit: ev.limit, measured: ev.measured ?? null, budget,
            });
            throw new WorkerLimitError(ev.reason);
          }
          throw new Error(ev.reason);
        }
      }
    } finally {
      clearTimeout(killer);
      signal.removeEventListener('abort', onAbort);
      this.cpuOfEndedRuns += thread.cpuMs ?? 0;
      this.thread = null;
      await thread.close();
    }
  }

  private receive(batch: VDict[]): void {
    const ts = Math.floor(this.opts.now().getTime() / 1000);
    // The JSONL store appends _ts (the flush time) itself, after ClientId, as Velociraptor's server does.
    const stamp = this.opts.store.logFormat === 'csv';
    const byQuery = new Map<string, VDict[]>();
    for (const row of batch) {
      const q = String(row.get('_Source') ?? this.name);
      row.delete('_Source'); // the file's directory says which query a row came from
      if (stamp) row.set('_ts', ts);
      let list = byQuery.get(q);
      if (!list) byQuery.set(q, (list = []));
      list.push(row);
    }
    for (const [q, rows] of byQuery) {
      let list = this.pending.get(q);
      if (!list) this.pending.set(q, (list = []));
      for (const r of rows) list.push(r);
      this.opts.onRows(q, rows);
    }
    this.pendingCount += batch.length;
    this.rowsReceived += batch.length;
    this.windowRows += batch.length;
  }

  /** The rows/s budget, and pauses asked for by the CPU and memory budgets. */
  private async throttle(signal: AbortSignal): Promise<void> {
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.windowRows = 0;
    } else if (this.windowRows > this.opts.maxRowsPerSecond) {
      const wait = 1000 - (now - this.windowStart);
      this.opts.log.write('warn', 'budget', `${this.name} exceeded its budget of ${this.opts.maxRowsPerSecond} rows/s (${this.windowRows} rows in ${now - this.windowStart} ms): paused for ${wait} ms, no row is dropped`, {
        artifact: this.name, limit: 'rows_per_second', measured: this.windowRows, budget: this.opts.maxRowsPerSecond,
      });
      this.pause(wait);
    }
    if (this.pauseUntil > Date.now()) {
      this.state = 'paused';
      await this.flushAll();
      await abortableSleep(this.pauseUntil - Date.now(), signal);
      this.state = 'running';
    }
  }

  /** Writes every pending row; one flush at a time, retried until the disk takes it. */
  flushAll(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushPending());
    return this.flushing;
  }

  private async flushPending(): Promise<void> {
    if (this.pendingCount === 0) return;
    const batches = this.pending;
    this.pending = new Map();
    const count = this.pendingCount;
    this.pendingCount = 0;
    let delay = 1000;
    for (const [q, rows] of batches) {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.opts.store.append(q, rows);
          this.rowsWritten += rows.length;
          break;
        } catch (e) {
          const message = (e as Error).message;
          if (this.stopper.signal.aborted && attempt >= 3) {
            // Shutting down with a disk that will not take the rows: say exactly what is lost.
            this.opts.log.write('error', 'storage', `${this.name}: ${rows.length} rows for ${q} could not be written before shutdown: ${message}`, { artifact: this.name, lostRows: rows.length });
            break;
          }
          if (this.lastError !== message) this.opts.log.write('error', 'storage', `${this.name}: ${message}; holding ${count} rows and retrying every ${Math.round(delay / 1000)} s`, { artifact: this.name });
          this.lastError = message;
          // The query is not pulling rows while this waits: memory stays bounded.
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, 30_000);
        }
      }
    }
  }
}
