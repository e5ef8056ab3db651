/**
 * The collection container of `vql artifacts collect NAME... --output x.zip`, on the terminal:
 * the run itself (work folder, uploads, rows, log, the zip) is the shared CollectionRun of
 * main/host/collect/container-run.ts, which the app's "Collect to zip" uses too; this adapts it
 * to the CLI's RunContext (log lines also printed, rows counted for --timeout's line, a path that
 * cannot be written is a usage error). Runs without a container: run-folders.ts.
 */
import type { Registry } from '../vql/index.ts';
import type { ContainerSummary, CollectedArtifact } from '../host/collect/container.ts';
import { CollectionRun, partialReason, summaryText } from '../host/collect/container-run.ts';
import { UsageError, type Emit, type RunContext } from './run-context.ts';

export { collectedArtifacts } from '../host/collect/container-run.ts';

/** A run that writes a collection container (`--output x.zip`). */
export class ContainerRun {
  private readonly run: CollectionRun;

  constructor(output: string, artifacts: readonly CollectedArtifact[]) {
    // A path that cannot be written fails now, not after the whole collection.
    try {
      this.run = new CollectionRun({ output, artifacts });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }

  get files() {
    return this.run.files;
  }

  /** The collection's flow id (collection_context.json's session_id), which its artifacts see as _SessionId. */
  get sessionId(): string {
    return this.run.container.sessionId;
  }

  /** The run's logger: the terminal's, and the container's log.json. */
  logger(run: RunContext): (level: Parameters<RunContext['log']>[0], message: string) => void {
    return (level, message) => {
      run.log(level, message);
      this.run.log(level, message);
    };
  }

  /** Result streams go into the container (counted as printed rows for --timeout's line). */
  emitter(run: RunContext): Emit {
    return (stream, caption) => this.run.emit(stream, caption, (n) => (run.rows += n));
  }

  /**
   * Writes the zip, says what is in it, and removes the work folders. When the zip cannot be
   * written (a full disk), the work folder stays, with the rows, log and uploads, and is named.
   */
  async finish(run: RunContext, registry: Registry): Promise<ContainerSummary | null> {
    const why = run.timedOut ? partialReason({ timeout: run.opts.timeout }) : run.signal.aborted ? partialReason('cancelled') : undefined;
    const end = await this.run.finish(registry, why);
    if ('error' in end) {
      run.log('error', end.error);
      return null;
    }
    run.log('info', summaryText(end.summary));
    return end.summary;
  }
}
