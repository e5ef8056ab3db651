/**
 * Row streams. Inside the engine rows travel as `AsyncIterable<Value[]>`: batches, so that
 * a fast synchronous source (range, a materialized query) costs one async step per batch
 * rather than per row, while a slow source (clock, a process scan) yields batches of one as
 * soon as each row exists. Cancellation flows down through AbortSignals and up through
 * iterator `return()`.
 */
import { setMaxListeners } from 'node:events';
import { toValue, type Value } from '../values/types.ts';

export type RowStream = AsyncIterable<Value[]>;

/** Rows available now (an array: nothing to await) or a stream of batches. */
export type RowSource = Value[] | RowStream;

/** A RowSource as a stream, for code that only handles streams. */
export function asStream(src: RowSource): RowStream {
  return Array.isArray(src) ? arrayStream(src) : src;
}

async function* arrayStream(rows: Value[]): RowStream {
  if (rows.length) yield rows;
}

/** Rows per batch taken from a synchronous source. */
const SYNC_BATCH = 512;
/** Wall time after which a synchronous loop yields to the event loop (timers, signals). */
const YIELD_MS = 25;

let lastYield = performance.now();

/**
 * Lets timers, I/O and Ctrl-C handlers run when the engine has been busy for a while.
 * Async generators alone only hop microtasks, which would starve the event loop.
 */
export function maybeYield(): Promise<void> | undefined {
  const now = performance.now();
  if (now - lastYield < YIELD_MS) return undefined;
  lastYield = now;
  return new Promise((resolve) => setImmediate(resolve));
}

/** Is this value an AsyncIterable? */
export function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

/** Is this value a (sync) Iterable object (not a string)? */
export function isIterable(v: unknown): v is Iterable<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as Iterable<unknown>)[Symbol.iterator] === 'function';
}

/**
 * Adapts what a plugin returns (sync or async, rows or batches) to a RowStream. Plain JS
 * objects become VDicts (toValue).
 */
export async function* fromPluginOutput(
  out: Iterable<Value> | AsyncIterable<Value>,
  batched: boolean,
  signal: AbortSignal,
  batchLimit: () => number = () => SYNC_BATCH,
): RowStream {
  if (isAsyncIterable(out)) {
    for await (const item of out as AsyncIterable<Value>) {
      if (signal.aborted) return;
      if (batched) {
        const b = item as Value[];
        if (b.length) yield convertRows(b);
      } else {
        yield [toValue(item)];
      }
    }
    return;
  }
  if (Array.isArray(out) && !batched) {
    for (let i = 0; i < out.length; ) {
      if (signal.aborted) return;
      const n = batchLimit();
      yield convertRows(out.slice(i, i + n));
      i += n;
      const y = maybeYield();
      if (y) await y;
    }
    return;
  }
  if (batched) {
    for (const b of out as Iterable<Value[]>) {
      if (signal.aborted) return;
      if (b.length) yield convertRows(b);
      const y = maybeYield();
      if (y) await y;
    }
    return;
  }
  let batch: Value[] = [];
  let limit = batchLimit();
  try {
    for (const item of out as Iterable<Value>) {
      batch.push(toValue(item));
      if (batch.length >= limit) {
        if (signal.aborted) return;
        yield batch;
        batch = [];
        limit = batchLimit();
        const y = maybeYield();
        if (y) await y;
      }
    }
  } catch (e) {
    // Rows produced before the failure are kept: nothing already collected is lost.
    if (batch.length && !signal.aborted) yield batch;
    throw e;
  }
  if (batch.length && !signal.aborted) yield batch;
}

/** Converts plain JS objects in a batch of plugin rows to VQL values. */
export function convertRows(b: Value[]): Value[] {
  let out: Value[] | null = null;
  for (let i = 0; i < b.length; i++) {
    const v = toValue(b[i]);
    if (v !== b[i] && !out) out = b.slice(0, i);
    if (out) out.push(v);
  }
  return out ?? b;
}

/** An AbortController that also aborts when `parent` does. Call `dispose()` when done. */
export class LinkedAbort {
  readonly controller = new AbortController();
  private readonly onParent: () => void;

  constructor(private readonly parent: AbortSignal) {
    // Every concurrent sleep/timer of a query listens on its signal: no listener cap.
    setMaxListeners(0, this.controller.signal);
    this.onParent = () => this.controller.abort(parent.reason);
    if (parent.aborted) this.controller.abort(parent.reason);
    else parent.addEventListener('abort', this.onParent, { once: true });
  }
  get signal(): AbortSignal {
    return this.controller.signal;
  }
  abort(): void {
    this.controller.abort();
    this.dispose();
  }
  dispose(): void {
    this.parent.removeEventListener('abort', this.onParent);
  }
}

/** Resolves after `ms` milliseconds, or early (resolving false) when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, Math.max(0, ms));
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A bounded multi-producer queue of batches, for concurrent workers (foreach workers=N).
 * Producers await `push` when the queue is full; the consumer drains it until `close()`.
 */
export class Channel<T> {
  private readonly items: T[] = [];
  private waitingConsumer: (() => void) | null = null;
  private readonly waitingProducers: Array<() => void> = [];
  private closed = false;
  private error: unknown = undefined;

  constructor(private readonly capacity = 16) {}

  async push(item: T): Promise<void> {
    while (this.items.length >= this.capacity && !this.closed) {
      await new Promise<void>((r) => this.waitingProducers.push(r));
    }
    if (this.closed) return;
    this.items.push(item);
    this.wakeConsumer();
  }

  close(error?: unknown): void {
    if (error !== undefined && this.error === undefined) this.error = error;
    this.closed = true;
    this.wakeConsumer();
    for (const p of this.waitingProducers.splice(0)) p();
  }

  private wakeConsumer(): void {
    const c = this.waitingConsumer;
    this.waitingConsumer = null;
    if (c) c();
  }

  /** Yields everything queued so far as one array (consumers that batch take all at once). */
  async *drain(): AsyncGenerator<T[]> {
    try {
      for (;;) {
        if (this.items.length) {
          const items = this.items.splice(0);
          for (const p of this.waitingProducers.splice(0)) p();
          yield items;
          continue;
        }
        if (this.closed) {
          if (this.error !== undefined) throw this.error;
          return;
        }
        await new Promise<void>((r) => (this.waitingConsumer = r));
      }
    } finally {
      this.closed = true;
      for (const p of this.waitingProducers.splice(0)) p();
    }
  }
}
