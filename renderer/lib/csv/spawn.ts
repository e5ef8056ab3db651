/**
 * Starts the import worker. Vite bundles `import.worker.ts` as its own module file (the page's
 * CSP allows `worker-src 'self'`); kept apart from import-job.ts so Node tests never touch Worker.
 */
import type { WorkerLike } from './import-job.ts';

/** A new CSV import worker. */
export function spawnImportWorker(): WorkerLike {
  return new Worker(new URL('./import.worker.ts', import.meta.url), { type: 'module' }) as unknown as WorkerLike;
}
