/**
 * The query workers: one worker thread per running query, plus one warm spare so the first row
 * of a new query does not wait for a worker to start (loading the engine takes a few hundred
 * ms). A finished worker goes back to the pool (see release()).
 * Cancelling asks the worker to abort; a worker still busy after `stopTimeoutMs` (stuck in one
 * long engine step, such as a pathological regex, where it cannot see the message) is
 * terminated. Idle workers are unref'd: they never keep the process alive.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { RowJson, SerializedError } from '../ipc/contract.ts';
import type { Batching, EngineOptions, FromWorker, JobEnd, QueryJob, ToWorker } from './query-job.ts';
import { resolveWorkerEntry, startWorker, type WorkerEntry } from './worker-script.ts';

export interface WorkerPoolOptions extends EngineOptions {
  /** The worker script (default: found next to this module or the bundle, see worker-script.ts). */
  readonly workerScript?: string;
  /** Idle workers kept ready (default 1). */
  readonly spares?: number;
  /** How long a cancelled query may take to stop before its worker is terminated (default 1000 ms). */
  readonly stopTimeoutMs?: number;
  /**
   * A new spare is started this long after a query took the last one (default 150 ms): short
   * queries give their worker back first, and a long one gets its first rows out before a
   * starting worker competes for the CPU.
   */
  readonly spareDelayMs?: number;
}

/** Where a job's output goes, and the signal that cancels it. */
export interface JobSink {
  readonly signal: AbortSignal;
  readonly batching: Batching;
  rows(rows: RowJson[]): void;
  log(level: string, message: string): void;
}

interface Slot {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  /** The running job's handlers; undefined while idle. */
  job?: { readonly id: string; message(msg: FromWorker): void; exit(error: SerializedError): void };
  /** The uncaught error that is about to end this worker, if any. */
  crash?: Error;
}

/** A pool of query workers sharing one engine configuration. */
export class WorkerPool {
  private readonly idle: Slot[] = [];
  private readonly busy = new Set<Slot>();
  private spareTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Workers started and workers terminated because they did not stop in time. */
  readonly stats = { started: 0, killed: 0 };

  constructor(private readonly entry: WorkerEntry, private readonly opts: WorkerPoolOptions) {
    this.topUp();
  }

  /** True after close(): shared lookups then start a new pool. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Workers running a job right now. */
  get running(): number {
    return this.busy.size;
  }

  /** Resolves when a spare worker has loaded the engine (benchmarks and tests wait for a warm pool). */
  async warm(): Promise<void> {
    this.topUp();
    const slot = this.idle[0];
    if (!slot) return;
    // Someone waits for it: keep the process alive until it is ready (idle workers are unref'd).
    slot.worker.ref();
    await slot.ready;
    if (!this.busy.has(slot)) slot.worker.unref();
  }

  /** Runs a job on a worker of its own; resolves at its end (never rejects). */
  run(job: QueryJob, sink: JobSink): Promise<JobEnd> {
    if (this.closed) return Promise.resolve({ error: { code: 'Closed', message: 'the query workers were shut down' } });
    const slot = this.idle.shift() ?? this.spawn();
    this.busy.add(slot);
    slot.worker.ref();
    this.scheduleSpare();
    const id = randomUUID();
    return new Promise((resolveEnd) => {
      let stopTimer: NodeJS.Timeout | undefined;
      const finish = (end: JobEnd) => {
        clearTimeout(stopTimer);
        sink.signal.removeEventListener('abort', onAbort);
        slot.job = undefined;
        this.busy.delete(slot);
        resolveEnd(end);
      };
      const onAbort = () => {
        this.post(slot, { type: 'cancel', id });
        const ms = this.opts.stopTimeoutMs ?? 1000;
        stopTimer = setTimeout(() => {
          sink.log('warn', `the query did not stop within ${ms} ms of Stop, so its worker thread was terminated`);
          finish({});
          this.stats.killed++;
          void slot.worker.terminate();
        }, ms);
      };
      slot.job = {
        id,
        message: (msg) => {
          if (msg.type === 'rows') sink.rows(msg.rows);
          else if (msg.type === 'log') sink.log(msg.level, msg.message);
          else if (msg.type === 'done') {
            finish({ ...(msg.error ? { error: msg.error } : {}), ...(msg.collection ? { collection: msg.collection } : {}) });
            this.release(slot);
          }
        },
        exit: (error) => finish({ error }),
      };
      sink.signal.addEventListener('abort', onAbort, { once: true });
      this.post(slot, { type: 'run', id, job, batching: sink.batching });
      if (sink.signal.aborted) onAbort();
    });
  }

