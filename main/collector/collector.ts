/**
 * The local collector: runs the event artifacts of the events file forever and appends their
 * rows to daily CSV files (see store.ts for the layout contract), or with `logFormat: 'jsonl'`
 * to Velociraptor's daily JSONL files and their time index (jsonl-store.ts). It notices changes to the
 * events file and to artifact definitions and restarts only the affected queries; a change
 * that fails to load is reported (file:line:column) and the previous configuration keeps
 * running. A first start with an events file that does not load can fail instead (an
 * EventsFileError, for `vql monitor`, which then exits non-zero). The same code
 * runs in `vql monitor` and in the desktop app. Each event query runs on a worker thread of its
 * own (event-query.ts): one that is stuck cannot stall the others, nor this thread's timers.
 */
import { existsSync, mkdirSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Registry, Value } from '../vql/index.ts';
import { createHostRegistry } from '../host/index.ts';
import { Repository, installArtifactPlugins, cliArgValue, formatProblem, type ArtifactProblem, type LoadedArtifact } from '../artifacts/index.ts';
import { ToolInventory, attachTools, datastoreTools } from '../artifacts/tools.ts';
import { openStore, type LogFormat } from './stores.ts';
import type { DayStore } from './day-store.ts';
import { MonitorLog, monitorLogPath, type MonitorLogEntry } from './monitor-log.ts';
import { EventQuery, type QueryIsolation } from './event-query.ts';
import { resolveWorkerEntry } from '../app/worker-script.ts';
import { checkEvents, loadEventsFile, type EventsConfig } from './events-file.ts';
import { BudgetWatch, DEFAULT_BUDGETS, type Budgets } from './budgets.ts';
import { Subscriptions, type Subscription } from './subscriptions.ts';
import { acquireDatastoreLock } from './lock.ts';

export interface CollectorOptions {
  readonly datastore: string;
  /** Default: `<datastore>/events.yaml`. */
  readonly eventsFile?: string;
  readonly definitions?: readonly string[];
  /** Folders added in the app (artifacts/folders.ts), loaded before `definitions`. */
  readonly foldersFile?: string;
  readonly allowExecve?: boolean;
  /** Rows are written at least this often (default 1000 ms). */
  readonly maxWaitMs?: number;
  /** Delete day files older than this many days (checked hourly). */
  readonly keepDays?: number;
  /** The files rows go to: `csv` (default) or `jsonl` (Velociraptor's `<day>.json` + `.json.tidx`). */
  readonly logFormat?: LogFormat;
  /** Watch the events file and artifact folders (default true). */
  readonly watch?: boolean;
  /** Log entries also go here (stderr for `vql monitor`). */
  readonly echo?: (e: MonitorLogEntry) => void;
  /** The clock for day files and log times (tests inject one). */
  readonly now?: () => Date;
  readonly registry?: Registry;
  /** Who holds the datastore's lock, for the error another collector gets (`vql monitor`, `the desktop app`). */
  readonly lockOwner?: string;
  /**
   * Where event queries run: 'worker' (default), each on a worker thread of its own, or
   * 'inline', all on this thread (one long step then stalls them all). 'inline' is the
   * default when `registry` is given: a registry object cannot cross to a worker.
   */
  readonly isolation?: 'worker' | 'inline';
  /** The query worker script (default: found next to this module or the bundle). */
  readonly workerScript?: string;
  /** A query's worker not heard from for this long is terminated and the query restarted (default 10 000 ms). */
  readonly watchdogMs?: number;
  /** Heap limit of each query's worker, MB (default 1024). */
  readonly queryMemoryMb?: number;
  /** Modules that add plugins to every query's engine: each exports registerPlugins(registry). */
  readonly pluginModules?: readonly string[];
  /** The CPU and memory budgets (default DEFAULT_BUDGETS). */
  readonly budgets?: Partial<Budgets>;
  /**
   * At start, an events file that does not load, or that lists artifacts none of which can run,
   * makes start() throw an EventsFileError (`vql monitor` exits with it) instead of running
   * nothing until the file is fixed (the app's default: it shows the problem and waits).
   */
  readonly failOnBadEventsFile?: boolean;
}

/** The events file could not be used at start (see CollectorOptions.failOnBadEventsFile). */
export class EventsFileError extends Error {
  constructor(readonly problems: readonly ArtifactProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'EventsFileError';
  }
}

