/**
 * The app's service: everything the renderer can ask (main/ipc/contract.ts), implemented over
 * the engine, the host plugins and the artifact repository, independent of the transport.
 * Electron IPC and the web host's WebSocket both call `invoke` / `send` and forward `push`.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, isAbsolute } from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  Session, VqlError, describeRegistry, formatScript, parseScript, positionAt, signature, toJSON,
  type Registry, type VDict,
} from '../vql/index.ts';
import { createHostRegistry } from '../host/index.ts';
import {
  Repository, installArtifactPlugins, loadArtifactText, runArtifact, cliArgValue, ArtifactCallError,
  type LoadedArtifact,
} from '../artifacts/index.ts';
import type {
  ArtifactDetail, ArtifactSummary, CompletionEntry, Invoke, InvokeChannel, Problem, Push, QueryId, Result, Send, SendChannel,
  SerializedError,
} from '../ipc/contract.ts';
import { eventsHandlers, type AppCollector } from './events.ts';
import { packHandlers } from './packs.ts';

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
}

/** The implementation of every request of the contract. */
export type Handlers = { [K in InvokeChannel]: (...args: Parameters<Invoke[K]>) => Promise<ReturnType<Invoke[K]>> | ReturnType<Invoke[K]> };
/** The implementation of every fire-and-forget message of the contract. */
export type SendHandlers = { [K in SendChannel]: (...args: Parameters<Send[K]>) => void };

/** What a domain's handlers (events, store, packs) get from the service. */
export interface ServiceContext {
  readonly opts: ServiceOptions;
  readonly registry: Registry;
  readonly repo: Repository;
  /** Starts a streamed query: rows go out as `vql:rows`, the end as `vql:done`. */
  stream(body: (signal: AbortSignal, log: (level: string, m: string) => void) => AsyncIterable<VDict[]>): Result<QueryId>;
}

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail(code: string, message: string): Result<never> {
  return { ok: false, error: { code, message } };
}

/** A VqlError (or anything thrown) as the contract's error, with line and column. */
export function toSerialized(e: unknown): SerializedError {
  if (e instanceof VqlError) {
    const pos = e.span && e.source !== undefined ? positionAt(e.source, e.span.start) : undefined;
    return { code: e.code, message: e.message, span: e.span && pos ? { start: e.span.start, end: e.span.end, line: pos.line, column: pos.column } : undefined };
  }
  return { code: (e as Error)?.name ?? 'Error', message: (e as Error)?.message ?? String(e) };
}

export class AppService {
  readonly registry: Registry;
  readonly repo: Repository;
  private readonly running = new Map<QueryId, AbortController>();
  readonly handlers: Handlers;
  readonly sendHandlers: SendHandlers;
  private readonly closeEvents: () => void;

  constructor(private readonly opts: ServiceOptions) {
    mkdirSync(opts.userArtifacts, { recursive: true });
    this.registry = createHostRegistry({ allowExecve: opts.allowExecve });
    this.repo = new Repository({ definitions: [...(opts.definitions ?? []), opts.userArtifacts] });
    installArtifactPlugins(this.registry, this.repo);
    const ctx: ServiceContext = { opts, registry: this.registry, repo: this.repo, stream: (body) => this.start(body) };
    const events = eventsHandlers(ctx);
    this.sendHandlers = { 'vql:cancel': (id) => this.cancel(id), ...events.send };
    this.closeEvents = events.close;
    this.handlers = {
      'vql:check': (q) => this.check(q),
      'vql:run': (req) => {
        // Parse first, so a syntax error is the reply (with its span) rather than a pushed end.
        try {
          parseScript(req.query);
        } catch (e) {
          return { ok: false, error: toSerialized(e) };
        }
        return this.start((signal, log) => this.runQuery(req.query, req.env ?? {}, signal, log));
      },
      'vql:format': (q) => {
        try {
          return ok(formatScript(parseScript(q)));
        } catch (e) {
          return { ok: false, error: toSerialized(e) };
        }
      },
      'artifacts:list': () => ok(this.repo.names().map((n) => this.summary(this.repo.get(n)!))),
      'artifacts:get': (name) => {
        const a = this.repo.get(name);
        return a ? ok(this.detail(a)) : fail('NotFound', `Artifact ${name} not found`);
      },
      'artifacts:check': (yaml) => ok(this.checkArtifact(yaml)),
      'artifacts:save': (yaml) => this.save(yaml),
      'artifacts:delete': (name) => this.remove(name),
      'artifacts:collect': (req) => {
        const a = this.repo.get(req.artifact);
        if (!a) return fail('NotFound', `Artifact ${req.artifact} not found`);
        return this.start((signal, log) => this.collect(a, req.args ?? {}, signal, log));
      },
      'docs:completions': () => ok(this.completions()),
      ...events.invoke,
      ...packHandlers(ctx),
    };
  }

  /** Answers a request; never throws (errors come back as Results). */
  async invoke<K extends InvokeChannel>(channel: K, ...args: Parameters<Invoke[K]>): Promise<ReturnType<Invoke[K]>> {
    const h = this.handlers[channel] as ((...a: unknown[]) => unknown) | undefined;
    if (!h) return fail('UnknownChannel', `unknown request ${String(channel)}`) as ReturnType<Invoke[K]>;
    try {
      return (await h(...args)) as ReturnType<Invoke[K]>;
    } catch (e) {
      return { ok: false, error: toSerialized(e) } as ReturnType<Invoke[K]>;
    }
  }