  /** Ends every worker; running jobs end with an error. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.spareTimer);
    const all = [...this.idle, ...this.busy];
    this.idle.length = 0;
    await Promise.all(all.map((s) => s.worker.terminate()));
  }

  private post(slot: Slot, msg: ToWorker): void {
    slot.worker.postMessage(msg);
  }

  private spawn(): Slot {
    const worker = startWorker(this.entry, { userArtifacts: this.opts.userArtifacts, definitions: this.opts.definitions, allowExecve: this.opts.allowExecve });
    this.stats.started++;
    let markReady!: () => void;
    const slot: Slot = { worker, ready: new Promise<void>((r) => (markReady = r)) };
    worker.on('message', (msg: FromWorker) => {
      if (msg.type === 'ready') markReady();
      else if (slot.job && msg.id === slot.job.id) slot.job.message(msg);
    });
    // An uncaught error ends the worker: 'exit' follows and reports it to the running job.
    worker.on('error', (e) => (slot.crash = e));
    worker.on('exit', (code) => {
      markReady();
      const i = this.idle.indexOf(slot);
      if (i >= 0) this.idle.splice(i, 1);
      const why = slot.crash ? slot.crash.message : this.closed ? 'the query workers were shut down' : `exit code ${code}`;
      slot.job?.exit({ code: 'WorkerError', message: `the query's worker thread stopped: ${why}` });
    });
    // After the listeners: adding a 'message' listener refs the worker again.
    worker.unref();
    return slot;
  }

  /**
   * A finished worker goes back to the idle list, which may hold one more than `spares`: a user
   * running one query after another then reuses two workers instead of starting (and ending)
   * one per query; more (after many concurrent queries) are ended.
   */
  private release(slot: Slot): void {
    if (!this.closed && this.idle.length <= (this.opts.spares ?? 1)) {
      slot.worker.unref();
      this.idle.push(slot);
    } else {
      void slot.worker.terminate();
    }
  }

  private scheduleSpare(): void {
    if (this.spareTimer || this.closed) return;
    this.spareTimer = setTimeout(() => {
      this.spareTimer = undefined;
      this.topUp();
    }, this.opts.spareDelayMs ?? 150);
    this.spareTimer.unref();
  }

  private topUp(): void {
    while (!this.closed && this.idle.length < (this.opts.spares ?? 1)) this.idle.push(this.spawn());
  }
}

const shared = new Map<string, WorkerPool | null>();

/**
 * The pool for an engine configuration, shared by every service with the same options (every
 * web connection, every window), so connections do not each keep a spare. Null when no worker
 * script can be found (the caller then runs queries in-process; warned once).
 */
export function sharedWorkerPool(opts: WorkerPoolOptions): WorkerPool | null {
  const key = JSON.stringify([resolve(opts.userArtifacts), (opts.definitions ?? []).map((d) => resolve(d)), !!opts.allowExecve, opts.workerScript ?? '']);
  const known = shared.get(key);
  if (known === undefined || known?.isClosed) {
    const entry = resolveWorkerEntry(opts.workerScript);
    if (!entry) console.warn(`vql: the query worker script was not found${opts.workerScript ? ` at ${opts.workerScript}` : ''}; queries run in the main process`);
    // Only the engine's options: `opts` may be a whole service's (its push holds a connection).
    const { userArtifacts, definitions, allowExecve } = opts;
    shared.set(key, entry ? new WorkerPool(entry, { userArtifacts, definitions, allowExecve }) : null);
  }
  return shared.get(key)!;
}
