/**
 * The app's collector: the same Collector, events file and datastore as `vql monitor`, made
 * once per app process (`vql serve`, the Electron main) and shared by every window or web
 * connection. Starting an event artifact writes it into the events file and reloads (only that
 * query starts); stopping removes it. When another collector (`vql monitor`) already writes the
 * datastore, the app does not start a second one: event requests answer `CollectorBusy` with
 * the holder's pid, and are retried on the next request; the log browser still reads the files.
 */
import { artifactFoldersFile } from '../artifacts/folders.ts';
import { mkdirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventArtifactStatus, EventsBackfill, EventsStartRequest } from '../ipc/contract.ts';
import { Collector } from '../collector/collector.ts';
import { CollectorBusyError } from '../collector/lock.ts';
import { dayName } from '../collector/paths.ts';
import type { MonitorLogEntry } from '../collector/monitor-log.ts';
import type { Subscription } from '../collector/subscriptions.ts';
import { RowCounter } from '../logs/counts.ts';
import { checkEventStart, editEventsFile, EventsConfigError, readEventsConfig } from './collector-config.ts';
import { StatusBoard } from './collector-status.ts';
import { countDay, dayParts } from '../logs/store.ts';
import { backfill } from '../logs/backfill.ts';

export interface AppCollectorOptions {
  readonly datastore: string;
  /** Default `<datastore>/events.yaml`, as for `vql monitor`. */
  readonly eventsFile?: string;
  /** Artifact folders. */
  readonly definitions?: readonly string[];
  /** The user's own artifacts folder (created when missing), so artifacts saved in the app can run. */
  readonly userArtifacts?: string;
  readonly allowExecve?: boolean;
  /** Rows are written at least this often (default 1000 ms). */
  readonly maxWaitMs?: number;
  /** Status is pushed this often while something runs (default 2000 ms). */
  readonly statusMs?: number;
  /** Names this process in the datastore lock (`vql serve`, `the desktop app`). */
  readonly owner?: string;
  /** Collector log entries also go here (e.g. stderr). */
  readonly echo?: (e: MonitorLogEntry) => void;
}

export { EventsConfigError };

/** The app's one collector (see above); made by `AppCollector.open`, ended by `close()`. */
export class AppCollector {
  readonly datastore: string;
  readonly eventsFile: string;
  /** Row counts of day files, shared by the status and the log browser. */
  readonly counter = new RowCounter();
  private collector: Collector | null = null;
  private busyMessage: string | null = null;
  private readonly board = new StatusBoard();
  private readonly listeners = new Set<(s: EventArtifactStatus[]) => void>();
  private readonly timer: NodeJS.Timeout;
  private lastPushed = '';
  private lastTickError = '';
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(private readonly opts: AppCollectorOptions) {
    this.datastore = opts.datastore;
    this.eventsFile = opts.eventsFile ?? join(opts.datastore, 'events.yaml');
    this.timer = setInterval(() => void this.tick(), opts.statusMs ?? 2000);
    this.timer.unref();
  }

  /** Opens the datastore and starts the events file's artifacts; never throws for a busy datastore (see `busy`). */
  static async open(opts: AppCollectorOptions): Promise<AppCollector> {
    const app = new AppCollector(opts);
    try {
      await app.tryStart();
    } catch (e) {
      if (!(e instanceof EventsConfigError && e.code === 'CollectorBusy')) {
        await app.close();
        throw e;
      }
    }
    return app;
  }

  /** Why this process does not collect (another collector writes the datastore), or null. */
  get busy(): string | null {
    return this.busyMessage;
  }

  private async tryStart(): Promise<Collector> {
    if (this.collector) return this.collector;
    if (this.closed) throw new EventsConfigError('Closed', 'the app is shutting down');
    const user = this.opts.userArtifacts;
    if (user) mkdirSync(user, { recursive: true });
    const c = new Collector({
      datastore: this.datastore,
      eventsFile: this.eventsFile,
      definitions: [...(this.opts.definitions ?? []), ...(user ? [user] : [])],
      ...(user ? { foldersFile: artifactFoldersFile(user) } : {}),
      allowExecve: this.opts.allowExecve,
      maxWaitMs: this.opts.maxWaitMs,
      lockOwner: this.opts.owner ?? 'the vql-workbench app',
      echo: (e) => {
        this.board.onLog(e);
        this.opts.echo?.(e);
      },
    });
    try {
      await c.start();
    } catch (e) {
      if (!(e instanceof CollectorBusyError)) throw e;
      this.busyMessage = e.message;
      throw new EventsConfigError('CollectorBusy', e.message);
    }
    this.busyMessage = null;
    this.collector = c;
    return c;
  }

