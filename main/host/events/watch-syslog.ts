/**
 * `watch_syslog(filename=, accessor=, query=)` (VQL-FUNCTIONS.md 8.1, Velociraptor's
 * vql/parsers/syslog/scanner.go, version 2): an event plugin that follows text files forever
 * and emits each new line as `{OSPath, Line}` (tail semantics, truncation and rotation: see
 * follow.ts and watch.ts). It never ends by itself: it runs until the query is cancelled.
 */
import { VDict, type PluginDef } from '../../vql/index.ts';
import { watchArgs, watchLines } from './watch.ts';

export const watchSyslog: PluginDef = {
  name: 'watch_syslog',
  version: 2,
  category: 'event',
  doc:
    'Follow text files (tail -F) and emit every new line: {OSPath, Line}. Starts after the last complete line; handles ' +
    'truncation and rotation; a query= re-run at each poll adds files (its rows\' OSPath). Never ends by itself.',
  args: {
    ...watchArgs,
    filename: { ...watchArgs.filename, required: false },
    query: { type: 'query', doc: 'Re-run at each poll: each row\'s OSPath is a file to follow' },
  },
  async *run(call) {
    for await (const [f, line] of watchLines(call, { query: call.args.query })) {
      yield new VDict([['OSPath', f.path], ['Line', line]]);
    }
  },
};