/** Defaults of the isolation limits. */
export const DEFAULT_WATCHDOG_MS = 10_000;
export const DEFAULT_QUERY_MEMORY_MB = 1024;

/** What `vql monitor --status` shows per artifact. */
export interface QueryStatus {
  artifact: string;
  state: string;
  rowsWritten: number;
  restarts: number;
  lastError: string | null;
}

/** The status file the running collector keeps up to date. */
export function statusPath(datastore: string): string {
  return join(datastore, 'monitor-status.json');
}

export class Collector {
  readonly store: DayStore;
  readonly log: MonitorLog;
  readonly repo: Repository;
  readonly registry: Registry;
  readonly eventsFile: string;
  private config: EventsConfig = { artifacts: [], version: 0, parameters: new Map() };
  private readonly queries = new Map<string, EventQuery>();
  private readonly subs = new Subscriptions();
  private watchers: Array<() => void> = [];
  private timers: NodeJS.Timeout[] = [];
  private budgets: BudgetWatch | null = null;
  private reloading: Promise<void> = Promise.resolve();
  private statusBroken = false;
  private releaseLock: () => void = () => {};
  readonly started = new Date();
  /** How event queries are isolated; null when they run on this thread. */
  readonly isolation: QueryIsolation | null = null;

  constructor(readonly opts: CollectorOptions) {
    const now = opts.now ?? (() => new Date());
    mkdirSync(opts.datastore, { recursive: true });
    this.eventsFile = opts.eventsFile ?? join(opts.datastore, 'events.yaml');
    this.log = new MonitorLog(monitorLogPath(opts.datastore), opts.echo, now);
    // A damaged day file met while appending (it changed after start) is reported in the monitor log.
    this.store = openStore(opts.logFormat ?? 'csv', { datastore: opts.datastore, now, warn: (m) => this.log.write('warn', 'storage', m) });
    this.registry = opts.registry ?? createHostRegistry({ allowExecve: opts.allowExecve });
    this.repo = new Repository({ definitions: opts.definitions ?? [], foldersFile: opts.foldersFile });
    installArtifactPlugins(this.registry, this.repo);
    // Artifacts' tools and local state live in this datastore (<datastore>/tools, /local).
    const tools = datastoreTools(opts.datastore);
    if (!opts.registry) attachTools(this.registry, new ToolInventory(tools));
    const entry = this.wantsWorkers ? resolveWorkerEntry(opts.workerScript) : null;
    if (entry) {
      const repo = this.repo;
      this.isolation = {
        entry,
        // Read at each (re)start of a query: folders added in the app since count too.
        get definitions() {
          return repo.folders();
        },
        allowExecve: opts.allowExecve ?? false,
        pluginModules: opts.pluginModules,
        tools,
        watchdogMs: opts.watchdogMs ?? DEFAULT_WATCHDOG_MS,
        memoryMb: opts.queryMemoryMb ?? DEFAULT_QUERY_MEMORY_MB,
      };
    }
  }

  /** Whether event queries are to run on workers (see CollectorOptions.isolation). */
  private get wantsWorkers(): boolean {
    return (this.opts.isolation ?? (this.opts.registry ? 'inline' : 'worker')) === 'worker';
  }

  /** Repairs the files of a previous crash, loads the configuration and starts the queries. */
  async start(): Promise<void> {
    // Before repair(): truncating the tail of a file another collector is appending to would lose rows.
    this.releaseLock = acquireDatastoreLock(this.opts.datastore, this.opts.lockOwner ?? 'a collector');
    try {
      await this.startLocked();
    } catch (e) {
      this.releaseLock();
      throw e;
    }
  }

