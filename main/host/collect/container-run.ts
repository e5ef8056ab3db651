/**
 * A run that writes a collection container: the one implementation behind `vql artifacts
 * collect NAME... --output x.zip` (main/cli/collection.ts adapts it to the terminal) and the
 * app's "Collect to zip" (main/app/collect-job.ts). upload() writes to the run's work folder
 * (its RunFiles, attached to the registry by the caller), rows and log lines are spooled there
 * (container.ts), and `finish()` packs everything into the zip and removes the work folder.
 *
 * The folders are plain paths in `files`, so a worker thread given them (the CLI's --timeout
 * runs, the app's query workers) writes to the same places; the container is written from what
 * that thread left complete.
 */
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { collect, formatStatement, type LogLevel, type Registry, type VDict, type Value } from '../../vql/index.ts';
import { compileArtifact, type LoadedArtifact, type Repository } from '../../artifacts/index.ts';
import { newTempDir, removeTempDir, type RunFiles } from './run-files.ts';
import { CollectionContainer, type CollectedArtifact, type ContainerSummary } from './container.ts';

/** The collection's artifacts as the container records them. */
export function collectedArtifacts(repo: Repository, loaded: readonly LoadedArtifact[], given: ReadonlyMap<string, ReadonlyMap<string, Value>>): CollectedArtifact[] {
  return loaded.map((a) => {
    const art = a.artifact;
    const args = given.get(art.name) ?? new Map<string, Value>();
    const text = (v: Value) => (typeof v === 'string' ? v : JSON.stringify(v));
    let requests: CollectedArtifact['requests'] = [];
    let sources: string[] = [];
    try {
      const compiled = compileArtifact(art, repo);
      requests = compiled.map((r) => [
        ...r.preamble.map((st) => ({ vql: formatStatement(st) })),
        ...r.queries.flatMap((q) => q.statements.map((st, i) => (i === q.statements.length - 1 ? { name: q.name, vql: formatStatement(st) } : { vql: formatStatement(st) }))),
      ]);
      sources = compiled.flatMap((r) => r.queries.map((q) => q.name));
    } catch {
      // The run reports why it cannot compile; the request lists what it can.
    }
    return {
      name: art.name,
      given: [...args].map(([k, v]) => [k, text(v)] as const),
      env: (art.parameters ?? []).map((p) => [p.name, args.has(p.name) ? text(args.get(p.name)!) : p.default ?? ''] as const),
      requests,
      sources,
    };
  });
}

/** This machine's info() row, as client_info.json (with Velociraptor's three extra keys). */
export async function clientInfo(registry: Registry): Promise<VDict | null> {
  try {
    const [row] = await collect('SELECT * FROM info()', { registry });
    if (!row) return null;
    row.set('Name', 'vql');
    row.set('BuildTime', '');
    row.set('build_url', '');
    return row;
  } catch {
    return null;
  }
}

export interface CollectionRunOptions {
  /** The zip to write (created empty now: a path that cannot be written fails before the run). */
  readonly output: string;
  readonly artifacts: readonly CollectedArtifact[];
  /**
   * The work folder (an empty folder of the caller's, mode 0700), when the caller wants to
   * remove it itself if the run never finishes (a worker terminated): the run's temp folder is
   * then inside it too. Default: a new folder under the OS temp folder.
   */
  readonly workDir?: string;
}

/** How a run ended: the zip written, or why not (what was collected stays in `workDir`). */
export type CollectionEnd = { readonly summary: ContainerSummary } | { readonly error: string; readonly workDir: string };

/** Why a collection stopped early, in the container's words (collection_context.json's status). */
export function partialReason(how: 'cancelled' | { timeout: number }): string {
  return how === 'cancelled' ? 'the collection is partial: it was cancelled' : `the collection is partial: --timeout of ${how.timeout}s reached`;
}

/** A run that writes a collection container. */
export class CollectionRun {
  readonly workDir: string;
  readonly files: RunFiles;
  readonly container: CollectionContainer;

  /** Throws (a plain Error naming the path) when `output` cannot be written. */
  constructor(readonly opts: CollectionRunOptions) {
    this.workDir = opts.workDir ?? mkdtempSync(join(tmpdir(), 'vql-collect-'));
    this.files = { tempDir: opts.workDir ? join(opts.workDir, 'temp') : newTempDir(), uploadDir: join(this.workDir, 'uploads') };
    try {
      closeSync(openSync(opts.output, 'w', 0o600));
      this.container = new CollectionContainer({ output: resolve(opts.output), workDir: this.workDir, uploadDir: this.files.uploadDir!, artifacts: opts.artifacts });
    } catch (e) {
      if (!opts.workDir) removeTempDir(this.workDir);
      throw new Error(`cannot write ${opts.output}: ${(e as Error).message}`);
    }
  }

  /** Records a log line in the container's log.json (any level name; unknown ones are DEFAULT). */
  readonly log = (level: string, message: string): void => {
    this.container.log(isLogLevel(level) ? level : 'default', message);
  };

  /** Takes one artifact's result stream (all of it) into the container. */
  emit(stream: AsyncIterable<unknown[]>, caption: string, onRows?: (n: number) => void): Promise<void> {
    return this.container.emit(stream, caption, onRows);
  }

  /**
   * Writes the zip and removes the work folders. `interrupted`: why the run stopped early (see
   * partialReason). When the zip cannot be written (a full disk), the half zip is removed and the
   * work folder stays, with the rows, log and uploads; the end names it.
   */
  async finish(registry: Registry, interrupted?: string): Promise<CollectionEnd> {
    removeTempDir(this.files.tempDir);
    try {
      const summary = await this.container.close(await clientInfo(registry), interrupted);
      removeTempDir(this.workDir);
      return { summary };
    } catch (e) {
      rmSync(this.container.opts.output, { force: true });
      return { error: `cannot write the collection ${this.container.opts.output}: ${(e as Error).message}; what was collected is in ${this.workDir} (results r*.json, log.json, uploads/)`, workDir: this.workDir };
    }
  }
}

/** The one-line account of a written container (the CLI prints it, the app logs it). */
export function summaryText(s: ContainerSummary, where = s.output): string {
  return `collection ${s.sessionId}: ${s.rows} row${s.rows === 1 ? '' : 's'}, ${s.uploads} upload${s.uploads === 1 ? '' : 's'} (${s.uploadedBytes} bytes) in ${where}`;
}

function isLogLevel(level: string): level is LogLevel {
  return level === 'debug' || level === 'info' || level === 'warn' || level === 'error';
}
