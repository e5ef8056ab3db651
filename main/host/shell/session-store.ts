/**
 * Interactive shell sessions: one long-running program per name (a shell reading commands on
 * its stdin), kept in a store that lives as long as the process (or worker thread), so that a
 * later query can send more commands to the session an earlier query started. This is what
 * Velociraptor's stateful shell artifacts (Linux.Sys.BashShell, Windows.System.CmdShell,
 * Windows.System.PowerShell) build on: the first flow starts the shell and streams its
 * transcript; later flows with the same name only write to its stdin.
 *
 * The transcript is a queue of rows `{Stdin, Stdout, Stderr}`: one row per command written
 * (Stdin) and one per piece of output as the program wrote it (Stdout or Stderr, at most
 * `length` bytes, newlines kept); the other two columns are ''. Rows wait in the queue until
 * the session's Query is read; while the queue is full the program's output is not read
 * (the pipe blocks the program) rather than dropped.
 *
 * A session ends, and its program (with every process of its process group, so a `sleep`
 * started by the shell goes too) is killed, when:
 * - the query that started it is cancelled or ends (its signal aborts: an artifact run, Ctrl-C,
 *   the CLI's --timeout);
 * - the reader of its Query stops: `query(timeout=...)`, LIMIT, cancellation;
 * - shell_session_control(kill=TRUE);
 * - this process exits.
 * When the program exits by itself (`exit`), the Query ends after its last output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { VDict, type LogLevel, type Scope, type Value } from '../../vql/index.ts';
import type { RowStream } from '../../vql/eval/stream.ts';

/** Rows queued before the program's output is paused. */
const MAX_QUEUED = 256;

export type TranscriptRow = { Stdin: string; Stdout: string; Stderr: string };

export interface StartOptions {
  readonly name: string;
  readonly argv: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Bytes of output per row at most. */
  readonly length: number;
  /** Aborts when the query that started the session ends: the session ends with it. */
  readonly owner: AbortSignal;
  readonly log: (level: LogLevel, message: string) => void;
}

/** A running program with pipes, and the transcript not read yet. */
export class ShellSession {
  readonly child: ChildProcess;
  private readonly queue: TranscriptRow[] = [];
  private wake: (() => void) | null = null;
  private reading = false;
  /** Set once the program has exited and its pipes are drained. */
  exited = false;
  exitCode: number | null = null;
  private ended = false;
  private readonly onOwnerAbort = () => this.end('the query that started it ended');

  private constructor(readonly opts: StartOptions, child: ChildProcess) {
    this.child = child;
  }

