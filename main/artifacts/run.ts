/**
 * Running an artifact: each compiled request in a fresh scope holding only the parameters
 * (the caller's variables are not visible), rows decorated with `_Source`. Non-event
 * artifacts run their requests one after another; event artifacts run them concurrently.
 */
import {
  Session, VDict, LinkedAbort, type LogLevel, type Mocks, type Registry, type Scope, type Statement, type Value,
} from '../vql/index.ts';
import { isEventType } from './schema.ts';
import { compileArtifact, ArtifactError, type CompiledRequest } from './compile.ts';
import { parameterEnv, ParameterError } from './parameters.ts';
import type { Repository } from './repository.ts';
import type { LoadedArtifact } from './loader.ts';
import { newFlowId } from '../host/collect/container.ts';
import { toolEnv } from './tools.ts';

/** Nested Artifact.X() calls deeper than this are refused (Velociraptor's limit). */
export const MAX_ARTIFACT_DEPTH = 10;

/** The artifacts being run above a scope; a scope layer invisible to VQL. */
export class ArtifactFrame {
  /** `tools`: the run's tool variables (tools.ts), inherited by nested Artifact.X() runs. */
  constructor(readonly stack: readonly string[], readonly tools?: VDict) {}
}

/** The call stack of artifacts around `scope` (empty at top level). */
export function artifactStack(scope: Scope | null): readonly string[] {
  for (let s = scope; s; s = s.parent) if (s.layer instanceof ArtifactFrame) return s.layer.stack;
  return [];
}

/** The tool variables of the artifact run around `scope` (undefined at top level). */
export function artifactTools(scope: Scope | null): VDict | undefined {
  for (let s = scope; s; s = s.parent) if (s.layer instanceof ArtifactFrame) return s.layer.tools;
  return undefined;
}

export interface RunArtifactOptions {
  readonly registry: Registry;
  readonly log: (level: LogLevel, message: string) => void;
  readonly signal: AbortSignal;
  /** Evaluate preconditions (default false, as Velociraptor's Artifact.X() does). */
  readonly preconditions?: boolean;
  /** Only this source. */
  readonly source?: string;
  /** The call stack above this run. */
  readonly stack?: readonly string[];
  /**
   * The flow id VQL sees as `_SessionId` (Velociraptor's client sets it for every flow; the
   * stateful shell artifacts key their session off it). Default: a new `F.` id per run.
   */
  readonly sessionId?: string;
  /** The caller's tool variables (a nested run: artifactTools of the calling scope). */
  readonly tools?: VDict;
  /** The caller's mock() replacements (a nested run). */
  readonly mocks?: Mocks;
}

/** Thrown before any row when the call itself is wrong (unknown parameter, bad value, depth). */
export class ArtifactCallError extends Error {}

/**
 * Runs an artifact with `given` parameter values (typed values from VQL, or strings).
 * Yields batches of rows, each with a `_Source` column.
 */
