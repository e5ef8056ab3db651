/**
 * `watch_jsonl(filename=, accessor=)` (VQL-FUNCTIONS.md 8.2, Velociraptor's
 * vql/parsers/json.go): follows JSON-lines files like watch_syslog and emits each new line
 * parsed as a JSON object, its keys as the columns (no OSPath column). Empty lines are
 * skipped; a line that is not a JSON object logs `Invalid jsonl: <line>` (naming the file)
 * and is skipped. Never ends by itself.
 */
import { VDict, fromJSON, type PluginDef, type Value } from '../../vql/index.ts';
import { watchArgs, watchLines } from './watch.ts';

export const watchJsonl: PluginDef = {
  name: 'watch_jsonl',
  category: 'event',
  doc: 'Follow JSON-lines files (tail -F) and emit every new line as a row (the object\'s keys are the columns). Never ends by itself.',
  args: watchArgs,
  async *run(call) {
    for await (const [f, line] of watchLines(call)) {
      if (line.trim() === '') continue;
      let v: Value;
      try {
        v = fromJSON(line);
      } catch {
        v = null;
      }
      if (v instanceof VDict) yield v;
      else call.log('warn', `Invalid jsonl: ${line.length > 200 ? line.slice(0, 200) + '...' : line} (in ${f.path.toString()})`);
    }
  },
};
