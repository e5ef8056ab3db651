/**
 * `profile_goroutines()`: Velociraptor lists every goroutine with its state and `CallStack`
 * (`{Name, File, Line}` rows). JavaScript runs one stack per thread and keeps none for the work
 * that waits (promises, timers, I/O): the only live stack a query can read is its own thread's.
 * So: one row, this thread (`ID` its threadId, 0 for the main thread; `State` "running"; `Name`),
 * with the stack profile_goroutines() runs on, innermost frame first. The running queries and
 * waiting resources are in profile(goroutine=TRUE)'s dump and profile(queries=TRUE).
 */
import { isMainThread, threadId } from 'node:worker_threads';
import type { PluginDef } from '../../vql/index.ts';
import { VDict } from '../../vql/index.ts';
import { currentStack } from './frames.ts';

export const profileGoroutines: PluginDef = {
  name: 'profile_goroutines',
  doc:
    "This thread's live stack, as Velociraptor's goroutine rows: ID, State, Name, CallStack ({Name, File, Line}, innermost first). " +
    'JavaScript keeps no stacks for waiting work: one row, the thread running the query.',
  args: {},
  *run() {
    yield new VDict([
      ['ID', threadId],
      ['State', 'running'],
      ['Name', isMainThread ? 'main thread' : `worker thread ${threadId}`],
      ['CallStack', currentStack()],
    ]);
  },
};
