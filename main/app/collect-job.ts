/**
 * The app's "Collect to zip": an `artifacts:collect` job with a container target runs the
 * artifact as any collection (its rows still stream to the page) and also writes Velociraptor's
 * offline-collection container (rows, log, uploads) through the same CollectionRun as `vql
 * artifacts collect --output x.zip` (main/host/collect/container-run.ts). Runs where the job
 * runs: in a query worker, or inline. The engine's registry gets the collection's upload folder
 * for this job only, so upload() stores into the container; a worker's next job has none.
 */
import type { RowJson } from '../ipc/contract.ts';
import { basename } from 'node:path';
import { runArtifact } from '../artifacts/index.ts';
import { attachRunFiles, detachRunFiles, finishRun } from '../host/collect/run-files.ts';
import { CollectionRun, collectedArtifacts, partialReason, summaryText } from '../host/collect/container-run.ts';
import { jobArtifact, jobMocks, pumpRows, toSerialized, type Batching, type ContainerTarget, type Engine, type JobEnd, type JobLog, type QueryJob } from './query-job.ts';

/** Runs a collect job into a container; the end carries the container's summary (or why there is none). */
export async function runContainerJob(job: Extract<QueryJob, { kind: 'collect' }>, target: ContainerTarget, engine: Engine, signal: AbortSignal, log: JobLog, batching: Batching, emit: (rows: RowJson[]) => void): Promise<JobEnd> {
  let found: ReturnType<typeof jobArtifact>;
  let run: CollectionRun;
  try {
    found = jobArtifact(job, engine);
    const name = found.artifact.artifact.name;
    run = new CollectionRun({ output: target.output, workDir: target.workDir, artifacts: collectedArtifacts(engine.repo, [found.artifact], new Map([[name, found.given]])) });
  } catch (e) {
    return { error: toSerialized(e) };
  }
  attachRunFiles(engine.registry, run.files);
  const both: JobLog = (level, message) => {
    log(level, message);
    run.log(level, message);
  };
  let end: JobEnd;
  try {
    const results = run.container.begin(found.artifact.artifact.name);
    const mocks = await jobMocks(job, engine, both);
    const rows = runArtifact(engine.repo, found.artifact, found.given, { registry: engine.registry, signal, log: both, preconditions: job.ignorePreconditions !== true, sessionId: run.container.sessionId, ...(mocks ? { mocks } : {}) });
    end = await pumpRows(into(rows, results), batching, emit);
    // The page gets the error with the end; the container's log records it (the flow's status).
    if (end.error) run.log('error', end.error.message);
  } finally {
    await finishRun(engine.registry);
    detachRunFiles(engine.registry);
  }
  const closed = await run.finish(engine.registry, signal.aborted ? partialReason('cancelled') : undefined);
  if ('error' in closed) {
    log('error', closed.error);
    return { error: end.error ?? { code: 'CollectionError', message: closed.error } };
  }
  // The page downloads the zip under its own name: the host's folder means nothing there.
  log('info', summaryText(closed.summary, basename(closed.summary.output)));
  return { ...end, collection: closed.summary };
}

/** Passes each batch on after writing it into the container's result sets. */
async function* into<T extends unknown[]>(rows: AsyncIterable<T>, results: { write(batch: readonly unknown[]): void; end(): void }): AsyncIterable<T> {
  try {
    for await (const batch of rows) {
      results.write(batch);
      yield batch;
    }
  } finally {
    results.end();
  }
}