  /** Runs the operations that change the events file one after another (two windows may click at once). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  /** The status of every artifact in the events file. */
  async status(): Promise<EventArtifactStatus[]> {
    const c = await this.tryStart();
    const config = readEventsConfig(this.eventsFile);
    const configured = config.artifacts.map((artifact) => ({ artifact, parameters: Object.fromEntries(config.parameters.get(artifact) ?? []) }));
    const today = new Map<string, number>();
    for (const { artifact } of configured) today.set(artifact, await this.rowsToday(c, artifact));
    return this.board.compose(configured, c.status(), today);
  }

  /** Rows in today's (UTC) day files of an artifact and its sources. */
  private async rowsToday(c: Collector, artifact: string): Promise<number> {
    const day = dayName(new Date());
    const dir = c.store.dir(artifact);
    const dirs = [dir];
    try {
      for (const e of await readdir(dir, { withFileTypes: true })) if (e.isDirectory()) dirs.push(join(dir, e.name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw e;
    }
    let rows = 0;
    for (const d of dirs) rows += (await countDay(this.counter, (await dayParts(d)).get(day) ?? [])).rows;
    return rows;
  }

  /** Adds (or updates) an artifact with its parameters in the events file; the collector starts it. */
  start(req: EventsStartRequest): Promise<EventArtifactStatus[]> {
    return this.serial(async () => {
      const c = await this.tryStart();
      let params: Map<string, string>;
      try {
        params = checkEventStart(c.repo, req?.artifact, req?.parameters);
      } catch (e) {
        // An artifact saved a moment ago: the collector's watcher may not have seen it yet.
        if (!(e instanceof EventsConfigError) || e.code !== 'NotFound') throw e;
        await c.reload();
        params = checkEventStart(c.repo, req?.artifact, req?.parameters);
      }
      editEventsFile(this.eventsFile, (config) => {
        if (!config.artifacts.includes(req.artifact)) config.artifacts.push(req.artifact);
        if (params.size) config.parameters.set(req.artifact, params);
        else config.parameters.delete(req.artifact);
      });
      await c.reload();
      return this.broadcast();
    });
  }

  /** Removes an artifact from the events file; the collector stops it (its rows are written first). */
  stop(artifact: string): Promise<EventArtifactStatus[]> {
    return this.serial(async () => {
      const c = await this.tryStart();
      if (typeof artifact !== 'string') throw new EventsConfigError('BadRequest', 'events:stop needs an artifact name');
      const config = readEventsConfig(this.eventsFile);
      if (config.artifacts.includes(artifact)) {
        editEventsFile(this.eventsFile, (cfg) => {
          cfg.artifacts = cfg.artifacts.filter((a) => a !== artifact);
          cfg.parameters.delete(artifact);
        });
        await c.reload();
      }
      return this.broadcast();
    });
  }

  /** Live rows of an artifact (and its sources) as the collector receives them. */
  async subscribe(artifact: string, capacity?: number): Promise<Subscription> {
    return (await this.tryStart()).subscribe(artifact, capacity);
  }

  /** Today's rows of an artifact already in its day files, up to the seam with its live rows (main/logs/backfill.ts). */
  async backfill(artifact: string, limit: number): Promise<EventsBackfill> {
    const c = await this.tryStart();
    const running = c.status().some((q) => q.artifact === artifact.split('/')[0]);
    return backfill({ dir: c.store.dir(artifact), running, flush: () => c.flush(artifact) }, limit);
  }

  /** Calls `fn` with the status when it changes, and every few seconds while something runs. */
  onStatus(fn: (s: EventArtifactStatus[]) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private async broadcast(): Promise<EventArtifactStatus[]> {
    const s = await this.status();
    this.lastPushed = JSON.stringify(s);
    for (const fn of this.listeners) fn(s);
    return s;
  }

  private async tick(): Promise<void> {
    if (!this.listeners.size || !this.collector || this.closed) return;
    try {
      const s = await this.status();
      this.lastTickError = '';
      const text = JSON.stringify(s);
      if (text === this.lastPushed && !s.some((x) => x.state !== 'failed')) return;
      this.lastPushed = text;
      for (const fn of this.listeners) fn(s);
    } catch (e) {
      // A status that cannot be read now (an events file broken by hand) is tried again next
      // tick; it is reported once, not every tick.
      const message = `status: ${(e as Error).message}`;
      if (message !== this.lastTickError) this.opts.echo?.({ ts: new Date().toISOString(), level: 'warn', event: 'info', message });
      this.lastTickError = message;
    }
  }

  /** Stops the collector (writing what it received) and releases the datastore. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.listeners.clear();
    await this.queue;
    await this.collector?.stop();
    this.collector = null;
  }
}
