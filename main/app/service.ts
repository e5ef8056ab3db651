/**
 * The app's service: everything the renderer can ask (main/ipc/contract.ts), implemented over
 * the engine, the host plugins and the artifact repository, independent of the transport.
 * Electron IPC and the web host's WebSocket both call `invoke` / `send` and forward `push`.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, isAbsolute } from 'node:path';
import { isInside } from '../host/files/inside.ts';
import { randomUUID } from 'node:crypto';
import { describeRegistry, formatScript, parseScript, signature, type Registry, type VDict } from '../vql/index.ts';
import { loadArtifactText, type LoadedArtifact, type Repository } from '../artifacts/index.ts';
import { lintArtifact, lintQuery } from '../artifacts/lint.ts';
import { artifactsReach, hostOs } from '../artifacts/reach.ts';
import { folderProblem, readArtifactFolders, writeArtifactFolders } from '../artifacts/folders.ts';
import { artifactSizeProblem, utf8Size } from '../artifacts/size-limit.ts';
import type {
  ArtifactDetail, ArtifactFolder, ArtifactSummary, CollectionDownload, CompletionEntry, Invoke, InvokeChannel, Problem, Push, QueryId, Result, RowJson, SaveOptions, Send, SendChannel,
  SerializedError,
} from '../ipc/contract.ts';
import { createEngine, jobRows, pumpRows, runJob, toSerialized, type Batching, type JobEnd, type QueryJob } from './query-job.ts';
import { PendingCollection, saveCollection } from './collect-download.ts';
import { sharedWorkerPool, type WorkerPool } from './worker-pool.ts';
import { eventsHandlers, type AppCollector } from './events.ts';
import { packHandlers } from './packs.ts';
import { fileHandlers } from './files.ts';
import { tableHandlers } from './tables.ts';
import { collectionHandlers } from './collections.ts';
import { isInvokeChannel, isSendChannel } from '../ipc/channels.ts';
import { requestTooLarge } from '../ipc/limits.ts';

export { toSerialized };

export interface ServiceOptions {
  /** Where the user's own artifacts are saved (and loaded from). */
  readonly userArtifacts: string;
  readonly definitions?: readonly string[];
  readonly allowExecve?: boolean;
  /** Pushes to the renderer. */
  readonly push: <K extends keyof Push>(channel: K, ...args: Parameters<Push[K]>) => void;
  /** Rows are pushed at least this often (ms) or every `batchRows` rows. */
  readonly batchMs?: number;
  readonly batchRows?: number;
  /** The app's collector, shared by every window or connection (events and store requests). */
  readonly collector?: AppCollector;
  /**
   * Where `vql:run` and `artifacts:collect` execute: 'worker' (default) in worker threads, so
   * no engine step can block this process's event loop; 'inline' in this thread (as before:
   * small embeddings and tests that want it).
   */
  readonly isolation?: 'worker' | 'inline';
  /** The query worker script (default: found next to this module or bundle; see worker-script.ts). */
  readonly workerScript?: string;
  /** A pool of one's own (default: the pool shared by services with the same options). */
  readonly pool?: WorkerPool;
  /** Queries running at once on the pool (default MAX_RUNNING_QUERIES); more are refused with `Busy`. */
  readonly maxRunning?: number;
}

/**
 * Queries (`vql:run`, `artifacts:collect`) running at once on one worker pool, across every window
 * and connection: each worker thread holds an engine (about 10 MB), so 100 connections each
 * starting a query must not start 100 threads.
 */
export const MAX_RUNNING_QUERIES = 12;

/** The implementation of every request of the contract. */
export type Handlers = { [K in InvokeChannel]: (...args: Parameters<Invoke[K]>) => Promise<ReturnType<Invoke[K]>> | ReturnType<Invoke[K]> };
/** The implementation of every fire-and-forget message of the contract. */
export type SendHandlers = { [K in SendChannel]: (...args: Parameters<Send[K]>) => void };

/** What a domain's handlers (events, store, packs) get from the service. */
export interface ServiceContext {
  readonly opts: ServiceOptions;
  readonly registry: Registry;
  readonly repo: Repository;
}

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail(code: string, message: string): Result<never> {
  return { ok: false, error: { code, message } };
}

export class AppService {
  readonly registry: Registry;
  readonly repo: Repository;
  private readonly running = new Map<QueryId, AbortController>();
  readonly handlers: Handlers;
  readonly sendHandlers: SendHandlers;
  private readonly closeEvents: () => void;
  /** Null when queries run inline (by option, or when no worker script was found). */
  private readonly pool: WorkerPool | null;

