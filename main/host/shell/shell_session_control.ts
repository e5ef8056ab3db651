/**
 * `shell_session_control(name=, stdin=, close=, kill=)`: drives a session started by
 * shell_session(): writes `stdin` to the program (recorded as a Stdin row of the transcript),
 * and, as extensions of ours, closes its stdin (`close`: a shell exits after the commands it
 * has read) or kills it (`kill`). Returns TRUE when done; NULL, with an error in the log
 * naming the session, when there is no such session or the write failed.
 */
import type { FunctionDef } from '../../vql/index.ts';
import { findSession } from './session-store.ts';
import { SHELL_DISABLED } from './shell_session.ts';

/** The shell_session_control function; `allowed` is the user's choice (HostOptions.allowExecve). */
export function shellSessionControl(allowed: boolean): FunctionDef {
  return {
    name: 'shell_session_control',
    doc:
      'Write `stdin` to the program of a session started by shell_session() (e.g. a command and "\\n"); `close` closes its stdin, `kill` ends the session. ' +
      'TRUE when done, NULL with an error when there is no such session.',
    args: {
      name: { type: 'string', required: true, doc: 'The session name given to shell_session()' },
      stdin: { type: 'string', doc: 'Text to write to the program\'s stdin (add "\\n" to run a command)' },
      close: { type: 'bool', doc: 'Close the program\'s stdin after writing (a shell then exits): an extension of ours' },
      kill: { type: 'bool', doc: 'End the session: the program and what it started are killed (an extension of ours)' },
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
      const session = findSession(name);
      if (!session) {
        log('error', `no running shell session named ${JSON.stringify(name)}: start it with shell_session(name=${JSON.stringify(name)}, argv=[...]) first (a session ends when the query that started it ends or its program exits)`);
        return null;
      }
      try {
        if (typeof args.stdin === 'string' && args.stdin !== '') await session.write(args.stdin);
      } catch (e) {
        log('error', `session ${name}: cannot write stdin: ${(e as Error).message}`);
        return null;
      }
      if (args.close === true) session.closeStdin();
      if (args.kill === true) session.end('shell_session_control(kill=TRUE)');
      return true;
    },
  };
}
