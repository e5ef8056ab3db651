/**
 * Stream jobs: the CLI's `--timeout` runs and the collector's event queries, each on a worker
 * thread of its own (the query worker, main/app/query-worker.ts, started with `stream` in its
 * workerData), so that the thread that owns the output (the CLI's deadline, the collector's
 * flushes and other queries) never waits for one long engine step: it terminates the worker.
 *
 * The protocol (one job per worker): the main thread posts `stream` with the job; the worker
 * posts `begin`/`rows`/`end` per result stream (rows in row-wire form, so CSV and JSON output
 * stay byte for byte what they were), `log` and `stderr` lines, and `done`. Flow control: at
 * most one `rows` message is unacknowledged (`ack`); rows made meanwhile gather into the next
 * one, and the worker stops pulling rows while `window` rows wait (the collector acks after
 * writing: a query faster than the disk is back-pressured). `pause` stops pulling for a while
 * (budgets); `cancel` aborts the engine. With `heartbeatMs` the worker posts `heartbeat` with
 * its heap and CPU time: silence means its event loop is stuck (main/app/stream-thread.ts).
 */
import type { MessagePort } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Session, VqlError, abortableSleep, type LogLevel, type Registry, type Value } from '../vql/index.ts';
import { encodeRows, type WireRows } from './row-wire.ts';
import type { RunFiles } from '../host/collect/run-files.ts';
import type { ToolsConfig } from '../artifacts/tools.ts';

/** The engine of a stream worker. */
export interface StreamEngineOptions {
  readonly definitions: readonly string[];
  readonly allowExecve: boolean;
  /**
   * Modules imported into the worker's engine: each exports `registerPlugins(registry)`
   * (extra plugins: tests, embedders). Absolute paths or file: URLs.
   */
  readonly pluginModules?: readonly string[];
  /** Post a heartbeat this often (ms); none when absent. */
  readonly heartbeatMs?: number;
  /** Where the job's uploads and temp files go (the CLI's run: main/cli/collection.ts). */
  readonly files?: RunFiles;
  /** The CLI's `--tools` / `--tool` (main/artifacts/tools.ts); absent: `<datastore>/tools`. */
  readonly tools?: ToolsConfig;
  /** The CLI's `--remap FILE` (checked by the main thread): applied to the job's sessions. */
  readonly remap?: { readonly file: string; readonly text: string };
}

/** workerData of a stream worker. */
export interface StreamWorkerData {
  readonly stream: StreamEngineOptions;
}

export type StreamJob =
  /** `vql query`: the texts' statements, each a result stream captioned with its text. */
  | { readonly kind: 'statements'; readonly texts: readonly string[]; readonly env: Record<string, string> }
  /** `vql artifacts collect`: the artifacts with their `--args` (name → [parameter, text]). */
  | { readonly kind: 'artifacts'; readonly names: readonly string[]; readonly args: ReadonlyArray<[string, ReadonlyArray<[string, string]>]>; readonly sessionId?: string; readonly ignorePreconditions?: boolean }
  /** A collector's event query: the artifact's YAML as the collector loaded it, and its parameters. */
  | { readonly kind: 'event'; readonly raw: string; readonly file: string; readonly builtIn: boolean; readonly params: ReadonlyArray<[string, string]> };

export type ToStreamWorker =
  | { readonly type: 'stream'; readonly job: StreamJob; readonly window: number }
  | { readonly type: 'ack' }
  | { readonly type: 'pause'; readonly ms: number }
  | { readonly type: 'cancel' };

export type FromStreamWorker =
  /** The job's engine is built (the repository loaded): the job runs now. */
  | { readonly type: 'ready' }
  | { readonly type: 'heartbeat'; readonly heapUsed: number; readonly cpuMs: number }
  | { readonly type: 'begin'; readonly caption: string }
  | { readonly type: 'rows'; readonly rows: WireRows; readonly count: number }
  | { readonly type: 'end'; readonly error?: string }
  | { readonly type: 'log'; readonly level: LogLevel; readonly message: string }
  | { readonly type: 'stderr'; readonly text: string }
  | { readonly type: 'done'; readonly status: number; readonly error?: string };

