/**
 * One query or artifact collection as plain data (a job), and the code that runs it: the same
 * in the main process (isolation 'inline') and in a query worker (main/app/query-worker.ts).
 * Rows leave as batches of RowJson text, batched here once for both paths.
 */
import { artifactFoldersFile } from '../artifacts/folders.ts';
import { Session, VqlError, parseScript, positionAt, toJSON, type Mocks, type Registry, type VDict, type Value } from '../vql/index.ts';
import { createHostRegistry } from '../host/index.ts';
import { Repository, installArtifactPlugins, runArtifact, cliArgValue, ArtifactCallError, type LoadedArtifact } from '../artifacts/index.ts';
import type { ContainerSummary } from '../host/collect/container.ts';
import { ToolInventory, attachTools, datastoreTools } from '../artifacts/tools.ts';
import { dirname } from 'node:path';
import type { RowJson, SerializedError } from '../ipc/contract.ts';

/** What to run: ad-hoc VQL (`vql:run`) or an artifact by name (`artifacts:collect`). */
export type QueryJob =
  | { readonly kind: 'query'; readonly query: string; readonly env: Record<string, string> }
  | { readonly kind: 'collect'; readonly artifact: string; readonly args: Record<string, string>; readonly container?: ContainerTarget; readonly ignorePreconditions?: boolean; readonly evidence?: string };

/**
 * Where a collection's container goes (main/app/collect-job.ts): the zip, and the work folder
 * (empty, made by the caller, who removes it after the job whatever happened to the worker).
 */
export interface ContainerTarget {
  readonly output: string;
  readonly workDir: string;
}

/** How a job ended: its error, and the container a collection wrote. */
export interface JobEnd {
  readonly error?: SerializedError;
  readonly collection?: ContainerSummary;
}

/** The options that shape the engine a job runs against (the service's, passed to workers). */
export interface EngineOptions {
  readonly userArtifacts: string;
  readonly definitions?: readonly string[];
  readonly allowExecve?: boolean;
}

/** The host registry with the artifact plugins, over a repository of built-in and user artifacts. */
export interface Engine {
  readonly registry: Registry;
  readonly repo: Repository;
}

/** Rows are flushed every `batchMs` or `batchRows` rows, whichever comes first. */
export interface Batching {
  readonly batchMs: number;
  readonly batchRows: number;
}

export type JobLog = (level: string, message: string) => void;

/** Builds the engine: the one place the service and the workers agree on. */
export function createEngine(opts: EngineOptions): Engine {
  const registry = createHostRegistry({ allowExecve: opts.allowExecve });
  // The folders the user added in the app (artifacts/folders.ts) load before their own artifacts.
  const repo = new Repository({ definitions: [...(opts.definitions ?? []), opts.userArtifacts], foldersFile: artifactFoldersFile(opts.userArtifacts) });
  installArtifactPlugins(registry, repo);
  // Artifacts' tools come from the tools folder beside the user's artifacts, and their local
  // state (the local hash database) goes to the local folder: all in the datastore
  // (<datastore>/artifacts, /tools, /local), as for the CLI (main/artifacts/tools.ts).
  attachTools(registry, new ToolInventory(datastoreTools(dirname(opts.userArtifacts))));
  return { registry, repo };
}

/** A VqlError (or anything thrown) as the contract's error, with line and column. */
export function toSerialized(e: unknown): SerializedError {
  if (e instanceof VqlError) {
    const pos = e.span && e.source !== undefined ? positionAt(e.source, e.span.start) : undefined;
    return { code: e.code, message: e.message, span: e.span && pos ? { start: e.span.start, end: e.span.end, line: pos.line, column: pos.column } : undefined };
  }
  return { code: (e as Error)?.name ?? 'Error', message: (e as Error)?.message ?? String(e) };
}

