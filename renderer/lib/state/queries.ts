/**
 * One query at a time, run through the Bridge: start (`vql:run`, `artifacts:collect`), rows
 * streamed from `vql:rows` pushes into a RowSource the results table reads, logs, Stop
 * (`vql:cancel`), and the end (`vql:done`: rows, ms, cancelled, error). Plain TypeScript with a
 * subscribe(): the console cells and the run form wrap it, the tests drive it without a DOM.
 */
import type { Bridge, CollectionDownload, QueryId, Result, SerializedError } from '../../../main/ipc/contract.ts';
import { RowSource } from '../table/source.ts';
import type { Connection } from '../connection.ts';

/** Where a run is. `failed` covers a refused start (parse error) and an error at the end. */
export type RunStatus = 'idle' | 'starting' | 'running' | 'done' | 'failed' | 'cancelled';

export interface LogLine {
  level: string;
  message: string;
}

/** A snapshot of the runner (replaced, never mutated, on every change). */
export interface RunState {
  status: RunStatus;
  rows: number;
  /** Duration reported by main at the end; 0 before. */
  ms: number;
  /** `performance.now()` at start, for a live elapsed time. */
  startedAt: number;
  error?: SerializedError;
  logs: readonly LogLine[];
  /** The collection container the run wrote (a collection with `container: true`), to fetch once. */
  collection?: CollectionDownload;
}

type Push =
  | { kind: 'rows'; id: QueryId; rows: string[] }
  | { kind: 'log'; id: QueryId; level: string; message: string }
  | { kind: 'done'; id: QueryId; summary: { rows: number; ms: number; cancelled: boolean; error?: SerializedError; collection?: CollectionDownload } };

const MAX_LOGS = 1000;

/** A pushed row; text that is not a JSON object still shows (as `_raw`) rather than failing. */
export function parseRowJson(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { _value: v };
  } catch {
    return { _raw: text };
  }
}

/** Runs queries over a Bridge; one runner per console cell or run form. */
export class QueryRunner {
  /** The rows of the current (or last) run. */
  readonly source = new RowSource();
  private current: RunState = { status: 'idle', rows: 0, ms: 0, startedAt: 0, logs: [] };
  private readonly listeners = new Set<(s: RunState) => void>();
  private id: QueryId | null = null;
  /** Pushes that arrive before the start's reply names the id (main may be that fast). */
  private early: Push[] | null = null;
  private stopWanted = false;
  /** Bumped per start, so a slow reply to an older start cannot take over. */
  private seq = 0;
  private readonly unsubscribe: Array<() => void>;

  /** `bridge.connection`, when the bridge has one (the web host's: lib/api.ts), ends a running query on a loss. */
  constructor(private readonly bridge: Bridge & { connection?: Pick<Connection, 'subscribe'> }) {
    this.unsubscribe = [
      bridge.subscribe('vql:rows', (id, rows) => this.take({ kind: 'rows', id, rows })),
      bridge.subscribe('vql:log', (id, level, message) => this.take({ kind: 'log', id, level, message })),
      bridge.subscribe('vql:done', (id, summary) => this.take({ kind: 'done', id, summary })),
    ];
    if (bridge.connection) this.unsubscribe.push(bridge.connection.subscribe((s) => s.state === 'lost' && this.lost()));
  }

  get state(): RunState {
    return this.current;
  }

  get isBusy(): boolean {
    return this.current.status === 'starting' || this.current.status === 'running';
  }

  /** Calls `fn` on every change; returns the unsubscribe function. */
  subscribe(fn: (s: RunState) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Runs VQL text. Resolves once started (or refused: a parse error is `failed` with its span). */
  run(query: string, env?: Record<string, string>): Promise<RunState> {
    return this.start(() => this.bridge.invoke('vql:run', { query, ...(env ? { env } : {}) }));
  }

  /**
   * Collects an artifact with parameter text `args`; `container`: also into a collection zip (the
   * end carries it); `evidence`: against a disk image, partition image, folder or remapping .yaml.
   */
  collect(artifact: string, args: Record<string, string> = {}, opts: { container?: boolean; ignorePreconditions?: boolean; evidence?: string } = {}): Promise<RunState> {
    return this.start(() => this.bridge.invoke('artifacts:collect', {
      artifact, args,
      ...(opts.container ? { container: true } : {}),
      ...(opts.ignorePreconditions ? { ignorePreconditions: true } : {}),
      ...(opts.evidence ? { evidence: opts.evidence } : {}),
    }));
  }

  /** Streams any request answered with a query id (the log browser's `store:open`) like a run. */
  open(invoke: () => Promise<Result<QueryId>>): Promise<RunState> {
    return this.start(invoke);
  }

  /** Stops the running query; its rows so far stay. */
  stop(): void {
    if (this.id) this.bridge.send('vql:cancel', this.id);
    else if (this.current.status === 'starting') this.stopWanted = true;
  }

  /** Stops and detaches (the cell or form went away). */
  dispose(): void {
    this.stop();
    for (const u of this.unsubscribe) u();
    this.listeners.clear();
  }

  private async start(invoke: () => Promise<Result<QueryId>>): Promise<RunState> {
    // A new run replaces the old one; the old one keeps no rows or pushes here.
    if (this.id) this.bridge.send('vql:cancel', this.id);
    const seq = ++this.seq;
    this.id = null;
    this.early = [];
    this.stopWanted = false;
    this.source.clear();
    this.set({ status: 'starting', rows: 0, ms: 0, startedAt: performance.now(), logs: [] });
    const r = await invoke();
    if (seq !== this.seq) {
      // Run was pressed again meanwhile: this start is already superseded.
      if (r.ok) this.bridge.send('vql:cancel', r.value);
      return this.current;
    }
    const early = this.early ?? [];
    this.early = null;
    if (!r.ok) {
      this.set({ ...this.current, status: 'failed', error: r.error });
      return this.current;
    }
    this.id = r.value;
    this.set({ ...this.current, status: 'running' });
    for (const p of early) this.take(p);
    if (this.stopWanted && this.id) this.bridge.send('vql:cancel', this.id);
    return this.current;
  }

  /**
   * The connection to the host was lost: the host cancels a connection's queries when it closes,
   * so a running query has ended, and its `vql:done` will never come. (A start still waiting for
   * its reply fails by itself: the bridge answers it `Disconnected`.)
   */
  private lost(): void {
    if (this.current.status !== 'running') return;
    this.id = null;
    this.set({
      ...this.current,
      status: 'failed',
      rows: this.source.rowCount,
      error: { code: 'Disconnected', message: 'the connection to the workbench host was lost, which stopped this query; the rows received so far are kept: run it again once the page has reconnected' },
    });
  }

  private take(p: Push): void {
    if (this.early) {
      this.early.push(p);
      return;
    }
    if (p.id !== this.id) return;
    if (p.kind === 'rows') {
      this.source.append(p.rows.map(parseRowJson));
      this.set({ ...this.current, rows: this.source.rowCount });
    } else if (p.kind === 'log') {
      const logs = [...this.current.logs, { level: p.level, message: p.message }].slice(-MAX_LOGS);
      this.set({ ...this.current, logs });
    } else {
      const s = p.summary;
      this.id = null;
      const status: RunStatus = s.cancelled ? 'cancelled' : s.error ? 'failed' : 'done';
      this.set({ ...this.current, status, rows: this.source.rowCount, ms: s.ms, ...(s.error ? { error: s.error } : {}), ...(s.collection ? { collection: s.collection } : {}) });
    }
  }

  private set(s: RunState): void {
    this.current = s;
    for (const fn of this.listeners) fn(s);
  }
}