  private async startLocked(): Promise<void> {
    const repaired = await this.store.repair();
    for (const f of repaired) this.log.write('warn', 'storage', this.store.repairNote(f));
    if (!existsSync(this.eventsFile)) {
      mkdirSync(dirname(this.eventsFile), { recursive: true });
      writeFileSync(this.eventsFile, 'Events:\n  artifacts: []\n  version: 1\n');
    }
    for (const p of this.repo.problems) this.log.write(p.severity === 'error' ? 'error' : 'warn', 'reload', formatProblem(p));
    this.log.write('info', 'start', `collector started for client ${this.store.clientId}, datastore ${this.opts.datastore}, ${this.store.logFormat === 'jsonl' ? 'JSONL day files (Velociraptor layout)' : 'CSV day files'}`, { pid: process.pid, clientId: this.store.clientId, logFormat: this.store.logFormat });
    if (!this.isolation && this.wantsWorkers) {
      this.log.write('warn', 'start', `the query worker (query-worker.js) was not found${this.opts.workerScript ? ` at ${this.opts.workerScript}` : ''}: event queries run on the collector's thread, where one stuck query stalls the others`);
    }
    if (!this.isolation) {
      for (const m of this.opts.pluginModules ?? []) {
        const mod = (await import(pathToFileURL(m).href)) as { registerPlugins: (r: Registry) => void };
        mod.registerPlugins(this.registry);
      }
    }
    const first = await this.applyEvents(new Set(), true);
    if (this.opts.failOnBadEventsFile && first.problems.length && this.queries.size === 0) throw new EventsFileError(first.problems);
    this.budgets = new BudgetWatch(() => [...this.queries.values()], this.log, { ...DEFAULT_BUDGETS, ...this.opts.budgets });
    this.budgets.start();
    this.timers.push(setInterval(() => this.writeStatus(), 2000));
    this.timers.push(setInterval(() => this.logRows(), 60_000));
    if (this.opts.keepDays !== undefined) {
      const retain = () => void this.retain();
      retain();
      this.timers.push(setInterval(retain, 3_600_000));
    }
    if (this.opts.watch !== false) this.startWatching();
    this.writeStatus();
  }

  /** Stops every query (writing what they received), the watchers and the store. */
  async stop(): Promise<void> {
    for (const w of this.watchers) w();
    this.watchers = [];
    for (const t of this.timers) clearInterval(t);
    this.budgets?.stop();
    await this.reloading;
    await Promise.all([...this.queries.values()].map((q) => q.stop()));
    this.logRows();
    this.queries.clear();
    this.writeStatus(false);
    await this.store.close();
    this.subs.closeAll();
    this.log.write('info', 'stop', 'collector stopped');
    this.releaseLock();
  }

  /** Re-reads the events file and the artifact folders, restarting only what changed. */
  reload(): Promise<void> {
    this.reloading = this.reloading.then(async () => {
      const change = this.repo.reload();
      for (const p of this.repo.problems) if (p.severity === 'error') this.log.write('error', 'reload', formatProblem(p));
      const changed = new Set([...change.changed, ...change.added, ...change.removed]);
      await this.applyEvents(changed);
    });
    return this.reloading;
  }

  /** Rows of one artifact (or `Artifact/Source`) as they arrive; see Subscriptions. */
  subscribe(queryName: string, capacity?: number): Subscription {
    return this.subs.subscribe(queryName, capacity);
  }

  /**
   * Writes the rows an artifact's query (`Artifact` or `Artifact/Source`) has received so far;
   * resolves once they are on disk, or at once when it does not run. The live view's backfill
   * reads the day files after it (main/logs/backfill.ts).
   */
  async flush(queryName: string): Promise<void> {
    await this.queries.get(queryName.split('/')[0]!)?.flushAll();
  }

  status(): QueryStatus[] {
    return [...this.queries.values()].map((q) => ({ artifact: q.name, state: q.state, rowsWritten: q.rowsWritten, restarts: q.restarts, lastError: q.lastError }));
  }

