/**
 * What every row-printing command shares: the output (stdout or `--output FILE`), Ctrl-C and
 * `--timeout` cancellation, a closed pipe ending the run quietly, logs on stderr with
 * Velociraptor's prefixes (ERROR lines make the exit status 1), and batched printing.
 *
 * A run that reaches `--timeout` ends with `vql: timed out after Ns: the output is partial (N
 * rows printed)` on stderr and exit status 124 (as timeout(1)), whatever else happened: every
 * row printed before is complete (a JSON batch is never cut), but the rows are not all there
 * is. In particular an aggregate (GROUP BY, count()) that is cut short prints the groups it had
 * counted so far, which are not the totals: they come out only with that line and that status,
 * so a script that checks the status never takes them for complete ones.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { VqlError, type LogLevel, type VDict } from '../vql/index.ts';
import { Batcher } from './batcher.ts';
import { makeWriter, type OutputFormat } from './output.ts';
import { terminalSafe } from '../text/safe-text.ts';

export class UsageError extends Error {}

/** Exit status of a run that reached its `--timeout` (the output is partial), as timeout(1). */
export const TIMEOUT_STATUS = 124;

/** Prints one result stream (one statement, one artifact) under a caption. */
export type Emit = (stream: AsyncIterable<unknown[]>, caption: string) => Promise<void>;

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
  neutralizeFormulas?: boolean;
}

export class RunContext {
  readonly controller = new AbortController();
  errors = 0;
  /** Rows printed so far (all statements). */
  rows = 0;
  /** Set when `--timeout` fired: the output is partial. */
  timedOut = false;
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
        // The partial-output line is printed by close(), after the last rows.
        this.timedOut = true;
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
    // Log lines quote evidence (paths, patterns, values): never raw escape sequences to a terminal.
    process.stderr.write(`${LEVEL_PREFIX[level]}: ${process.stderr.isTTY ? terminalSafe(message) : message}\n`);
  };

  /**
   * Rows go out as Velociraptor writes them (raw cells) to a file or a pipe; to a terminal,
   * control, C1 and bidi characters are shown as `\u001b` escapes (main/text/safe-text.ts).
   */
  private sink = (text: string): void => {
    if (this.fd !== undefined) writeSync(this.fd, text);
    else if (!this.closed) process.stdout.write(process.stdout.isTTY ? terminalSafe(text) : text);
  };

  /**
   * Prints one result stream (one statement, one collection) in batches. A VqlError ends
   * the stream with an ERROR line; rows already printed stay.
   */
  async emit(stream: AsyncIterable<unknown[]>, caption: string): Promise<void> {
    const writer = makeWriter(this.opts.format, this.sink, caption, { neutralizeFormulas: this.opts.neutralizeFormulas });
    const batcher = new Batcher<VDict>((rows) => {
      this.rows += rows.length;
      writer.batch(rows);
    }, timerDelay(this.opts.maxWait));
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

  /**
   * Stops timers and handlers, closes the output; returns the exit status: TIMEOUT_STATUS
   * (with the partial-output line) when `--timeout` fired, else `status`, else 1 after an
   * ERROR line.
   */
  close(status = 0): number {
    if (this.timer) clearTimeout(this.timer);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    // The stdout error listener stays: a write that already failed reports EPIPE later.
    if (this.fd !== undefined) closeSync(this.fd);
    else if (this.opts.format === 'json' && process.stdout.isTTY) process.stdout.write('\n');
    if (this.timedOut) {
      process.stderr.write(`vql: timed out after ${this.opts.timeout}s: the output is partial (${this.rows} row${this.rows === 1 ? '' : 's'} printed)\n`);
      return TIMEOUT_STATUS;
    }
    return status || (this.errors > 0 ? 1 : 0);
  }
}
