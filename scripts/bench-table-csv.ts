// The CSV store as the results table sees it after a real import, for scripts/bench-table.ts:
// the rows are written as CSV, read back through the import pipeline (Blob slices, TextDecoder,
// papaparse, encoders) into a CsvStore by the real CsvImportJob. The worker is stood in for by
// this thread, but each message crosses a structured clone as it does between a worker and the
// page, so the store holds the same flat strings and typed arrays it holds in the app.
import { CsvImportJob, type WorkerLike } from '../renderer/lib/csv/import-job.ts';
import { runImport } from '../renderer/lib/csv/pipeline.ts';
import type { CsvStore } from '../renderer/lib/csv/store.ts';
import type { StartMessage, WorkerMessage } from '../renderer/lib/csv/types.ts';
import { isoTime } from '../renderer/lib/table/cell-text.ts';
import type { Cell, ColumnInfo } from '../renderer/lib/table/source.ts';

/** Runs the import pipeline in this thread, cloning each message like postMessage does. */
class ClonedWorker implements WorkerLike {
  onmessage: ((ev: MessageEvent<WorkerMessage>) => void) | null = null;
  onerror: ((ev: ErrorEvent) => void) | null = null;
  postMessage(msg: StartMessage): void {
    void runImport(msg.files, (m) => {
      const copy = structuredClone(m);
      setImmediate(() => this.onmessage?.({ data: copy } as MessageEvent<WorkerMessage>));
    }).catch((e: Error) => this.onmessage?.({ data: { type: 'error', message: e.message } } as MessageEvent<WorkerMessage>));
  }
  terminate(): void {}
}

/** One CSV field: quoted when it holds a delimiter, quote or line break. */
function field(v: Cell, type: ColumnInfo['type']): string {
  const s = v === null ? '' : type === 'timestamp' ? isoTime(v as number) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes the columns as CSV text pieces (about 1 MB each: no single giant string). */
function csvParts(columns: readonly ColumnInfo[], data: ReadonlyArray<ArrayLike<Cell>>, n: number): string[] {
  const parts: string[] = [];
  let s = columns.map((c) => c.name).join(',') + '\n';
  for (let r = 0; r < n; r++) {
    s += columns.map((c, k) => field(data[k][r], c.type)).join(',') + '\n';
    if (s.length > 1 << 20) {
      parts.push(s);
      s = '';
    }
  }
  parts.push(s);
  return parts;
}

/** Imports the columns through the CSV pipeline; resolves with the store and the import time. */
export function importedStore(columns: readonly ColumnInfo[], data: ReadonlyArray<ArrayLike<Cell>>, n: number): Promise<{ store: CsvStore; ms: number }> {
  const file = new Blob(csvParts(columns, data, n));
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const job = new CsvImportJob([{ name: 'bench.csv', file }], new ClonedWorker(), (state) => {
      if (state.phase === 'done') resolve({ store: job.store, ms: performance.now() - t0 });
      else if (state.phase !== 'running') reject(new Error(`the CSV import ended ${state.phase}: ${state.error ?? ''}`));
    });
  });
}
