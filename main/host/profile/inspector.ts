/**
 * The V8 inspector of this thread, opened in-process (node:inspector): what the CPU profile,
 * the sampling heap profiles and the trace are taken with. No debugger port is opened; each
 * capture uses a session of its own, closed when done. The timed captures wait with the
 * engine's abortableSleep, so a cancelled query (LIMIT, Ctrl-C, `--timeout`) ends them early.
 */
import { Session } from 'node:inspector/promises';
import { isMainThread } from 'node:worker_threads';

/**
 * Runs `fn` with a connected inspector session of its own; the session is closed after.
 * `mainThread`: from a worker thread, connect to the main thread's inspector instead (Node lets
 * only main thread sessions trace; the trace covers every thread either way).
 */
export async function withInspector<T>(fn: (session: Session) => Promise<T>, mainThread = false): Promise<T> {
  const session = new Session();
  if (mainThread && !isMainThread) session.connectToMainThread();
  else session.connect();
  try {
    return await fn(session);
  } finally {
    session.disconnect();
  }
}
