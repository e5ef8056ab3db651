/**
 * The main thread's side of a stream job (main/app/stream-job.ts): starts a query worker for
 * one job, turns its messages into events read one at a time (`next()`), and ends it when
 * asked, when it is silent too long (the watchdog: a worker stuck in one long step sends no
 * heartbeat) or when it runs out of its heap limit. Used by the CLI's `--timeout` runs
 * (main/cli/isolated.ts) and the collector's event queries (main/collector/event-query.ts).
 */
import type { Worker } from 'node:worker_threads';
import type { LogLevel, VDict } from '../vql/index.ts';
import { decodeRows } from './row-wire.ts';
import { startWorker, type WorkerEntry } from './worker-script.ts';
import type { FromStreamWorker, StreamEngineOptions, StreamJob, ToStreamWorker } from './stream-job.ts';

/** Which limit ended a worker. */
export type ThreadLimit = 'heartbeat' | 'memory';

export type ThreadEvent =
  | { readonly type: 'begin'; readonly caption: string }
  | { readonly type: 'rows'; readonly rows: VDict[] }
  | { readonly type: 'end'; readonly error?: string }
  | { readonly type: 'done'; readonly status: number; readonly error?: string }
  /** The worker stopped without `done`: terminated (`reason` says why) or crashed. */
  | { readonly type: 'exit'; readonly reason: string; readonly limit?: ThreadLimit; readonly measured?: number };

export interface StreamThreadOptions {
  readonly entry: WorkerEntry;
  readonly engine: StreamEngineOptions;
  /** The worker's old-generation heap limit, MB (worker resourceLimits); Node's default when absent. */
  readonly memoryLimitMb?: number;
  /**
   * Terminate the worker when it has not been heard from for this long (ms), counted from its
   * first sign of life (`engine.heartbeatMs` must be shorter). Off when absent.
   */
  readonly silenceMs?: number;
  /** How long a starting worker may take to build its engine before the watchdog counts (default 60 s). */
  readonly startMs?: number;
  readonly log: (level: LogLevel, message: string) => void;
  readonly stderr?: (text: string) => void;
}

/** A started stream worker; read its events with next(). */
export class StreamThread {
  private readonly worker: Worker;
  private readonly queue: FromStreamWorker[] = [];
  /** Events put back by unshift(), read before the queue. */
  private readonly front: ThreadEvent[] = [];
  private waiter: (() => void) | null = null;
  private ended: ThreadEvent | null = null;
  private finished = false;
  private crash: Error | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  /** performance.now() of the last message (or of the start). */
  lastSign = performance.now();
  /** Whether the worker has built its engine and started the job (posted `ready`). */
  ready = false;
  /** From the last heartbeat: the worker's heap in use (bytes) and its thread's CPU time (ms). */
  heapUsed: number | undefined;
  cpuMs: number | undefined;
  readonly startedAt = performance.now();
  /** performance.now() when `ready` arrived. */
  readyAt: number | undefined;

  constructor(private readonly opts: StreamThreadOptions) {
    const limits = opts.memoryLimitMb ? { maxOldGenerationSizeMb: opts.memoryLimitMb } : undefined;
    this.worker = startWorker(opts.entry, { stream: opts.engine }, limits);
    this.worker.on('message', (msg: FromStreamWorker) => this.onMessage(msg));
    this.worker.on('error', (e) => (this.crash ??= e));
    this.worker.on('exit', (code) => {
      clearInterval(this.watchdog);
      if (this.finished || this.ended) return;
      const e = this.crash as (Error & { code?: string }) | undefined;
      if (e?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        const limit = opts.memoryLimitMb ? `its ${opts.memoryLimitMb} MB heap limit` : 'memory (its heap limit)';
        this.end({ type: 'exit', reason: `its worker thread ran out of ${limit}`, limit: 'memory', measured: this.heapUsed });
      } else {
        this.end({ type: 'exit', reason: e ? `its worker thread failed: ${e.message}` : `its worker thread stopped (exit code ${code})` });
      }
    });
    if (opts.silenceMs) this.startWatchdog(opts.silenceMs, opts.startMs ?? 60_000);
  }

