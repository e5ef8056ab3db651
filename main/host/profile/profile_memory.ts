/**
 * `profile_memory()`: where the live heap was allocated, as Velociraptor's rows
 * `{InUseBytes, InUseObjects, CallStack}` (CallStack: `{Name, File, Line}`, innermost first), the
 * largest first. From V8's sampling heap profiler over a 1 s window (sampling.ts): the sampled
 * allocations made meanwhile, by any query of this thread, that are still alive at its end.
 * Go's runtime samples from the start; V8 only while asked, so allocations older than the window
 * do not show. Cancelling the query ends the window early (and gives no rows).
 */
import type { PluginDef } from '../../vql/index.ts';
import { SAMPLING_WINDOW_MS, memoryRows, sampleHeap } from './sampling.ts';

export const profileMemory: PluginDef = {
  name: 'profile_memory',
  doc:
    'Live heap by allocation stack, as Velociraptor: InUseBytes, InUseObjects (samples), CallStack ({Name, File, Line}, innermost first), ' +
    'largest first. From a V8 sampling heap profile over 1 s: allocations made in that window and still alive.',
  args: {},
  async *run({ signal, log }) {
    let rows;
    try {
      const profile = await sampleHeap(SAMPLING_WINDOW_MS, true, signal);
      if (signal.aborted) return;
      rows = memoryRows(profile);
    } catch (e) {
      log('error', (e as Error).message);
      return;
    }
    for (const r of rows) {
      if (signal.aborted) return;
      yield r;
    }
  },
};