  constructor(private readonly opts: ServiceOptions) {
    mkdirSync(opts.userArtifacts, { recursive: true });
    const engine = createEngine(opts);
    this.registry = engine.registry;
    this.repo = engine.repo;
    this.pool = opts.isolation === 'inline' ? null : opts.pool ?? sharedWorkerPool(opts);
    const ctx: ServiceContext = { opts, registry: this.registry, repo: this.repo };
    const events = eventsHandlers(ctx);
    const tables = tableHandlers(ctx);
    this.sendHandlers = { 'vql:cancel': (id) => this.cancel(id), ...events.send, ...tables.send };
    this.closeEvents = () => {
      events.close();
      tables.close();
    };
    this.handlers = {
      'vql:check': (q) => this.check(q),
      'vql:run': (req) => {
        // Parse first, so a syntax error is the reply (with its span) rather than a pushed end.
        try {
          parseScript(req.query);
        } catch (e) {
          return { ok: false, error: toSerialized(e) };
        }
        return this.startJob({ kind: 'query', query: req.query, env: req.env ?? {} });
      },
      'vql:format': (q) => {
        try {
          return ok(formatScript(parseScript(q)));
        } catch (e) {
          return { ok: false, error: toSerialized(e) };
        }
      },
      'artifacts:list': () => {
        // Files added, changed or removed by another window, tab or program: re-read (unchanged files are reused).
        this.repo.reload();
        const here = hostOs();
        const reach = new Map(artifactsReach(this.repo, this.registry, here).map((r) => [r.name, r]));
        const folders = this.repo.folders();
        return ok(this.repo.names().map((n) => {
          const r = reach.get(n);
          const summary = this.summary(this.repo.get(n)!, folders);
          return r ? { ...summary, reach: { runs: r.runs, os: [...r.os], forThisMachine: r.os.includes(here), missing: [...r.missing] } } : summary;
        }));
      },
      'artifacts:get': (name) => {
        const a = this.repo.get(name);
        return a ? ok(this.detail(a)) : fail('NotFound', `Artifact ${name} not found`);
      },
      'artifacts:check': (yaml) => ok(this.checkArtifact(yaml)),
      'artifacts:save': (yaml, opts) => this.save(yaml, opts),
      'artifacts:delete': (name) => this.remove(name),
      'artifacts:folders': () => ok(this.folders()),
      'artifacts:add-folder': (path) => this.changeFolders(path, true),
      'artifacts:remove-folder': (path) => this.changeFolders(path, false),
      'artifacts:collect': (req) => {
        const a = this.repo.get(req.artifact);
        if (!a) return fail('NotFound', `Artifact ${req.artifact} not found`);
        if (req.container !== undefined && typeof req.container !== 'boolean') return fail('BadRequest', 'artifacts:collect: container is true or false');
        if (req.ignorePreconditions !== undefined && typeof req.ignorePreconditions !== 'boolean') return fail('BadRequest', 'artifacts:collect: ignorePreconditions is true or false');
        if (req.evidence !== undefined && (typeof req.evidence !== 'string' || !isAbsolute(req.evidence))) return fail('BadRequest', 'artifacts:collect: evidence is the absolute path of a disk image, a partition image, a folder or a remapping .yaml');
        const job = { kind: 'collect' as const, artifact: a.artifact.name, args: req.args ?? {}, ...(req.ignorePreconditions ? { ignorePreconditions: true } : {}), ...(req.evidence ? { evidence: req.evidence } : {}) };
        if (!req.container) return this.startJob(job);
        // "Collect to zip": the container goes to a download folder; the end carries its address.
        const pending = new PendingCollection();
        const started = this.startJob({ ...job, container: pending.target }, (end) => pending.settle(end));
        if (!started.ok) pending.settle({});
        return started;
      },
      'docs:completions': () => ok(this.completions()),
      'collection:save': (req) => saveCollection(req),
      ...events.invoke,
      ...packHandlers(ctx),
      ...fileHandlers(),
      ...collectionHandlers(ctx),
      ...tables.invoke,
    };
  }

  /** Answers a request; never throws (errors come back as Results). */
  async invoke<K extends InvokeChannel>(channel: K, ...args: Parameters<Invoke[K]>): Promise<ReturnType<Invoke[K]>> {
    // Own channels only: `constructor` or `__proto__` must not reach Object's methods.
    if (!isInvokeChannel(channel)) return fail('UnknownChannel', `unknown request ${String(channel).slice(0, 100)}`) as ReturnType<Invoke[K]>;
    const h = this.handlers[channel] as (...a: unknown[]) => unknown;
    const tooLarge = requestTooLarge(channel, args);
    if (tooLarge) return fail('TooLarge', tooLarge) as ReturnType<Invoke[K]>;
    try {
      return (await h(...args)) as ReturnType<Invoke[K]>;
    } catch (e) {
      return { ok: false, error: toSerialized(e) } as ReturnType<Invoke[K]>;
    }
  }

