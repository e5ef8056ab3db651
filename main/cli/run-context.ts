/**
 * What every row-printing command shares: the output (stdout or `--output FILE`), Ctrl-C and
 * `--timeout` cancellation, a closed pipe ending the run quietly, logs on stderr with
 * Velociraptor's prefixes (ERROR lines make the exit status 1), and batched printing.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { VqlError, type LogLevel, type VDict } from '../vql/index.ts';
import { Batcher } from './batcher.ts';
import { makeWriter, type OutputFormat } from './output.ts';

export class UsageError extends Error {}

/** setTimeout takes at most 2^31-1 ms; longer waits are as good as forever. */
export function timerDelay(seconds: number): number {
  return Math.min(seconds * 1000, 2 ** 31 - 1);
}

const LEVEL_PREFIX: Record<LogLevel, string> = { debug: 'DEBUG', info: 'INFO', warn: 'WARNING', error: 'ERROR' };

export interface RunOutputOptions {
  format: OutputFormat;
  maxWait: number;
  timeout: number;
  output?: string;
}

export class RunContext {
  readonly controller = new AbortController();
  errors = 0;
  private fd: number | undefined;
  private closed = false;
  private interrupts = 0;
  private readonly timer: NodeJS.Timeout | null;
  private readonly onStdoutError = (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    // A reader that went away (`vql ... | head`) ends the run quietly, like SIGPIPE.
    this.closed = true;
    this.controller.abort();
  };
  private readonly onSignal = () => {
    this.interrupts++;
    if (this.interrupts > 1) process.exit(130);
    this.controller.abort();
  };

  constructor(readonly opts: RunOutputOptions) {
    // Open the output file before running anything, so a bad path fails at once and cleanly.
    if (opts.output) {
      try {
        this.fd = openSync(opts.output, 'w', 0o600);
      } catch (e) {
        throw new UsageError(`cannot write ${opts.output}: ${(e as Error).message}`);
      }
    }
    process.stdout.on('error', this.onStdoutError);
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    this.timer = opts.timeout > 0
      ? setTimeout(() => {
        process.stderr.write(`vql: timeout after ${opts.timeout}s\n`);
        this.controller.abort();
      }, timerDelay(opts.timeout))
      : null;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The engine's logger: stderr with level prefixes; ERROR lines are counted. */
  readonly log = (level: LogLevel, message: string): void => {
    if (level === 'error') this.errors++;
    if (level === 'debug') return;
    process.stderr.write(`${LEVEL_PREFIX[level]}: ${message}\n`);
  };

  private sink = (text: string): void => {
    if (this.fd !== undefined) writeSync(this.fd, text);
    else if (!this.closed) process.stdout.write(text);
  };

  /**
   * Prints one result stream (one statement, one collection) in batches. A VqlError ends
   * the stream with an ERROR line; rows already printed stay.
   */
  async emit(stream: AsyncIterable<unknown[]>, caption: string): Promise<void> {
    const writer = makeWriter(this.opts.format, this.sink, caption);
    const batcher = new Batcher<VDict>((rows) => writer.batch(rows), timerDelay(this.opts.maxWait));
    try {
      for await (const rows of stream) for (const r of rows) batcher.push(r as VDict);
    } catch (e) {
      if (!(e instanceof VqlError)) throw e;
      this.log('error', e.message);
    } finally {
      batcher.close();
      writer.end();
    }
  }

  /** Stops timers and handlers, closes the output; returns the exit status. */
  close(status = 0): number {
    if (this.timer) clearTimeout(this.timer);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    // The stdout error listener stays: a write that already failed reports EPIPE later.
    if (this.fd !== undefined) closeSync(this.fd);
    else if (this.opts.format === 'json' && process.stdout.isTTY) process.stdout.write('\n');
    return status || (this.errors > 0 ? 1 : 0);
  }
}
