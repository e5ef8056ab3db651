/**
 * Runs the CSV import in-process for tests: the real pipeline (Blob slices, TextDecoder,
 * papaparse, encoders) posting to the real CsvImportJob through a worker stand-in.
 */
import { CsvImportJob, type ImportState, type WorkerLike } from '../../renderer/lib/csv/import-job.ts';
import { runImport, type PieceSizes } from '../../renderer/lib/csv/pipeline.ts';
import type { CsvStore } from '../../renderer/lib/csv/store.ts';
import type { Cell } from '../../renderer/lib/table/source.ts';
import type { StartMessage, WorkerMessage } from '../../renderer/lib/csv/types.ts';

/** A worker stand-in that runs the pipeline in this thread (messages delivered asynchronously). */
export class InlineWorker implements WorkerLike {
  onmessage: ((ev: MessageEvent<WorkerMessage>) => void) | null = null;
  onerror: ((ev: ErrorEvent) => void) | null = null;
  terminated = false;
  constructor(private readonly sizes?: PieceSizes) {}
  postMessage(msg: StartMessage): void {
    void runImport(msg.files, (m) => {
      if (!this.terminated) setImmediate(() => !this.terminated && this.onmessage?.({ data: m } as MessageEvent<WorkerMessage>));
    }, this.sizes).catch((e: Error) => this.onmessage?.({ data: { type: 'error', message: e.message } } as MessageEvent<WorkerMessage>));
  }
  terminate(): void {
    this.terminated = true;
  }
}

export interface Imported {
  store: CsvStore;
  state: ImportState;
  /** Column names with their types, `name:type`. */
  types: string[];
  /** Every row as cells. */
  rows: Cell[][];
}

/** Imports texts (or raw bytes) as files, in order, with small pieces so chunk boundaries are exercised. */
export async function importFiles(files: Array<{ name: string; data: string | Uint8Array }>, sizes: PieceSizes = { read: 4096, piece: 1000, first: 300 }): Promise<Imported> {
  return new Promise((resolve) => {
    const job = new CsvImportJob(
      files.map((f) => ({ name: f.name, file: new Blob([f.data as BlobPart]) })),
      new InlineWorker(sizes),
      (state) => {
        if (state.phase === 'running') return;
        const store = job.store;
        const rows: Cell[][] = [];
        for (let r = 0; r < store.rowCount; r++) rows.push(store.columns.map((_, c) => store.cell(r, c)));
        resolve({ store, state, types: store.columns.map((c) => `${c.name}:${c.type}`), rows });
      },
    );
  });
}

/** Imports one text as `data.csv`. */
export function importText(text: string, sizes?: PieceSizes): Promise<Imported> {
  return importFiles([{ name: 'data.csv', data: text }], sizes);
}