/** The job's rows, in the batches the engine produces. */
export async function* jobRows(job: QueryJob, engine: Engine, signal: AbortSignal, log: JobLog): AsyncIterable<VDict[]> {
  if (job.kind === 'query') {
    const script = parseScript(job.query);
    const session = new Session({ registry: engine.registry, vars: job.env, signal, log });
    for await (const { rows } of session.executeAll(script.statements)) yield rows as VDict[];
    return;
  }
  const { artifact, given } = jobArtifact(job, engine);
  const mocks = await jobMocks(job, engine, log);
  yield* runArtifact(engine.repo, artifact, given, { registry: engine.registry, signal, log, preconditions: job.ignorePreconditions !== true, ...(mocks ? { mocks } : {}) });
}

/** A collect job's remapping (its `evidence`), or undefined: it runs against this machine. */
export async function jobMocks(job: Extract<QueryJob, { kind: 'collect' }>, engine: Engine, log: JobLog): Promise<Mocks | undefined> {
  if (!job.evidence) return undefined;
  const { evidenceMocks } = await import('../evidence/session.ts');
  return evidenceMocks(engine.registry, job.evidence, (m) => log('info', m));
}

/** A collect job's artifact and its parameter values (typed as the command line types them). */
export function jobArtifact(job: Extract<QueryJob, { kind: 'collect' }>, engine: Engine): { artifact: LoadedArtifact; given: Map<string, Value> } {
  const a = engine.repo.get(job.artifact);
  if (!a) throw new ArtifactCallError(`Artifact ${job.artifact} not found`);
  const given = new Map<string, Value>();
  for (const [k, v] of Object.entries(job.args)) {
    const p = (a.artifact.parameters ?? []).find((x) => x.name === k);
    if (!p) throw new ArtifactCallError(`Parameter ${k} not known for artifact ${a.artifact.name}`);
    given.set(k, cliArgValue(p, v));
  }
  return { artifact: a, given };
}

/**
 * Runs a job to its end, rows emitted in batches: the one entry the service (inline) and the
 * query workers share. A collection with a container also writes the zip (collect-job.ts).
 */
export async function runJob(job: QueryJob, engine: Engine, signal: AbortSignal, log: JobLog, batching: Batching, emit: (rows: RowJson[]) => void): Promise<JobEnd> {
  if (job.kind === 'collect' && job.container) return (await import('./collect-job.ts')).runContainerJob(job, job.container, engine, signal, log, batching, emit);
  return pumpRows(jobRows(job, engine, signal, log), batching, emit);
}

/**
 * Drains `source`, emitting RowJson batches at least every `batchMs` or `batchRows` rows, and
 * flushes what is left at the end (also after an error: rows already made are never lost).
 * Resolves with the error the source threw, if any; never rejects.
 */
export async function pumpRows(source: AsyncIterable<ReadonlyArray<VDict | RowJson>>, batching: Batching, emit: (rows: RowJson[]) => void): Promise<{ error?: SerializedError }> {
  let pending: RowJson[] = [];
  let last = performance.now();
  const flush = () => {
    if (pending.length) emit(pending);
    pending = [];
    last = performance.now();
  };
  let error: SerializedError | undefined;
  try {
    for await (const batch of source) {
      // Rows already in JSON text (the log browser's) pass as they are.
      for (const r of batch) pending.push(typeof r === 'string' ? r : toJSON(r));
      if (pending.length >= batching.batchRows || performance.now() - last >= batching.batchMs) flush();
    }
  } catch (e) {
    error = toSerialized(e);
  }
  flush();
  return error ? { error } : {};
}

/** Messages from the pool to a query worker. */
export type ToWorker =
  | { readonly type: 'run'; readonly id: string; readonly job: QueryJob; readonly batching: Batching }
  | { readonly type: 'cancel'; readonly id: string };

/** Messages from a query worker to the pool (all but `ready` belong to the running job). */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'rows'; readonly id: string; readonly rows: RowJson[] }
  | { readonly type: 'log'; readonly id: string; readonly level: string; readonly message: string }
  | { readonly type: 'done'; readonly id: string; readonly error?: SerializedError; readonly collection?: ContainerSummary };
