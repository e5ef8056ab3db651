/**
 * The profiles profile() writes to files, each the Node.js counterpart of a Go pprof profile,
 * in a format Node's tools open (Chrome DevTools, `node --cpu-prof` viewers, Perfetto):
 * - `profile`: a V8 CPU profile over `duration` seconds (`.cpuprofile` JSON);
 * - `heap`: a V8 heap snapshot (`.heapsnapshot` JSON). Writing it pauses this thread (its size
 *   and time are logged); it needs about as much free memory again as the heap holds;
 * - `allocs`: a V8 sampling heap profile of every allocation during a short window, the
 *   collected ones included (`.heapprofile` JSON);
 * - `trace`: Node's trace events of the whole process (every thread) over `duration` seconds
 *   (Chrome trace JSON). From a worker thread (`vql query --timeout`, the app's query workers)
 *   it is taken through the main thread's inspector, the only one Node lets trace;
 * - `goroutine`: a text dump of what the thread is doing (see goroutine-dump.ts).
 * Files go to the run's temp folder and are removed with it when the run ends.
 */
import { randomInt } from 'node:crypto';
import { statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { abortableSleep, type Scope } from '../../vql/index.ts';
import { runState } from '../collect/run-files.ts';
import { withInspector } from './inspector.ts';
import { SAMPLING_WINDOW_MS, sampleHeap } from './sampling.ts';
import { goroutineDump } from './goroutine-dump.ts';

/** What a capture needs: where it runs, for how long, and how to report. */
export interface CaptureContext {
  readonly scope: Scope;
  readonly signal: AbortSignal;
  /** Seconds, for the CPU profile and the trace. */
  readonly duration: number;
  readonly debug: number;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

/** A new file name in the run's temp folder: `tmp` and 9 random digits, as Go's os.CreateTemp. */
function tempPath(scope: Scope, ext: string): string {
  return join(runState(scope).tempFolder(), `tmp${randomInt(1e9).toString().padStart(9, '0')}${ext}`);
}

function megabytes(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MB`;
}

/** The CPU profile: `duration` seconds, ended early (and then not written) when cancelled. */
async function cpuProfile(c: CaptureContext): Promise<string | null> {
  const profile = await withInspector(async (session) => {
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    const full = await abortableSleep(c.duration * 1000, c.signal);
    const result = await session.post('Profiler.stop');
    return full ? result.profile : null;
  });
  if (!profile) return null;
  const path = tempPath(c.scope, '.cpuprofile');
  await writeFile(path, JSON.stringify(profile), { mode: 0o600 });
  return path;
}

/** The heap snapshot: blocks this thread while V8 writes it. */
function heapSnapshot(c: CaptureContext): string {
  const path = tempPath(c.scope, '.heapsnapshot');
  const t0 = performance.now();
  writeHeapSnapshot(path);
  const took = ((performance.now() - t0) / 1000).toFixed(1);
  c.log('info', `heap: wrote a ${megabytes(statSync(path).size)} V8 heap snapshot in ${took} s (the engine paused meanwhile): ${path}`);
  return path;
}

/** All allocations sampled during the sampling window. */
async function allocs(c: CaptureContext): Promise<string | null> {
  const profile = await sampleHeap(SAMPLING_WINDOW_MS, false, c.signal);
  if (c.signal.aborted) return null;
  const path = tempPath(c.scope, '.heapprofile');
  await writeFile(path, JSON.stringify(profile), { mode: 0o600 });
  return path;
}

/** The categories traced: Node's own, async hooks, and V8 (as `node --trace-events-enabled`). */
const TRACE_CATEGORIES = ['node', 'node.async_hooks', 'node.perf', 'node.fs.async', 'v8'];
/** The longest wait for the trace's last events after it stops. */
const TRACE_FLUSH_MS = 10_000;

/** Trace events over `duration` seconds, as `{"traceEvents": [...]}`. */
async function trace(c: CaptureContext): Promise<string | null> {
  const events = await withInspector(async (session) => {
    const collected: unknown[] = [];
    session.on('NodeTracing.dataCollected', (m: { params: { value: unknown[] } }) => {
      for (const e of m.params.value) collected.push(e);
    });
    const complete = new Promise<void>((resolve) => session.once('NodeTracing.tracingComplete', () => resolve()));
    await session.post('NodeTracing.start', { traceConfig: { includedCategories: TRACE_CATEGORIES } });
    const full = await abortableSleep(c.duration * 1000, c.signal);
    await session.post('NodeTracing.stop');
    // Node sends the events, then tracingComplete; never wait on it forever.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([complete, new Promise((resolve) => (timer = setTimeout(resolve, TRACE_FLUSH_MS)))]);
    clearTimeout(timer);
    return full ? collected : null;
  }, true);
  if (!events) return null;
  const path = tempPath(c.scope, '.json');
  await writeFile(path, JSON.stringify({ traceEvents: events }), { mode: 0o600 });
  return path;
}

async function goroutine(c: CaptureContext): Promise<string> {
  const path = tempPath(c.scope, '.txt');
  await writeFile(path, goroutineDump(c.debug), { mode: 0o600 });
  return path;
}

/** The file profiles by name; each resolves to the file's path, or null when cancelled. */
export const CAPTURES: Readonly<Record<string, (c: CaptureContext) => Promise<string | null> | string>> = {
  allocs,
  goroutine,
  heap: heapSnapshot,
  profile: cpuProfile,
  trace,
};