export async function* runArtifact(repo: Repository, loaded: LoadedArtifact, given: ReadonlyMap<string, Value>, opts: RunArtifactOptions): AsyncGenerator<VDict[]> {
  const artifact = loaded.artifact;
  const stack = [...(opts.stack ?? []), artifact.name];
  if (stack.length > MAX_ARTIFACT_DEPTH) {
    throw new ArtifactCallError(`Stack overflow: artifacts nested deeper than ${MAX_ARTIFACT_DEPTH} (${stack.join(' → ')})`);
  }
  const params = artifact.parameters ?? [];
  const known = new Set(params.map((p) => p.name));
  for (const k of given.keys()) {
    if (!known.has(k)) {
      throw new ArtifactCallError(`Unknown parameter ${k} provided to artifact ${artifact.name}. Its parameters: ${params.map((p) => p.name).join(', ') || 'none'}`);
    }
  }
  let env: VDict;
  let requests: CompiledRequest[];
  try {
    env = parameterEnv(params, given);
    if (!env.has('_SessionId')) env.set('_SessionId', opts.sessionId ?? newFlowId());
    requests = compileArtifact(artifact, repo, { source: opts.source });
  } catch (e) {
    if (e instanceof ParameterError || e instanceof ArtifactError) throw new ArtifactCallError(`${artifact.name}: ${e.message}`);
    throw e;
  }
  // Tool_<Name>_* variables of the declared tools (tools.ts); parameters keep their names.
  const tools = await toolEnv(repo, loaded, opts.registry, opts.tools, opts.log, opts.signal);
  for (const [k, v] of tools.entries()) if (!env.has(k)) env.set(k, v);
  const frame = new ArtifactFrame(stack, tools);
  // resources.timeout (seconds) and resources.max_rows bound the run, as on a client.
  const limits = artifact.resources ?? {};
  const link = new LinkedAbort(opts.signal);
  const run = { ...opts, signal: link.signal };
  const timer = limits.timeout ? setTimeout(() => {
    opts.log('warn', `${artifact.name}: stopped after its resources.timeout of ${limits.timeout} s`);
    link.abort();
  }, Math.min(limits.timeout * 1000, 2 ** 31 - 1)) : null;
  const streams = !isEventType(artifact.type) || requests.length === 1
    ? sequential(requests.map((r) => () => runRequest(r, env, frame, run)))
    : merge(requests.map((r) => runRequest(r, env, frame, run)), run);
  let left = limits.max_rows && limits.max_rows > 0 ? limits.max_rows : Infinity;
  try {
    for await (const rows of streams) {
      if (rows.length >= left) {
        yield rows.slice(0, left);
        opts.log('warn', `${artifact.name}: stopped at its resources.max_rows of ${limits.max_rows} rows`);
        return;
      }
      left -= rows.length;
      yield rows;
    }
  } finally {
    if (timer) clearTimeout(timer);
    link.abort();
  }
}

async function* sequential(makers: Array<() => AsyncGenerator<VDict[]>>): AsyncGenerator<VDict[]> {
  for (const make of makers) yield* make();
}

async function* runRequest(req: CompiledRequest, env: VDict, frame: ArtifactFrame, opts: RunArtifactOptions): AsyncGenerator<VDict[]> {
  const session = new Session({ registry: opts.registry, vars: new VDict(env.entries()), layers: [frame], signal: opts.signal, log: opts.log, mocks: opts.mocks });
  if (opts.preconditions && req.precondition) {
    if (!(await anyRow(session, req.precondition))) {
      opts.log('info', `Skipping query due to preconditions: ${req.queries.map((q) => q.name).join(', ')}`);
      return;
    }
  }
  for (const st of req.preamble) for await (const _ of session.execute(st)) void _;
  for (const q of req.queries) {
    for (const st of q.statements) {
      for await (const batch of session.execute(st)) {
        const rows = batch as VDict[];
        for (const r of rows) r.set('_Source', q.name);
        if (rows.length) yield rows;
      }
    }
  }
}

/** A precondition is true when any of its statements yields a row (VELOCIRAPTOR.md 1.6). */
async function anyRow(session: Session, statements: readonly Statement[]): Promise<boolean> {
  for (const st of statements) {
    for await (const batch of session.execute(st)) if (batch.length) return true;
  }
  return false;
}

/** Interleaves several streams as their rows arrive (event artifacts run sources concurrently). */
async function* merge(streams: AsyncGenerator<VDict[]>[], opts: RunArtifactOptions): AsyncGenerator<VDict[]> {
  const pending = new Map<number, Promise<{ i: number; r: IteratorResult<VDict[]> }>>();
  const pull = (i: number) => pending.set(i, streams[i]!.next().then((r) => ({ i, r })));
  streams.forEach((_, i) => pull(i));
  try {
    while (pending.size && !opts.signal.aborted) {
      const { i, r } = await Promise.race(pending.values());
      if (r.done) {
        pending.delete(i);
        continue;
      }
      pull(i);
      yield r.value;
    }
  } finally {
    // Not awaited: a stream blocked in a plugin ends when the run's signal aborts.
    for (const s of streams) s.return(undefined).catch((e: unknown) => opts.log('error', `artifact source: ${(e as Error).message}`));
  }
}