  /** Starts the program; rejects with the spawn error (a missing program, a bad cwd). */
  static async start(opts: StartOptions): Promise<ShellSession> {
    const child = spawn(opts.argv[0]!, opts.argv.slice(1), {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
      shell: false,
      // Its own process group on POSIX, so that ending the session also ends what the shell
      // started (a `sleep 100` would otherwise outlive a killed bash).
      detached: process.platform !== 'win32',
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    const s = new ShellSession(opts, child);
    s.wire();
    return s;
  }

  get name(): string {
    return this.opts.name;
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Running: started, not exited, not ended. */
  get isRunning(): boolean {
    return !this.ended && !this.exited;
  }

  private wire(): void {
    const { child, opts } = this;
    for (const [stream, column] of [[child.stdout!, 'Stdout'], [child.stderr!, 'Stderr']] as const) {
      const decoder = new StringDecoder('utf8');
      stream.on('data', (data: Buffer) => {
        for (let at = 0; at < data.length; at += opts.length) {
          const text = decoder.write(data.subarray(at, at + opts.length));
          if (text !== '') this.push({ Stdin: '', Stdout: column === 'Stdout' ? text : '', Stderr: column === 'Stderr' ? text : '' });
        }
      });
      stream.on('end', () => {
        const rest = decoder.end();
        if (rest !== '') this.push({ Stdin: '', Stdout: column === 'Stdout' ? rest : '', Stderr: column === 'Stderr' ? rest : '' });
      });
    }
    // A write to a shell that has exited fails with EPIPE: reported by write(), not thrown.
    child.stdin!.on('error', () => {});
    child.on('error', (e) => opts.log('error', `shell_session: session ${opts.name}: ${opts.argv[0]}: ${e.message}`));
    // 'close' comes after both pipes are drained: every output row is queued by then.
    child.on('close', (code, signal) => {
      this.exited = true;
      this.exitCode = code;
      if (!this.ended) opts.log('info', `shell_session: session ${opts.name}: ${opts.argv[0]} exited (${code !== null ? `status ${code}` : `signal ${signal}`})`);
      this.end(null);
      this.notify();
    });
    this.setRef(false);
    live.add(this);
    if (opts.owner.aborted) this.end('the query that started it ended');
    else opts.owner.addEventListener('abort', this.onOwnerAbort, { once: true });
  }

  private push(row: TranscriptRow): void {
    this.queue.push(row);
    if (this.queue.length >= MAX_QUEUED) {
      this.child.stdout!.pause();
      this.child.stderr!.pause();
    }
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /**
   * Keeps the event loop alive only while someone reads the transcript: a session nobody reads
   * must not stop `vql query` from exiting (the exit handler then kills it).
   */
  private setRef(on: boolean): void {
    // The pipes are sockets (ref/unref); the child's own handle counts too.
    const handles = [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as Array<{ ref?: () => void; unref?: () => void } | null>;
    for (const h of handles) {
      if (on) h?.ref?.();
      else h?.unref?.();
    }
  }

  /** Writes `text` to the program's stdin and records it in the transcript. */
  async write(text: string): Promise<void> {
    if (!this.isRunning) throw new Error(`session ${this.name} has ended`);
    this.push({ Stdin: text, Stdout: '', Stderr: '' });
    // Hold the event loop until the write is done: nothing else may be keeping it alive.
    this.setRef(true);
    try {
      await new Promise<void>((resolve, reject) => {
        this.child.stdin!.write(text, (e) => (e ? reject(e) : resolve()));
      });
    } finally {
      if (!this.reading) this.setRef(false);
    }
  }

  /** Closes the program's stdin: a shell exits after the commands it has already read. */
  closeStdin(): void {
    this.child.stdin!.end();
  }

  /**
   * The transcript as a row stream, for one reader at a time. It ends when the program has
   * exited and every row was read; when the reader stops first, the session ends.
   */
  async *read(scope: Scope): RowStream {
    if (this.reading) {
      scope.log('error', `shell_session: the Query of session ${this.name} is already being read by another query; only the query that started the session streams its transcript`);
      return;
    }
    this.reading = true;
    this.setRef(true);
    const signal = scope.signal;
    const wake = () => this.notify();
    signal.addEventListener('abort', wake, { once: true });
    try {
      for (;;) {
        if (this.queue.length) {
          const rows = this.queue.splice(0, this.queue.length).map((r) => new VDict(Object.entries(r)) as Value);
          this.child.stdout!.resume();
          this.child.stderr!.resume();
          yield rows;
          continue;
        }
        if (signal.aborted || this.exited || this.ended) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      signal.removeEventListener('abort', wake);
      this.reading = false;
      this.end(this.exited ? null : 'its Query stopped being read');
    }
  }

  /** Ends the session: out of the store, the program and its process group killed. */
  end(why: string | null): void {
    if (this.ended) return;
    this.ended = true;
    this.opts.owner.removeEventListener('abort', this.onOwnerAbort);
    if (sessions.get(this.name) === this) sessions.delete(this.name);
    live.delete(this);
    if (why) this.opts.log('info', `shell_session: session ${this.name} ended (${why}): ${this.opts.argv[0]} killed`);
    this.kill();
    this.setRef(false);
    this.notify();
  }

  /** Kills the program and, on POSIX, every process of its group. */
  kill(): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    if (process.platform !== 'win32') {
      try {
        process.kill(-pid, 'SIGKILL');
        return;
      } catch {
        // The group is gone already (every process exited): the program itself may still be
        // a zombie nobody reaped; nothing is left to kill.
      }
    }
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** The sessions by name: one store per process (per worker thread in the app). */
const sessions = new Map<string, ShellSession>();
/** Every session not ended yet, killed when the process exits. */
const live = new Set<ShellSession>();

process.on('exit', () => {
  for (const s of live) s.kill();
});

/** The running session called `name`, if any. */
export function findSession(name: string): ShellSession | undefined {
  const s = sessions.get(name);
  return s && s.isRunning ? s : undefined;
}

/** Sessions being started: a second call with the same name waits for the first. */
const starting = new Map<string, Promise<ShellSession>>();

/**
 * The running session called `name`, or a new one started with `opts`. `started` tells
 * whether this call started it (Velociraptor's IsRunning is its negation).
 */
export async function openSession(opts: StartOptions): Promise<{ session: ShellSession; started: boolean }> {
  const pending = starting.get(opts.name);
  if (pending) {
    const session = await pending;
    if (session.isRunning) return { session, started: false };
  }
  const found = findSession(opts.name);
  if (found) return { session: found, started: false };
  const p = ShellSession.start(opts);
  starting.set(opts.name, p);
  try {
    const session = await p;
    if (session.isRunning) sessions.set(opts.name, session);
    return { session, started: true };
  } finally {
    starting.delete(opts.name);
  }
}
