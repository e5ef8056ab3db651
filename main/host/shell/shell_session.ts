/**
 * `shell_session(name=, argv=, env=, cwd=, length=)`: starts a long-running program (a shell)
 * with pipes, once per `name`, and returns the session: `{Name, Pid, IsRunning, Query}`.
 *
 * - `IsRunning` is FALSE on the call that started the program and TRUE on later calls with the
 *   same name while it runs (Velociraptor's stateful shell artifacts stream the transcript only
 *   in the first flow: `if(condition=NOT Session.IsRunning, then=...)`).
 * - `Query` is a query: `foreach(row=Session.Query)` streams the transcript (session-store.ts)
 *   as rows `{Stdin, Stdout, Stderr}` until the program exits or the reader stops; stopping
 *   the reader (a `query(timeout=...)` around it, cancellation) ends the session.
 * - Running programs needs the user's opt-in (`allowExecve`), as execve(): without it the
 *   call logs how to allow it and returns NULL.
 */
import { StoredQuery } from '../../vql/eval/query-values.ts';
import { GET_MEMBER, MEMBERS, VDict, ABSENT, type Absent, type FunctionDef, type HostObject, type Value } from '../../vql/index.ts';
import { openSession, type ShellSession } from './session-store.ts';

export const SHELL_DISABLED =
  "shell_session() is disabled: running programs needs --allow-execve (CLI) or 'Allow artifacts to run programs' in the app settings";

const DEFAULT_LENGTH = 10240;

/** What shell_session() returns: a view of the session as this call found it. */
export class ShellSessionValue implements HostObject {
  readonly Query: StoredQuery;
  constructor(readonly session: ShellSession, readonly IsRunning: boolean) {
    this.Query = new StoredQuery(`shell_session(${session.name}).Query`, (scope) => session.read(scope));
  }
  [MEMBERS](): readonly string[] {
    return ['Name', 'Pid', 'IsRunning', 'Query'];
  }
  [GET_MEMBER](name: string): Value | Absent {
    switch (name) {
      case 'Name':
        return this.session.name;
      case 'Pid':
        return this.session.pid;
      case 'IsRunning':
        return this.IsRunning;
      case 'Query':
        return this.Query;
      default:
        return ABSENT;
    }
  }
  /** Shown as data without running the Query (reading it would take the transcript). */
  toJSON(): unknown {
    return { Name: this.session.name, Pid: this.session.pid, IsRunning: this.IsRunning, Argv: this.session.opts.argv };
  }
}

function envOf(env: Value): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env };
  if (env instanceof VDict) for (const [k, v] of env.entries()) out[k] = v === null || v === undefined ? '' : String(v);
  return out;
}

/** The shell_session function; `allowed` is the user's choice (HostOptions.allowExecve). */
export function shellSession(allowed: boolean): FunctionDef {
  return {
    name: 'shell_session',
    doc:
      'Start a long-running program (a shell) with pipes, once per name; returns {Name, Pid, IsRunning, Query}: IsRunning is false on the call that ' +
      'started it, Query streams the transcript as rows Stdin, Stdout, Stderr until the program exits or the reader stops (which ends the session). ' +
      'Send commands with shell_session_control(). Needs --allow-execve (CLI) or the app setting.',
    args: {
      name: { type: 'string', required: true, doc: 'The session name: later calls with this name find the running session' },
      argv: { type: 'strings', required: true, doc: 'The program and its arguments (no shell is added), e.g. ["bash"]' },
      env: { type: 'any', doc: 'A dict of environment variables to add' },
      cwd: { type: 'string', doc: 'Working directory of the program' },
      length: { type: 'int', doc: 'Bytes of output per transcript row at most', default: String(DEFAULT_LENGTH) },
    },
    version: 1,
    async run(call) {
      const { args, scope } = call;
      const log = call.log.bind(call);
      if (!allowed) {
        scope.log('error', SHELL_DISABLED);
        return null;
      }
      const name = String(args.name);
      const argv = args.argv as string[];
      if (name === '') {
        log('error', 'name is empty: give each session a name (the artifacts use the flow id)');
        return null;
      }
      if (argv.length === 0 || argv[0] === '') {
        log('error', `argv is empty for session ${name}: give the program to run, e.g. argv=["bash"]`);
        return null;
      }
      try {
        const { session, started } = await openSession({
          name,
          argv,
          env: envOf(args.env),
          cwd: typeof args.cwd === 'string' && args.cwd !== '' ? args.cwd : undefined,
          length: Math.max(1, Number(args.length ?? 0) || DEFAULT_LENGTH),
          owner: scope.signal,
          log: (level, message) => scope.log(level, message),
        });
        if (started) log('debug', `session ${name}: started ${argv.join(' ')} (pid ${session.pid})`);
        return new ShellSessionValue(session, !started);
      } catch (e) {
        log('error', `cannot start argv ${JSON.stringify(argv)} for session ${name}: ${(e as Error).message}`);
        return null;
      }
    },
  };
}
