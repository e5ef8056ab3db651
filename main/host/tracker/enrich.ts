/**
 * The tracker's `enrichments` (VQL-FUNCTIONS.md 7.2): lambdas called with a ProcessEntry by
 * process_tracker_get and process_tracker_tree; a dict result's keys are merged into Data.
 */
import { VDict, type Scope } from '../../vql/index.ts';
import { lambdaArg } from '../files/lambdas.ts';
import { entryDict, type Entry, type Tracker } from './tracker.ts';

/** The entry's Data with every enrichment merged in. */
export async function enrichedData(tracker: Tracker, e: Entry, scope: Scope): Promise<VDict> {
  const data = tracker.data(e);
  for (const text of tracker.enrichments) {
    const fn = lambdaArg(text, scope);
    if (!fn) continue;
    const extra = await fn(scope, entryDict(e, data));
    if (extra instanceof VDict) for (const [k, v] of extra.entries()) data.map.set(k, v);
  }
  return data;
}
