/**
 * `--timeout` runs: the statements or artifacts run on a worker thread (a query worker serving
 * a stream job, main/app/stream-job.ts) while this thread prints their rows through the
 * RunContext and keeps the deadline. A timer cannot interrupt one long synchronous engine step
 * (a catastrophic pattern, a huge string, a long sort) on the thread running it; here it does
 * not need to: at the deadline the worker is asked to stop, and terminated if it has not
 * within GRACE_MS, so the run ends on time whatever the engine is doing. Rows printed before
 * stay printed; the partial-output line and the exit status are RunContext.close()'s.
 * Ctrl-C works the same way, with the app's 1 s to stop before the worker is terminated.
 */
import { resolveWorkerEntry, type WorkerEntry } from '../app/worker-script.ts';
import { StreamThread } from '../app/stream-thread.ts';
import type { StreamJob } from '../app/stream-job.ts';
import type { Logger, VDict } from '../vql/index.ts';
import type { Emit, RunContext } from './run-context.ts';
import type { EngineFlags } from './flags.ts';

/** After the deadline, how long the engine may take to stop by itself before its worker is terminated. */
export const GRACE_MS = 500;
/** After Ctrl-C (or a closed stdout), the same, as the app allows a cancelled query. */
export const STOP_MS = 1000;
/** Rows the worker may have made ahead of what this thread printed. */
const WINDOW = 2048;

/**
 * The worker script for a `--timeout` run, or null when it cannot be found (the run then
 * goes on in this thread, with a warning: the deadline cannot interrupt one long step there).
 */
export function threadFor(run: RunContext): WorkerEntry | null {
  const entry = resolveWorkerEntry();
  if (!entry) run.log('warn', 'the query worker (query-worker.js) was not found next to the vql bundle: the query runs in the main thread, where --timeout cannot interrupt one long step');
  return entry;
}

/** Where a run's result streams and log lines go, when not (only) to the terminal (a collection zip). */
export interface RunSink {
  readonly emit: Emit;
  readonly log: Logger;
}

/**
 * Runs `job` on a worker, printing its result streams (or handing them to `sink`); returns the
 * job's status (1 when a text did not parse). `flags.files` (uploads, temp folder) is the
 * worker's too.
 */
export async function runIsolated(run: RunContext, entry: WorkerEntry, job: StreamJob, flags: EngineFlags, sink?: RunSink): Promise<number> {
  const emit: Emit = sink?.emit ?? ((stream, caption) => run.emit(stream, caption));
  const log = sink?.log ?? run.log;
  const thread = new StreamThread({
    entry,
    engine: { definitions: flags.definitions, allowExecve: flags.allowExecve, files: flags.files, tools: flags.tools, ...(flags.remap ? { remap: flags.remap } : {}) },
    log,
    stderr: (text) => process.stderr.write(text),
  });
  let killer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    thread.cancel();
    const ms = run.timedOut ? GRACE_MS : STOP_MS;
    killer = setTimeout(() => {
      if (!run.timedOut) run.log('warn', `the query did not stop within ${ms} ms, so its worker thread was terminated`);
      void thread.terminate('stopped');
    }, ms);
  };
  run.signal.addEventListener('abort', onAbort, { once: true });
  if (run.signal.aborted) onAbort();
  thread.start(job, WINDOW);
  try {
    for (;;) {
      const ev = await thread.next();
      if (ev.type === 'begin') {
        let error: string | undefined;
        await emit(rowsOf(thread, (e) => (error = e)), ev.caption);
        if (error !== undefined) log('error', error);
      } else if (ev.type === 'done') {
        if (ev.error !== undefined) log('error', ev.error);
        return ev.status;
      } else if (ev.type === 'exit') {
        // Terminated at the deadline or after Ctrl-C (said by close() or above), or crashed.
        if (!run.signal.aborted) log('error', `the query stopped: ${ev.reason}`);
        return 0;
      }
    }
  } finally {
    clearTimeout(killer);
    run.signal.removeEventListener('abort', onAbort);
    await thread.close();
  }
}

/** The rows of the current result stream, up to its `end` (whose error goes to `onError`). */
async function* rowsOf(thread: StreamThread, onError: (message: string) => void): AsyncIterable<VDict[]> {
  for (;;) {
    const ev = await thread.next();
    if (ev.type === 'rows') {
      yield ev.rows;
      thread.ack();
    } else {
      if (ev.type === 'end') {
        if (ev.error !== undefined) onError(ev.error);
      } else {
        thread.unshift(ev); // done or exit: the caller's
      }
      return;
    }
  }
}
