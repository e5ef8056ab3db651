/**
 * The CSV import worker: runs `runImport` on the files the page sends and posts its messages
 * (typed arrays transferred, not copied). The page cancels by terminating the worker.
 */
import { runImport } from './pipeline.ts';
import type { StartMessage, WorkerMessage } from './types.ts';

interface WorkerScope {
  onmessage: ((ev: MessageEvent<StartMessage>) => void) | null;
  postMessage(msg: WorkerMessage, options?: { transfer?: Transferable[] }): void;
}
const scope = self as unknown as WorkerScope;

scope.onmessage = (ev) => {
  if (ev.data?.type !== 'start') return;
  runImport(ev.data.files, (msg, transfer) => scope.postMessage(msg, { transfer })).catch((e: unknown) =>
    scope.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) }),
  );
};
