/**
 * One supervised event query: runs an event artifact forever, batches its rows to the store
 * (at least every `maxWaitMs`), restarts it with exponential backoff when it fails, and
 * applies its rows-per-second budget. The consumer never pulls more rows than it can write:
 * a producer faster than the disk is back-pressured, so memory stays bounded and no row is
 * dropped.
 */
import { LinkedAbort, abortableSleep, type Registry, type VDict, type Value } from '../vql/index.ts';
import { runArtifact, type LoadedArtifact, type Repository } from '../artifacts/index.ts';
import type { MonitoringStore } from './store.ts';
import type { MonitorLog } from './monitor-log.ts';

export type QueryState = 'starting' | 'running' | 'paused' | 'backoff' | 'stopped';

export interface EventQueryOptions {
  readonly repo: Repository;
  readonly registry: Registry;
  readonly store: MonitoringStore;
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
        log.write('error', 'error', `${this.name} failed: ${this.lastError}`, { artifact: this.name });
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
    const stream = runArtifact(this.opts.repo, this.loaded, this.params, {
      registry: this.opts.registry,
      signal,
      preconditions: true,
      log: (level, message) => {
        if (level === 'error') this.lastError = message;
        if (level !== 'debug') this.opts.log.write(level === 'error' ? 'error' : level === 'warn' ? 'warn' : 'info', level === 'error' ? 'error' : 'info', `${this.name}: ${message}`, { artifact: this.name });
      },
    });
    for await (const batch of stream) {
      this.receive(batch);
      // Back-pressure: stop pulling rows until the disk has caught up.
      if (this.pendingCount >= this.opts.batchRows) await this.flushAll();
      await this.throttle(signal);
      if (signal.aborted) break;
    }
  }

  private receive(batch: VDict[]): void {
    const ts = Math.floor(this.opts.now().getTime() / 1000);
    const byQuery = new Map<string, VDict[]>();
    for (const row of batch) {
      const q = String(row.get('_Source') ?? this.name);
      row.delete('_Source'); // the file's directory says which query a row came from
      row.set('_ts', ts);
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