  /** Handles a message without a reply; unknown channels and bad payloads are ignored. */
  send<K extends SendChannel>(channel: K, ...args: Parameters<Send[K]>): void {
    if (!isSendChannel(channel)) return;
    const h = this.sendHandlers[channel] as (...a: unknown[]) => void;
    if (args.every((a) => typeof a === 'string' && a.length <= 1000)) h(...args);
  }

  /** Stops a running query; unknown ids are ignored. */
  cancel(id: QueryId): void {
    this.running.get(id)?.abort();
  }

  /** Stops every running query and subscription (a window or tab closed). */
  cancelAll(): void {
    for (const c of this.running.values()) c.abort();
    this.closeEvents();
  }

  /** Parse errors, else the static call checks (unknown plugins, arguments, artifacts). */
  private check(query: string): Result<Problem[]> {
    try {
      const script = parseScript(query);
      return ok(lintQuery(query, script.statements, this.registry, this.repo));
    } catch (e) {
      const s = toSerialized(e);
      return ok([{ line: s.span?.line ?? 1, column: s.span?.column ?? 1, message: s.message, severity: 'error' }]);
    }
  }

  private get batching(): Batching {
    return { batchMs: this.opts.batchMs ?? 100, batchRows: this.opts.batchRows ?? 500 };
  }

  /** Starts an in-process run (jobs when inline). */
  private start(body: (signal: AbortSignal, log: (level: string, m: string) => void) => AsyncIterable<ReadonlyArray<VDict | RowJson>>): Result<QueryId> {
    return this.launch((signal, emit, log) => pumpRows(body(signal, log), this.batching, emit));
  }

  /**
   * Starts `vql:run` / `artifacts:collect` on a worker thread, or inline without a pool (a
   * collection into a container then gets an engine of its own: upload() finds its folder by
   * the registry). `settle`: what the end adds to `vql:done` (a collection's download).
   */
  private startJob(job: QueryJob, settle?: (end: JobEnd) => CollectionDownload | undefined): Result<QueryId> {
    const pool = this.pool;
    if (!pool && job.kind === 'collect' && job.container) {
      return this.launch((signal, emit, log) => runJob(job, createEngine(this.opts), signal, log, this.batching, emit), settle);
    }
    if (!pool) return this.start((signal, log) => jobRows(job, this, signal, log));
    const most = this.opts.maxRunning ?? MAX_RUNNING_QUERIES;
    if (pool.running >= most) {
      return fail('Busy', `${pool.running} queries are running, the most at once (each has a worker thread of its own): stop one, then run this again`);
    }
    return this.launch((signal, rows, log) => pool.run(job, { signal, batching: this.batching, rows, log }), settle);
  }

  /** Runs `exec` in the background under a new query id; its rows and end are pushed. */
  private launch(exec: (signal: AbortSignal, emit: (rows: RowJson[]) => void, log: (level: string, m: string) => void) => Promise<JobEnd>, settle?: (end: JobEnd) => CollectionDownload | undefined): Result<QueryId> {
    const id = randomUUID();
    const controller = new AbortController();
    this.running.set(id, controller);
    const { push } = this.opts;
    void (async () => {
      const t0 = performance.now();
      let rows = 0;
      const emit = (batch: RowJson[]) => {
        rows += batch.length;
        push('vql:rows', id, batch);
      };
      let end: JobEnd;
      try {
        end = await exec(controller.signal, emit, (level, m) => push('vql:log', id, level, m));
      } catch (e) {
        end = { error: toSerialized(e) };
      }
      let error = end.error;
      let collection: CollectionDownload | undefined;
      try {
        collection = settle?.(end);
      } catch (e) {
        error ??= toSerialized(e);
      }
      this.running.delete(id);
      push('vql:done', id, { rows, ms: Math.round(performance.now() - t0), cancelled: controller.signal.aborted, ...(error ? { error } : {}), ...(collection ? { collection } : {}) });
    })();
    return ok(id);
  }

  private summary(a: LoadedArtifact, folders: readonly string[] = this.repo.folders()): ArtifactSummary {
    return {
      name: a.artifact.name, type: a.artifact.type, description: a.artifact.description ?? '', builtIn: a.builtIn, file: a.file,
      ...(a.builtIn || this.isMine(a.file) ? {} : { folder: folders.find((d) => isInside(d, a.file)) ?? a.file }),
      parameterNames: (a.artifact.parameters ?? []).map((p) => p.name),
    };
  }

  /** Whether `file` is in the user's own artifact folder (only those are saved over and deleted here). */
  private isMine(file: string): boolean {
    return isInside(this.opts.userArtifacts, file);
  }

  private detail(a: LoadedArtifact): ArtifactDetail {
    return {
      ...this.summary(a),
      raw: a.raw,
      parameters: (a.artifact.parameters ?? []).map((p) => ({ name: p.name, type: p.type ?? '', default: p.default ?? '', description: p.description ?? '', ...(p.choices ? { choices: p.choices } : {}) })),
    };
  }