/**
 * CPU time of this thread in ms: /proc/thread-self/stat on Linux (utime + stime, in clock
 * ticks of 10 ms), else the event loop's busy time (eventLoopUtilization: close, but it counts
 * time a step waits for nothing, and none of the time the loop is idle).
 */
export function threadCpuMs(): number {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ", field 3 (state) is f[0]: utime (14) and stime (15) are f[11], f[12].
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return performance.eventLoopUtilization().active;
  }
}

/** Rows waiting to be posted, at most one message in flight (see the protocol above). */
class Flow {
  private queued: Value[] = [];
  private inFlight = false;
  private pausedUntil = 0;
  private wake: (() => void) | null = null;

  constructor(private readonly post: (msg: FromStreamWorker) => void, private readonly window: number, signal: AbortSignal) {
    signal.addEventListener('abort', () => this.notify(), { once: true });
  }

  push(rows: readonly Value[]): void {
    for (const r of rows) this.queued.push(r);
    if (!this.inFlight) this.send();
  }

  /** Posts what is queued, acknowledged or not (the end of a stream). */
  finish(): void {
    this.send();
  }

  ack(): void {
    this.inFlight = false;
    this.send();
    this.notify();
  }

  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
  }

  /** Resolves when the engine may make more rows: the queue has room and no pause holds. */
  async room(signal: AbortSignal): Promise<void> {
    for (;;) {
      if (signal.aborted) return;
      const pause = this.pausedUntil - Date.now();
      if (pause > 0) {
        await abortableSleep(pause, signal);
        continue;
      }
      if (this.queued.length < this.window) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private send(): void {
    if (!this.queued.length) return;
    const rows = this.queued;
    this.queued = [];
    this.inFlight = true;
    this.post({ type: 'rows', rows: encodeRows(rows), count: rows.length });
  }
}

/** Loads the plugin modules into `registry`. */
async function addPlugins(registry: Registry, modules: readonly string[] | undefined): Promise<void> {
  for (const m of modules ?? []) {
    const url = /^[a-z]+:/i.test(m) && !/^[a-z]:[\\/]/i.test(m) ? m : pathToFileURL(m).href;
    const mod = (await import(url)) as { registerPlugins?: (r: Registry) => void };
    if (typeof mod.registerPlugins !== 'function') throw new Error(`${m}: a plugin module exports registerPlugins(registry)`);
    mod.registerPlugins(registry);
  }
}

/** Serves one stream job on `port` (the worker's parentPort). */
export function serveStreamJob(port: MessagePort, data: StreamWorkerData): void {
  const opts = data.stream;
  const post = (msg: FromStreamWorker) => port.postMessage(msg);
  const controller = new AbortController();
  let flow: Flow | null = null;
  if (opts.heartbeatMs) {
    const beat = () => post({ type: 'heartbeat', heapUsed: getHeapStatistics().used_heap_size, cpuMs: threadCpuMs() });
    beat();
    setInterval(beat, opts.heartbeatMs).unref();
  }
  port.on('message', (msg: ToStreamWorker) => {
    switch (msg.type) {
      case 'stream':
        flow = new Flow(post, msg.window, controller.signal);
        void run(msg.job, flow);
        break;
      case 'ack':
        flow?.ack();
        break;
      case 'pause':
        flow?.pause(msg.ms);
        break;
      case 'cancel':
        controller.abort();
        break;
    }
  });

  async function run(job: StreamJob, flow: Flow): Promise<void> {
    const signal = controller.signal;
    const log = (level: LogLevel, message: string) => post({ type: 'log', level, message });
    const stderr = (text: string) => post({ type: 'stderr', text });
    let status = 0;
    let error: string | undefined;
    try {
      status = await runJob(job, opts, flow, signal, log, stderr, post);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    flow.finish();
    post(error === undefined ? { type: 'done', status } : { type: 'done', status: 1, error });
  }
}

async function runJob(
  job: StreamJob,
  opts: StreamEngineOptions,
  flow: Flow,
  signal: AbortSignal,
  log: (level: LogLevel, message: string) => void,
  stderr: (text: string) => void,
  post: (msg: FromStreamWorker) => void,
): Promise<number> {
  // A result stream of the CLI: framed by begin and end; a VqlError ends it with an ERROR
  // line (as RunContext.emit does), anything else also ends the caller's loop.
  const emit = async (stream: AsyncIterable<unknown[]>, caption: string): Promise<void> => {
    post({ type: 'begin', caption });
    let error: string | undefined;
    try {
      for await (const rows of stream) {
        flow.push(rows);
        await flow.room(signal);
      }
    } catch (e) {
      if (!(e instanceof VqlError)) {
        flow.finish();
        post({ type: 'end' });
        throw e;
      }
      error = e.message;
    }
    flow.finish();
    post(error === undefined ? { type: 'end' } : { type: 'end', error });
  };
  const flags = { definitions: [...opts.definitions], allowExecve: opts.allowExecve, env: {} as Record<string, string>, files: opts.files, tools: opts.tools, remap: opts.remap };
  const { remapSession } = await import('../cli/flags.ts');
  // The CLI modules are loaded only by the jobs that use them.
  if (job.kind === 'statements') {
    const { registryFor, runTexts } = await import('../cli/query.ts');
    const registry = await registryFor([...job.texts], { ...flags, env: job.env }, (m) => stderr(m + '\n'));
    await addPlugins(registry, opts.pluginModules);
    const mocks = await remapSession(opts.remap, registry, (m) => log('info', m));
    post({ type: 'ready' });
    const session = new Session({ registry, vars: job.env, signal, log, mocks });
    try {
      return await runTexts(job.texts, session, signal, emit, stderr);
    } finally {
      await (await import('../host/collect/run-files.ts')).finishRun(registry); // rm() retries; the CLI removes the temp folder
    }
  }
  const { createEngine } = await import('../cli/engine.ts');
  // The main thread loaded the same repository already and printed its problems.
  const engine = createEngine(flags, () => {});
  await addPlugins(engine.registry, opts.pluginModules);
  const repo = engine.repository();
  post({ type: 'ready' });
  if (job.kind === 'artifacts') {
    const { collectAll } = await import('../cli/artifacts.ts');
    const loaded = job.names.map((n) => {
      const a = repo.get(n);
      if (!a) throw new Error(`Artifact ${n} not found`);
      return a;
    });
    const given = new Map(job.args.map(([n, kv]) => [n, new Map<string, Value>(kv)]));
    const mocks = await remapSession(opts.remap, engine.registry, (m) => log('info', m));
    await collectAll(repo, engine.registry, loaded, given, signal, log, emit, job.sessionId, job.ignorePreconditions === true, mocks);
    await (await import('../host/collect/run-files.ts')).finishRun(engine.registry);
    return 0;
  }
  // An event query: the definition the collector runs (it may be one that no longer loads
  // from its file), its imports and Artifact.X() calls resolved against this repository.
  const { loadArtifactText, runArtifact } = await import('../artifacts/index.ts');
  const r = loadArtifactText(job.raw, job.file, job.builtIn);
  if (!r.loaded) throw new Error(`${job.file}: the definition no longer loads: ${r.problems.map((p) => p.message).join('; ')}`);
  const stream = runArtifact(repo, r.loaded, new Map<string, Value>(job.params), { registry: engine.registry, signal, preconditions: true, log });
  for await (const rows of stream) {
    flow.push(rows);
    await flow.room(signal);
    if (signal.aborted) break;
  }
  return 0;
}
