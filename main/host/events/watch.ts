/**
 * The loop shared by the file-tailing event plugins (watch_syslog, watch_jsonl): follows every
 * file (follow.ts) until the query is cancelled, polling every 3 s as Velociraptor does
 * (`defaults.watch_plugin_frequency`) and, for local files, also as soon as the kernel reports
 * a change in the file's folder (fs.watch), so lines arrive without waiting for the next poll.
 * Watching the folder rather than the file keeps working across rotation.
 *
 * With a `query`, the query runs at every poll: each row's `OSPath` is a file to follow (those
 * of the first run are tailed, those that appear later are read from their start), and files
 * that drop out of its rows stop being followed.
 */
import { ABSENT, VDict, isHostObject, GET_MEMBER, type PluginCall, type Value } from '../../vql/index.ts';
import { openArgQuery } from '../../vql/eval/coerce.ts';
import { asStream } from '../../vql/eval/stream.ts';
import { accessorFor, type Accessor } from '../files/accessors.ts';
import { OSPath } from '../files/ospath.ts';
import { FileFollower } from './follow.ts';
import { PollWait } from './poll-wait.ts';

/** Velociraptor's `defaults.watch_plugin_frequency`, in ms. */
export const POLL_MS = 3000;

export const watchArgs = {
  filename: { type: 'any', doc: 'The file or files to follow', required: true },
  accessor: { type: 'string', doc: 'How to read them (default auto)', default: 'auto' },
  buffer_size: { type: 'int', doc: 'Accepted and unused, as in Velociraptor (the read buffer is 16 KiB)' },
} as const;

function rowPath(row: Value): Value {
  if (row instanceof VDict) {
    const v = row.get('OSPath');
    return v === ABSENT ? null : v;
  }
  if (isHostObject(row)) {
    const v = row[GET_MEMBER]('OSPath');
    return v === ABSENT ? null : v;
  }
  return null;
}

/** Yields `[follower, line]` for every new line of the watched files, until cancelled. */
export async function* watchLines(call: PluginCall, opts: { query?: Value } = {}): AsyncGenerator<[FileFollower, string]> {
  const { args, scope, signal } = call;
  const log = (level: 'debug' | 'info' | 'warn' | 'error', m: string) => call.log(level, m);
  let accessor: Accessor;
  try {
    accessor = accessorFor(scope, args.accessor);
  } catch (e) {
    log('error', `argument accessor: ${(e as Error).message}`);
    return;
  }
  const followers = new Map<string, FileFollower>();
  const pause = new PollWait(signal);

  const add = async (name: Value, fromStart: boolean) => {
    let path: OSPath;
    try {
      path = accessor.path(name);
    } catch (e) {
      log('error', `argument filename: ${(e as Error).message}`);
      return;
    }
    const key = path.toString();
    if (followers.has(key)) return;
    const f = new FileFollower(path, accessor, scope, log, fromStart);
    await f.start();
    followers.set(key, f);
    log('debug', `following ${key}${fromStart ? ' from its start' : ''}`);
    const local = f.localFile;
    if (local) pause.watchFolderOf(local);
  };

  const names = Array.isArray(args.filename) ? args.filename : args.filename === undefined || args.filename === null ? [] : [args.filename];
  if (!names.length && (opts.query === undefined || opts.query === null)) {
    log('error', 'argument filename: no file to follow (give filename= or query=)');
    return;
  }
  for (const n of names) await add(n, false);

  let firstQuery = true;
  const refresh = async () => {
    if (opts.query === undefined || opts.query === null) return;
    const wanted = new Set<string>();
    const found: Value[] = [];
    try {
      for await (const batch of asStream(openArgQuery(opts.query, scope))) {
        for (const row of batch) {
          const p = rowPath(row);
          if (p === null) continue;
          found.push(p);
          wanted.add(accessor.path(p).toString());
        }
      }
    } catch (e) {
      if (!signal.aborted) log('error', `argument query: ${(e as Error).message}`);
      return;
    }
    for (const p of found) await add(p, !firstQuery);
    firstQuery = false;
    const fixed = new Set(names.map((n) => accessor.path(n).toString()));
    for (const [key, f] of followers) {
      if (!wanted.has(key) && !fixed.has(key)) {
        followers.delete(key);
        await f.close();
      }
    }
  };

  try {
    while (!signal.aborted) {
      await refresh();
      pause.polling();
      for (const f of followers.values()) {
        let lines: string[];
        try {
          lines = await f.poll();
        } catch (e) {
          log('warn', `${f.path.toString()}: ${(e as Error).message}`);
          continue;
        }
        for (const line of lines) {
          if (signal.aborted) return;
          yield [f, line];
        }
      }
      await pause.wait(POLL_MS);
    }
  } finally {
    pause.close();
    for (const f of followers.values()) await f.close();
  }
}
