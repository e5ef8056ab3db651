/**
 * The collection container of `vql artifacts collect NAME... --output x.zip`: upload() writes
 * to a work folder that is packed into the container with the rows and the log
 * (main/host/collect/container.ts), then removed. Runs without a container: run-folders.ts.
 *
 * The folders are plain paths in EngineFlags.files, so the run's worker thread (isolated.ts)
 * writes to the same places; the container is written by this thread, from what the worker
 * left complete.
 */
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { collect, formatStatement, type LogLevel, type Registry, type VDict, type Value } from '../vql/index.ts';
import { compileArtifact, type LoadedArtifact, type Repository } from '../artifacts/index.ts';
import { newTempDir, removeTempDir, type RunFiles } from '../host/collect/run-files.ts';
import { CollectionContainer, type CollectedArtifact, type ContainerSummary } from '../host/collect/container.ts';
import { UsageError, type Emit, type RunContext } from './run-context.ts';

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
async function clientInfo(registry: Registry): Promise<VDict | null> {
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

/** A run that writes a collection container (`--output x.zip`). */
export class ContainerRun {
  readonly workDir = mkdtempSync(join(tmpdir(), 'vql-collect-'));
  readonly files: RunFiles = { tempDir: newTempDir(), uploadDir: join(this.workDir, 'uploads') };
  readonly container: CollectionContainer;

  constructor(output: string, artifacts: readonly CollectedArtifact[]) {
    // A path that cannot be written fails now, not after the whole collection.
    try {
      closeSync(openSync(output, 'w', 0o600));
      this.container = new CollectionContainer({ output: resolve(output), workDir: this.workDir, uploadDir: this.files.uploadDir!, artifacts });
    } catch (e) {
      removeTempDir(this.workDir);
      throw new UsageError(`cannot write ${output}: ${(e as Error).message}`);
    }
  }

  /** The run's logger: the terminal's, and the container's log.json. */
  logger(run: RunContext): (level: LogLevel, message: string) => void {
    return (level, message) => {
      run.log(level, message);
      this.container.log(level, message);
    };
  }

  /** Result streams go into the container (counted as printed rows for --timeout's line). */
  emitter(run: RunContext): Emit {
    return (stream, caption) => this.container.emit(stream, caption, (n) => (run.rows += n));
  }

  /**
   * Writes the zip, says what is in it, and removes the work folders. When the zip cannot be
   * written (a full disk), the work folder stays, with the rows, log and uploads, and is named.
   */
  async finish(run: RunContext, registry: Registry): Promise<ContainerSummary | null> {
    removeTempDir(this.files.tempDir);
    const why = run.timedOut ? `the collection is partial: --timeout of ${run.opts.timeout}s reached` : run.signal.aborted ? 'the collection is partial: it was cancelled' : undefined;
    let summary: ContainerSummary;
    try {
      summary = await this.container.close(await clientInfo(registry), why);
    } catch (e) {
      run.log('error', `cannot write the collection ${this.container.opts.output}: ${(e as Error).message}; what was collected is in ${this.workDir} (results r*.json, log.json, uploads/)`);
      rmSync(this.container.opts.output, { force: true });
      return null;
    }
    removeTempDir(this.workDir);
    run.log('info', `collection ${summary.sessionId}: ${summary.rows} row${summary.rows === 1 ? '' : 's'}, ${summary.uploads} upload${summary.uploads === 1 ? '' : 's'} (${summary.uploadedBytes} bytes) in ${summary.output}`);
    return summary;
  }
}
