/**
 * A query worker (worker_threads): builds the engine once (host registry, artifact repository,
 * same options as the service, from workerData) and runs one job at a time for the pool
 * (main/app/worker-pool.ts), posting row batches, log lines and the end. Running the engine
 * here keeps the main process's event loop free however long a single engine step takes.
 * Started with `stream` in its workerData, it serves one stream job instead (the CLI's
 * `--timeout` runs and the collector's event queries: main/app/stream-job.ts).
 * Built to dist/query-worker.js (scripts/build.mjs); loaded from source under tsx.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { EngineOptions, FromWorker, JobEnd, ToWorker } from './query-job.ts';
import type { StreamWorkerData } from './stream-job.ts';

const port = parentPort;
if (!port) throw new Error('query-worker.ts runs as a worker thread (see main/app/worker-pool.ts)');

// Each kind loads only its own modules (a stream job for the CLI may need no host plugins).
const data = workerData as EngineOptions | StreamWorkerData;
if ('stream' in data && data.stream) (await import('./stream-job.ts')).serveStreamJob(port, data);
else await serveJobs(port, data as EngineOptions);

async function serveJobs(port: MessagePort, opts: EngineOptions): Promise<void> {
  const { createEngine, runJob, toSerialized } = await import('./query-job.ts');
  const engine = createEngine(opts);
  let current: { id: string; controller: AbortController } | undefined;

  const post = (msg: FromWorker) => port.postMessage(msg);

  async function run(id: string, msg: Extract<ToWorker, { type: 'run' }>): Promise<void> {
    const controller = new AbortController();
    current = { id, controller };
    let result: JobEnd;
    try {
      // The user may have saved or deleted an artifact since this worker started (or since its
      // last job): reading the folders again costs a few ms and keeps the worker's view current.
      engine.repo.reload();
      const log = (level: string, message: string) => post({ type: 'log', id, level, message });
      result = await runJob(msg.job, engine, controller.signal, log, msg.batching, (rows) => post({ type: 'rows', id, rows }));
    } catch (e) {
      result = { error: toSerialized(e) };
    }
    current = undefined;
    post({ type: 'done', id, ...result });
  }

  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'run') void run(msg.id, msg);
    // A cancel that arrives after its job ended (or for another job) is stale: nothing to stop.
    else if (msg.type === 'cancel' && current?.id === msg.id) current.controller.abort();
  });

  post({ type: 'ready' });
}
