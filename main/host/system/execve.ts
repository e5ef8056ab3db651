/**
 * `execve(argv=, sep=, env=, cwd=, length=)`: runs a program WITHOUT a shell (argv[0] is
 * looked up in PATH, the other elements are passed as they are) and emits its output as
 * Velociraptor's execve does: rows `{Stdout, Stderr, ReturnCode, Complete}`.
 *
 * - Output is cut into rows of at most `length` bytes (default 10240) per stream, or, with
 *   `sep`, one row per separated piece (the separator removed). Such intermediate rows carry
 *   one stream's text (the other is ''), ReturnCode 0 and Complete false.
 * - The final row carries whatever output remains, the exit code (-1 when killed by a signal)
 *   and Complete true.
 * - `env` adds variables to (or overrides them in) the inherited environment (Go's exec replaces
 *   the whole environment; we keep PATH, HOME... so that programs behave as in a terminal).
 * - The program is killed (SIGKILL) when the query is cancelled or its consumer stops.
 * - Disabled unless the user allowed it (`allowExecve`): then it emits nothing and logs how.
 * - Text is decoded as UTF-8 per row.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { VDict, type PluginDef, type PluginCall } from '../../vql/index.ts';

export const EXECVE_DISABLED =
  "execve() is disabled: running programs needs --allow-execve (CLI) or 'Allow artifacts to run programs' in the app settings";

const DEFAULT_LENGTH = 10240;

type Row = { Stdout: string; Stderr: string; ReturnCode: number; Complete: boolean };

/** Splits a growing stream buffer into rows. */
class Splitter {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly sep: Buffer | null, private readonly length: number) {}
  /** Adds data and returns the complete pieces it finishes. */
  push(data: Buffer): string[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data;
    const out: string[] = [];
    for (;;) {
      const at = this.sep ? this.buf.indexOf(this.sep) : -1;
      if (at >= 0 && at <= this.length) {
        out.push(this.buf.subarray(0, at).toString('utf8'));
        this.buf = this.buf.subarray(at + this.sep!.length);
      } else if (this.buf.length >= this.length) {
        out.push(this.buf.subarray(0, this.length).toString('utf8'));
        this.buf = this.buf.subarray(this.length);
      } else return out;
    }
  }
  rest(): string {
    const s = this.buf.toString('utf8');
    this.buf = Buffer.alloc(0);
    return s;
  }
}

function envOf(env: unknown): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env };
  if (env instanceof VDict) for (const [k, v] of env.entries()) out[k] = v === null || v === undefined ? '' : String(v);
  return out;
}

/** Runs the program and yields rows as output arrives. */
async function* execRows(call: PluginCall): AsyncGenerator<Row> {
  const { args, signal, log } = call;
  const argv = args.argv as string[];
  if (argv.length === 0) {
    log('error', 'argv is empty');
    return;
  }
  // A program looked up by an earlier query that found nothing (FetchBinary without its tool) arrives as NULL.
  if (argv[0] === '' || argv[0] === undefined) {
    log('error', `argv[0] (the program) is empty${argv.length > 1 ? `: nothing runs for ${JSON.stringify(argv.slice(1)).slice(0, 200)}` : ''}; check the query that was to find the program`);
    return;
  }
  const length = Math.max(1, Number(args.length ?? 0) || DEFAULT_LENGTH);
  const sep = typeof args.sep === 'string' && args.sep !== '' ? Buffer.from(args.sep) : null;
  const splitters = { Stdout: new Splitter(sep, length), Stderr: new Splitter(sep, length) };
  const queue: Row[] = [];
  let done: { code: number } | { error: Error } | null = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  let child: ChildProcess;
  try {
    child = spawn(argv[0]!, argv.slice(1), {
      cwd: typeof args.cwd === 'string' && args.cwd !== '' ? args.cwd : undefined,
      env: envOf(args.env),
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
      shell: false,
    });
  } catch (e) {
    log('error', (e as Error).message);
    return;
  }
  for (const stream of ['Stdout', 'Stderr'] as const) {
    child[stream === 'Stdout' ? 'stdout' : 'stderr']!.on('data', (data: Buffer) => {
      for (const piece of splitters[stream].push(data)) {
        queue.push({ Stdout: stream === 'Stdout' ? piece : '', Stderr: stream === 'Stderr' ? piece : '', ReturnCode: 0, Complete: false });
      }
      // Backpressure: stop reading while the consumer is behind.
      if (queue.length >= 64) {
        child.stdout!.pause();
        child.stderr!.pause();
      }
      notify();
    });
  }
  child.on('error', (error) => {
    done = { error };
    notify();
  });
  // 'close' comes after both pipes are drained.
  child.on('close', (code) => {
    done ??= { code: code ?? -1 };
    notify();
  });
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  signal.addEventListener('abort', kill, { once: true });
  try {
    for (;;) {
      while (queue.length) yield queue.shift()!;
      child.stdout!.resume();
      child.stderr!.resume();
      if (signal.aborted) return;
      if (done) break;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    const end = done as { code: number } | { error: Error };
    if ('error' in end) {
      log('error', `${argv[0]}: ${end.error.message}`);
      return;
    }
    yield { Stdout: splitters.Stdout.rest(), Stderr: splitters.Stderr.rest(), ReturnCode: end.code, Complete: true };
  } finally {
    signal.removeEventListener('abort', kill);
    kill();
  }
}

/** The execve plugin; `allowed` is the user's choice (HostOptions.allowExecve). */
export function execvePlugin(allowed: boolean): PluginDef {
  return {
    name: 'execve',
    doc:
      'Run a program (no shell: argv is passed as is) and emit its output as rows Stdout, Stderr, ReturnCode, Complete; ' +
      'the last row has the exit code and Complete=true. Needs --allow-execve (CLI) or the app setting.',
    args: {
      argv: { type: 'strings', required: true, doc: 'The program and its arguments' },
      sep: { type: 'string', doc: 'Emit one row per piece of output separated by this string (default: by length)' },
      env: { type: 'any', doc: 'A dict of environment variables to add' },
      cwd: { type: 'string', doc: 'Working directory of the program' },
      length: { type: 'int', doc: 'Maximum bytes of output per row', default: String(DEFAULT_LENGTH) },
    },
    async *run(call) {
      if (!allowed) {
        call.scope.log('error', EXECVE_DISABLED);
        return;
      }
      yield* execRows(call);
    },
  };
}
