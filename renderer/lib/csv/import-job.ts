/**
 * One import on the page side: starts the worker, applies its batches to a CsvStore, keeps the
 * problems and the progress, and tells the view (throttled, so a fast import does not redraw the
 * table hundreds of times a second). Cancel terminates the worker and keeps the rows so far.
 */
import { CsvStore } from './store.ts';
import { MAX_PROBLEMS, type ImportProblem, type StartMessage, type WorkerMessage } from './types.ts';

/** The part of a Worker the job uses (a test can pass a stand-in). */
export interface WorkerLike {
  onmessage: ((ev: MessageEvent<WorkerMessage>) => void) | null;
  onerror: ((ev: ErrorEvent) => void) | null;
  postMessage(msg: StartMessage): void;
  terminate(): void;
}

/** What the view shows about an import. */
export interface ImportState {
  phase: 'running' | 'done' | 'cancelled' | 'failed';
  bytesDone: number;
  bytesTotal: number;
  rows: number;
  /** Problems kept for the panel (the first MAX_PROBLEMS), and how many there were in all. */
  problems: ImportProblem[];
  problemCount: number;
  files: Array<{ name: string; delimiter: string }>;
  ms: number;
  error?: string;
}

/** Minimum time between table refreshes while rows stream in. */
const REFRESH_MS = 150;

/** A running (or finished) import of one or more files into one table. */
export class CsvImportJob {
  readonly store: CsvStore;
  readonly state: ImportState;
  private readonly started = performance.now();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private firstShown = false;

  constructor(
    files: Array<{ file: Blob; name: string }>,
    private readonly worker: WorkerLike,
    private readonly onchange: (state: ImportState) => void,
  ) {
    this.store = new CsvStore(files.length > 1);
    this.state = {
      phase: 'running', bytesDone: 0, bytesTotal: files.reduce((n, f) => n + f.file.size, 0), rows: 0,
      problems: [], problemCount: 0, files: [], ms: 0,
    };
    worker.onmessage = (ev) => this.receive(ev.data);
    worker.onerror = (ev) => this.finish('failed', `the import worker failed: ${ev.message || 'unknown error'}`);
    worker.postMessage({ type: 'start', files });
  }

  /** Stops reading; the rows imported so far stay. */
  cancel(): void {
    if (this.state.phase !== 'running') return;
    this.worker.terminate();
    this.finish('cancelled');
  }

  private receive(msg: WorkerMessage): void {
    if (this.state.phase !== 'running') return;
    switch (msg.type) {
      case 'file':
        this.store.addFile(msg.name, msg.firstRow);
        this.state.files.push({ name: msg.name, delimiter: msg.delimiter });
        break;
      case 'batch': {
        this.store.apply(msg);
        const s = this.state;
        s.rows = this.store.rowCount;
        s.bytesDone = msg.bytesDone;
        s.problemCount += msg.problems.length;
        for (const p of msg.problems) if (s.problems.length < MAX_PROBLEMS) s.problems.push(p);
        this.refreshSoon();
        return;
      }
      case 'done':
        // The worker counts problems past the panel's cap too.
        this.state.problemCount = msg.problems;
        this.worker.terminate();
        this.finish('done');
        return;
      case 'error':
        this.worker.terminate();
        this.finish('failed', msg.message);
        return;
    }
  }

  private refreshSoon(): void {
    if (!this.firstShown && this.store.rowCount > 0) {
      this.firstShown = true;
      this.refresh();
      return;
    }
    this.timer ??= setTimeout(() => this.refresh(), REFRESH_MS);
  }

  private refresh(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.state.ms = performance.now() - this.started;
    this.store.notify();
    this.onchange(this.state);
  }

  private finish(phase: ImportState['phase'], error?: string): void {
    this.state.phase = phase;
    if (error) this.state.error = error;
    this.refresh();
  }
}