  /** Loader problems, then (when it loads) unknown imports and the static call checks. */
  private checkArtifact(yaml: string): Problem[] {
    const r = loadArtifactText(yaml, 'editor');
    const problems = r.loaded ? [...r.problems, ...lintArtifact(r.loaded, this.registry, this.repo)] : r.problems;
    return problems.map((p) => ({ line: p.line, column: p.column, message: p.message, severity: p.severity }));
  }

  /**
   * Saves a valid artifact to the user's folder and reloads. An artifact of the same name
   * already in the folder is replaced in its own file, and only when `opts.replace` names it
   * (the name the editor opened, or one the user agreed to replace): otherwise the reply is
   * `Exists`, naming the file, and nothing is written.
   */
  private save(yaml: string, opts: SaveOptions = {}): Result<ArtifactSummary> {
    if (typeof yaml !== 'string') return fail('BadRequest', 'artifacts:save takes the artifact as YAML text');
    if (typeof opts !== 'object' || opts === null || (opts.replace !== undefined && typeof opts.replace !== 'string')) {
      return fail('BadRequest', 'artifacts:save takes the YAML and { replace?: name }');
    }
    const tooBig = artifactSizeProblem(utf8Size(yaml));
    if (tooBig) return fail('TooLarge', `the artifact was not saved: ${tooBig}`);
    const r = loadArtifactText(yaml, 'editor');
    if (!r.loaded) {
      const first = r.problems.find((p) => p.severity === 'error');
      return fail('InvalidArtifact', first ? `${first.line}:${first.column}: ${first.message}` : 'the artifact does not load');
    }
    const name = r.loaded.artifact.name;
    // Another window or program may have added it since the page's list: look at the folder now.
    this.repo.reload();
    const existing = this.repo.get(name);
    if (existing?.builtIn) return fail('BuiltIn', `${name} is a built-in artifact: save it under another name (e.g. Custom.${name})`);
    const own = existing && this.isMine(existing.file) ? existing.file : undefined;
    if (existing && existing.raw !== yaml && opts.replace !== name) {
      return fail('Exists', `${name} already exists${own ? ` in ${own}` : ` (${existing.file})`}: save under another name, or confirm to replace it`);
    }
    const file = own ?? join(this.opts.userArtifacts, `${name}.yaml`);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, yaml);
    renameSync(tmp, file);
    this.repo.reload();
    const saved = this.repo.get(name);
    return saved ? ok(this.summary(saved)) : fail('InvalidArtifact', `${name} was saved but did not load`);
  }

  /** The folders added in the app, each with how many artifacts it gave and how many files failed. */
  private folders(): ArtifactFolder[] {
    const file = this.repo.foldersFile;
    const added = file ? readArtifactFolders(file) : [];
    const inside = (dir: string, f: string) => {
      const rel = relative(dir, f);
      return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
    };
    const names = this.repo.names().map((n) => this.repo.get(n)!);
    return added.map((path) => ({
      path,
      artifacts: names.filter((a) => inside(path, a.file)).length,
      errors: new Set(this.repo.problems.filter((p) => p.severity === 'error' && inside(path, p.file)).map((p) => p.file)).size,
      exists: existsSync(path),
    }));
  }

  /** Adds or removes an artifact folder of the app, then reloads the artifacts. */
  private changeFolders(path: string, add: boolean): Result<ArtifactFolder[]> {
    const file = this.repo.foldersFile;
    if (!file) return fail('Unsupported', 'this service has no folders file');
    const current = readArtifactFolders(file);
    if (add) {
      const problem = folderProblem(path);
      if (problem) return fail('BadRequest', `the folder was not added: ${problem}`);
      if (!current.includes(resolve(path))) writeArtifactFolders(file, [...current, resolve(path)]);
    } else {
      writeArtifactFolders(file, current.filter((f) => f !== path));
    }
    this.repo.reload();
    return ok(this.folders());
  }

  /** Deletes a user artifact (never a built-in one). */
  private remove(name: string): Result<true> {
    const a = this.repo.get(name);
    if (!a) return fail('NotFound', `Artifact ${name} not found`);
    if (a.builtIn || !this.isMine(a.file)) return fail('BuiltIn', `${name} is not one of your artifacts, so it cannot be deleted here`);
    rmSync(a.file);
    this.repo.reload();
    return ok(true);
  }

  private completions(): CompletionEntry[] {
    return describeRegistry(this.registry).map((e) => ({
      kind: e.kind,
      name: e.name,
      doc: e.doc,
      signature: signature(e),
      args: e.args.map((a) => ({ name: a.name, type: a.type, required: a.required, doc: a.doc })),
    }));
  }
}