  /** Handles a message without a reply; unknown channels and bad payloads are ignored. */
  send<K extends SendChannel>(channel: K, ...args: Parameters<Send[K]>): void {
    const h = this.sendHandlers[channel] as ((...a: unknown[]) => void) | undefined;
    if (h && args.every((a) => typeof a === 'string')) h(...args);
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

  private check(query: string): Result<Problem[]> {
    try {
      parseScript(query);
      return ok([]);
    } catch (e) {
      const s = toSerialized(e);
      return ok([{ line: s.span?.line ?? 1, column: s.span?.column ?? 1, message: s.message, severity: 'error' }]);
    }
  }

  /** Starts a run in the background; rows and the end are pushed. */
  private start(body: (signal: AbortSignal, log: (level: string, m: string) => void) => AsyncIterable<VDict[]>): Result<QueryId> {
    const id = randomUUID();
    const controller = new AbortController();
    this.running.set(id, controller);
    const { push } = this.opts;
    const batchMs = this.opts.batchMs ?? 100;
    const batchRows = this.opts.batchRows ?? 500;
    void (async () => {
      const t0 = performance.now();
      let rows = 0;
      let pending: string[] = [];
      let last = performance.now();
      const flush = () => {
        if (pending.length) push('vql:rows', id, pending);
        pending = [];
        last = performance.now();
      };
      let error: SerializedError | undefined;
      try {
        for await (const batch of body(controller.signal, (level, m) => push('vql:log', id, level, m))) {
          for (const r of batch) pending.push(toJSON(r));
          rows += batch.length;
          if (pending.length >= batchRows || performance.now() - last >= batchMs) flush();
        }
      } catch (e) {
        error = toSerialized(e);
      }
      flush();
      this.running.delete(id);
      push('vql:done', id, { rows, ms: Math.round(performance.now() - t0), cancelled: controller.signal.aborted, ...(error ? { error } : {}) });
    })();
    return ok(id);
  }

  private async *runQuery(query: string, env: Record<string, string>, signal: AbortSignal, log: (level: string, m: string) => void): AsyncIterable<VDict[]> {
    const script = parseScript(query);
    const session = new Session({ registry: this.registry, vars: env, signal, log });
    for await (const { rows } of session.executeAll(script.statements)) yield rows as VDict[];
  }

  private async *collect(a: LoadedArtifact, args: Record<string, string>, signal: AbortSignal, log: (level: string, m: string) => void): AsyncIterable<VDict[]> {
    const given = new Map<string, string>();
    for (const [k, v] of Object.entries(args)) {
      const p = (a.artifact.parameters ?? []).find((x) => x.name === k);
      if (!p) throw new ArtifactCallError(`Parameter ${k} not known for artifact ${a.artifact.name}`);
      given.set(k, cliArgValue(p, v));
    }
    yield* runArtifact(this.repo, a, given, { registry: this.registry, signal, log, preconditions: true });
  }

  private summary(a: LoadedArtifact): ArtifactSummary {
    return { name: a.artifact.name, type: a.artifact.type, description: a.artifact.description ?? '', builtIn: a.builtIn, file: a.file };
  }

  private detail(a: LoadedArtifact): ArtifactDetail {
    return {
      ...this.summary(a),
      raw: a.raw,
      parameters: (a.artifact.parameters ?? []).map((p) => ({ name: p.name, type: p.type ?? '', default: p.default ?? '', description: p.description ?? '', ...(p.choices ? { choices: p.choices } : {}) })),
    };
  }

  private checkArtifact(yaml: string): Problem[] {
    return loadArtifactText(yaml, 'editor').problems.map((p) => ({ line: p.line, column: p.column, message: p.message, severity: p.severity }));
  }

  /** Saves a valid artifact to the user's folder (named after the artifact) and reloads. */
  private save(yaml: string): Result<ArtifactSummary> {
    const r = loadArtifactText(yaml, 'editor');
    if (!r.loaded) {
      const first = r.problems.find((p) => p.severity === 'error');
      return fail('InvalidArtifact', first ? `${first.line}:${first.column}: ${first.message}` : 'the artifact does not load');
    }
    const name = r.loaded.artifact.name;
    const existing = this.repo.get(name);
    if (existing?.builtIn) return fail('BuiltIn', `${name} is a built-in artifact: save it under another name (e.g. Custom.${name})`);
    const file = join(this.opts.userArtifacts, `${name}.yaml`);
    writeFileSync(file, yaml);
    this.repo.reload();
    const saved = this.repo.get(name);
    return saved ? ok(this.summary(saved)) : fail('InvalidArtifact', `${name} was saved but did not load`);
  }

  /** Deletes a user artifact (never a built-in one). */
  private remove(name: string): Result<true> {
    const a = this.repo.get(name);
    if (!a) return fail('NotFound', `Artifact ${name} not found`);
    const rel = relative(resolve(this.opts.userArtifacts), resolve(a.file));
    if (a.builtIn || rel.startsWith('..') || isAbsolute(rel)) return fail('BuiltIn', `${name} is not one of your artifacts, so it cannot be deleted here`);
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
