/**
 * Long work as a generator of steps, run either at once or in slices of the event loop. The
 * pack import and the repository's reload yield between files: the CLI runs them straight
 * through, the app (one main process serving every window) gives the event loop back every
 * few milliseconds, so the longest it is held is one step (one artifact file, at most
 * MAX_ARTIFACT_BYTES of YAML), not the whole import.
 */

/** A unit of work that yields between steps and returns its result. */
export type Steps<T> = Generator<void, T, void>;

/** Runs every step now (a CLI, a test, a worker thread). */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** Runs the steps, letting the event loop run (timers, I/O, IPC) whenever a slice passed `sliceMs`. */
export async function runStepsSliced<T>(steps: Steps<T>, sliceMs = 8): Promise<T> {
  let start = performance.now();
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (performance.now() - start >= sliceMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      start = performance.now();
    }
  }
}