  /** Sends the job; `window` rows may wait unacknowledged before the worker stops pulling. */
  start(job: StreamJob, window: number): void {
    this.post({ type: 'stream', job, window });
  }

  /** The next event; after the worker ended, its last event again. */
  async next(): Promise<ThreadEvent> {
    for (;;) {
      const back = this.front.shift();
      if (back) return back;
      const msg = this.queue.shift();
      if (msg) {
        const ev = this.toEvent(msg);
        if (ev) return ev;
        continue;
      }
      if (this.ended) return this.ended;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  /** Puts an event back: the next next() returns it. */
  unshift(ev: ThreadEvent): void {
    this.front.unshift(ev);
  }

  /** The last `rows` has been handled: the worker may send more. */
  ack(): void {
    this.post({ type: 'ack' });
  }

  /** The worker stops pulling rows for `ms`. */
  pause(ms: number): void {
    this.post({ type: 'pause', ms });
  }

  /** Asks the engine to stop (it ends with `done`); see terminate() for one that does not. */
  cancel(): void {
    this.post({ type: 'cancel' });
  }

  /** Ends the worker now; next() then gives an `exit` event with `reason` (unless it had ended). */
  terminate(reason: string, limit?: ThreadLimit, measured?: number): Promise<void> {
    clearInterval(this.watchdog);
    if (!this.ended && !this.finished) this.end({ type: 'exit', reason, limit, measured });
    return this.worker.terminate().then(() => {});
  }

  /** Ends a worker whose job is done (or no longer wanted); never throws. */
  async close(): Promise<void> {
    this.finished = true;
    clearInterval(this.watchdog);
    await this.worker.terminate().catch(() => {});
  }

  /** Busy time of the worker's event loop (ms), from this thread: a CPU measure where /proc is missing. */
  loopActiveMs(): number {
    return this.worker.performance.eventLoopUtilization().active;
  }

  private post(msg: ToStreamWorker): void {
    if (this.ended || this.finished) return;
    this.worker.postMessage(msg);
  }

  private onMessage(msg: FromStreamWorker): void {
    this.lastSign = performance.now();
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        this.readyAt = this.lastSign;
        return;
      case 'heartbeat':
        this.heapUsed = msg.heapUsed;
        this.cpuMs = msg.cpuMs;
        return;
      case 'log':
        this.opts.log(msg.level, msg.message);
        return;
      case 'stderr':
        (this.opts.stderr ?? ((t: string) => process.stderr.write(t)))(msg.text);
        return;
      default:
        if (this.ended) return;
        this.queue.push(msg);
        if (msg.type === 'done') this.finished = true;
        this.wake();
    }
  }

  private toEvent(msg: FromStreamWorker): ThreadEvent | null {
    switch (msg.type) {
      case 'rows':
        return { type: 'rows', rows: decodeRows(msg.rows) };
      case 'begin':
      case 'end':
      case 'done':
        return msg;
      default:
        return null;
    }
  }

  private end(ev: ThreadEvent): void {
    this.ended = ev;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /**
   * Checks a few times per `silenceMs` that the worker was heard from. A check that runs late
   * (this thread was itself held up, or the machine is overloaded) judges nothing: messages
   * the worker sent meanwhile may still be waiting to be read.
   */
  private startWatchdog(silenceMs: number, startMs: number): void {
    const every = Math.max(20, Math.min(1000, Math.floor(silenceMs / 4)));
    let lastTick = performance.now();
    this.watchdog = setInterval(() => {
      const now = performance.now();
      const late = now - lastTick > every * 2 + 100;
      lastTick = now;
      if (late) return;
      const limit = this.ready ? silenceMs : Math.max(silenceMs, startMs);
      const silent = now - this.lastSign;
      if (silent > limit) {
        void this.terminate(`its worker thread showed no sign of life for ${(silent / 1000).toFixed(1)} s (limit ${limit / 1000} s): stuck in one long step`, 'heartbeat', Math.round(silent));
      }
    }, every);
    this.watchdog.unref();
  }
}
