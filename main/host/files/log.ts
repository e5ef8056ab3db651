/**
 * `log(message=, args=, level=, dedup=)`: writes to the query log and returns TRUE, so it can
 * sit in a WHERE clause or a lambda (`x=>log(message="saw %v", args=x) AND x`).
 */
import { sprintf, type FunctionDef, type LogLevel, type Scope, type Value } from '../../vql/index.ts';
import { textOf } from './text.ts';

const LEVELS: Record<string, LogLevel> = {
  DEFAULT: 'info', INFO: 'info', WARN: 'warn', WARNING: 'warn', ERROR: 'error', DEBUG: 'debug',
};

/** Velociraptor's default: the same message is written at most once a minute. */
const DEFAULT_DEDUP_SECONDS = 60;

const SEEN = Symbol('host-log-dedup');
const LOGGED_ONCE = Symbol('host-log-once');

/**
 * Logs `message` at `level` once per query (the accessors' damage and notices: a glob meets the
 * same broken volume at every entry); at most 1,000 messages are remembered.
 */
export function logOnce(scope: Scope, level: 'error' | 'warn' | 'debug', message: string): void {
  let seen = scope.env.context.get(LOGGED_ONCE) as Set<string> | undefined;
  if (!seen) scope.env.context.set(LOGGED_ONCE, (seen = new Set()));
  if (seen.has(message) || seen.size > 1000) return;
  seen.add(message);
  scope.log(level, message);
}

/**
 * True when `key` was let through less than `seconds` ago in this session (the caller then
 * holds it back); otherwise notes it now and returns false. `table` names the session's memory
 * (one per caller: log messages, alert names); it forgets everything past 10,000 keys.
 */
export function seenWithin(env: { context: Map<unknown, unknown> }, table: symbol, key: string, seconds: number): boolean {
  let seen = env.context.get(table) as Map<string, number> | undefined;
  if (!seen) env.context.set(table, (seen = new Map()));
  const now = Date.now();
  const last = seen.get(key);
  if (last !== undefined && now - last < seconds * 1000) return true;
  if (seen.size > 10_000) seen.clear();
  seen.set(key, now);
  return false;
}

export const log: FunctionDef = {
  name: 'log',
  doc: 'Write a message to the query log (formatted with `args` like format()); returns TRUE. The same message is suppressed for `dedup` seconds (default 60; -1 never suppresses).',
  args: {
    message: { type: 'string', required: true, doc: 'The message, a format string when args are given' },
    args: { type: 'any', doc: 'Values for the format verbs (one value or a list)' },
    level: { type: 'string', doc: 'DEFAULT, INFO, WARN, ERROR or DEBUG', default: 'DEFAULT' },
    dedup: { type: 'int', doc: 'Seconds to suppress repeats of the same message (-1: never)', default: '60' },
  },
  run(call) {
    const { args, scope } = call;
    const a = args.args;
    const message = a === undefined ? (args.message as string) : sprintf(args.message as string, Array.isArray(a) ? (a as Value[]) : [a]);
    const level = LEVELS[textOf(args.level ?? 'DEFAULT').toUpperCase()] ?? 'info';
    const dedup = Number(args.dedup ?? 0) === 0 ? DEFAULT_DEDUP_SECONDS : Number(args.dedup);
    if (dedup > 0 && seenWithin(scope.env, SEEN, message, dedup)) return true;
    // Straight to the scope's log: the message is the user's, without a `log:` prefix.
    scope.log(level, message);
    return true;
  },
};
