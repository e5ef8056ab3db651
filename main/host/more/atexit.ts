/**
 * `atexit(query=, env=)` (Velociraptor's vql/functions/atexit.go): a query to run when the run
 * ends (cleaning up after a collection: removing a service, a firewall rule). It runs when the
 * run is finished (the CLI's query or collection, an app job), even when the run was cancelled
 * or timed out, with a fresh deadline of its own (ATEXIT_TIMEOUT_MS), last registered first.
 * Returns TRUE once registered.
 */
import { VDict, openArgQuery, type FunctionDef, type QueryArg } from '../../vql/index.ts';
import { asStream } from '../../vql/eval/stream.ts';
import { runState } from '../collect/run-files.ts';

/** How long one atexit query may run once the run has ended. */
export const ATEXIT_TIMEOUT_MS = 60_000;

export const atexit: FunctionDef = {
  name: 'atexit',
  doc: 'Runs `query` when the run ends (also when it was cancelled or timed out); returns TRUE',
  args: {
    query: { type: 'query', required: true, doc: 'The query to run at the end' },
    env: { type: 'any', doc: 'A dict of variables the query sees' },
  },
  run(call) {
    const { scope } = call;
    const query = call.args.query as unknown as QueryArg;
    const env = call.args.env;
    runState(scope).atExit(async () => {
      const stop = new AbortController();
      const timer = setTimeout(() => {
        scope.log('warn', `atexit: the query was stopped after ${ATEXIT_TIMEOUT_MS / 1000} s`);
        stop.abort();
      }, ATEXIT_TIMEOUT_MS);
      let s = scope.withSignal(stop.signal);
      if (env instanceof VDict) s = s.child(env);
      try {
        for await (const batch of asStream(openArgQuery(query, s))) void batch;
      } catch (e) {
        if (!stop.signal.aborted) scope.log('error', `atexit: ${(e as Error).message}`);
      } finally {
        clearTimeout(timer);
      }
    });
    return true;
  },
};