  /** Applies the events file; returns its problems (each also logged). `first`: at start (no previous configuration). */
  private async applyEvents(changedArtifacts: ReadonlySet<string> = new Set(), first = false): Promise<{ problems: ArtifactProblem[] }> {
    const load = loadEventsFile(this.eventsFile);
    if (!load.config) {
      const keeps = first ? 'no event artifact runs until the file is fixed' : 'the previous configuration keeps running';
      for (const p of load.problems) this.log.write('error', 'reload', `${formatProblem(p)} (${keeps})`);
      return { problems: load.problems };
    }
    const next = load.config;
    // An artifact that no longer loads keeps its previous definition while it runs.
    const loadedOf = (name: string) => this.repo.get(name) ?? this.queries.get(name)?.loaded;
    const problems = checkEvents(next, (name) => {
      const a = loadedOf(name)?.artifact;
      return a ? { type: a.type, parameters: (a.parameters ?? []).map((p) => p.name) } : undefined;
    }, () => this.repo.names());
    const others = next.artifacts.length > 1 ? '; the other artifacts run' : '';
    for (const p of problems) this.log.write('error', 'reload', `${formatProblem(p)}${others}`, { artifact: p.artifact });
    const bad = new Set(problems.map((p) => p.artifact));
    const wanted = new Map<string, { loaded: LoadedArtifact; params: Map<string, Value> }>();
    for (const name of next.artifacts) {
      if (bad.has(name)) continue;
      const loaded = loadedOf(name)!;
      if (!this.repo.get(name)) this.log.write('error', 'reload', `${name} no longer loads; its previous definition keeps running`, { artifact: name });
      const params = new Map<string, Value>();
      const declared = loaded.artifact.parameters ?? [];
      for (const [k, v] of next.parameters.get(name) ?? []) params.set(k, cliArgValue(declared.find((d) => d.name === k)!, v));
      wanted.set(name, { loaded, params });
    }
    for (const [name, q] of this.queries) {
      const w = wanted.get(name);
      if (!w || w.loaded.raw !== q.loaded.raw || !sameParams(w.params, q.params) || (changedArtifacts.has(name) && this.repo.get(name))) {
        await q.stop();
        this.queries.delete(name);
        this.log.write('info', 'reload', `${name} stopped${w ? ' to restart with its new definition or parameters' : ': no longer in the events file'}`, { artifact: name });
      }
    }
    for (const [name, w] of wanted) {
      if (this.queries.has(name)) continue;
      const q = new EventQuery(w.loaded, w.params, {
        repo: this.repo,
        registry: this.registry,
        store: this.store,
        log: this.log,
        maxWaitMs: this.opts.maxWaitMs ?? 1000,
        batchRows: 5000,
        maxRowsPerSecond: rowsBudget(w.loaded),
        onRows: (query, rows) => this.subs.publish(query, rows),
        now: this.opts.now ?? (() => new Date()),
        isolation: this.isolation ?? undefined,
      });
      this.queries.set(name, q);
      q.start();
      this.log.write('info', 'reload', `${name} started${w.params.size ? ` with ${[...w.params].map(([k, v]) => `${k}=${String(v)}`).join(', ')}` : ''}`, { artifact: name });
    }
    this.config = next;
    return { problems };
  }

  private startWatching(): void {
    let timer: NodeJS.Timeout | null = null;
    const kick = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void this.reload(), 300);
    };
    const dir = dirname(this.eventsFile);
    const file = basename(this.eventsFile);
    try {
      const w: FSWatcher = watch(dir, (_type, name) => {
        if (name === file) kick();
      });
      this.watchers.push(() => w.close());
    } catch (e) {
      this.log.write('warn', 'reload', `cannot watch ${this.eventsFile}: ${(e as Error).message}; send SIGHUP to reload`);
    }
    this.watchers.push(this.repo.watch());
    this.repo.onChange(() => kick());
    this.watchers.push(() => timer && clearTimeout(timer));
  }

  private logRows(): void {
    for (const q of this.queries.values()) {
      this.log.write('info', 'rows', `${q.name}: ${q.rowsWritten} rows written since start`, { artifact: q.name, rowsWritten: q.rowsWritten });
    }
  }

  private async retain(): Promise<void> {
    try {
      const removed = await this.store.retain(this.opts.keepDays!);
      for (const f of removed) this.log.write('info', 'storage', `deleted ${f} (older than ${this.opts.keepDays} days)`);
    } catch (e) {
      this.log.write('error', 'storage', `retention failed: ${(e as Error).message}`);
    }
  }

  private writeStatus(running = true): void {
    const doc = {
      pid: process.pid,
      running,
      started: this.started.toISOString(),
      updated: new Date().toISOString(),
      clientId: this.store.clientId,
      logFormat: this.store.logFormat,
      eventsFile: this.eventsFile,
      queries: this.status(),
    };
    try {
      writeFileSync(statusPath(this.opts.datastore), JSON.stringify(doc, null, 1) + '\n');
      this.statusBroken = false;
    } catch (e) {
      if (!this.statusBroken) this.log.write('error', 'storage', `cannot write the status file: ${(e as Error).message}`);
      this.statusBroken = true;
    }
  }
}

function sameParams(a: ReadonlyMap<string, Value>, b: ReadonlyMap<string, Value>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/** Rows per second an event query may produce when its artifact sets no budget. */
export const DEFAULT_ROWS_PER_SECOND = 1_000_000;

/** The rows/s budget: `resources.ops_per_second` (Velociraptor's throttle; applied to rows here). */
function rowsBudget(loaded: LoadedArtifact): number {
  const r = loaded.artifact.resources;
  return r?.ops_per_second && r.ops_per_second > 0 ? r.ops_per_second : DEFAULT_ROWS_PER_SECOND;
}
