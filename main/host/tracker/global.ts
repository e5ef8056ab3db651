/**
 * The global process tracker (one per JS realm) and the dummy tracker that answers until
 * `process_tracker()` installs a real one (tracker.ts describes both models).
 *
 * The dummy lists the processes with pslist (Linux: /proc, no child process; elsewhere
 * pidusage), cached 10 s as Velociraptor caches its pslist() call: ids are the bare pids,
 * parents the bare ppids, Data is the pslist row (Pid and Ppid stay numbers) plus StartTime
 * and EndTime (zero), and there are no children and no updates.
 */
import { VDict, type Scope, type Value } from '../../vql/index.ts';
import { linuxRows } from '../system/pslist.ts';
import { pslistPidusage } from '../system/pslist-pidusage.ts';
import { entryData, type Entry, type ProcessTracker, type Tracker } from './tracker.ts';
import { timeMs } from './rows.ts';

const PSLIST_CACHE_MS = 10_000;

class DummyTracker implements Tracker {
  readonly real = false;
  readonly enrichments: readonly string[] = [];
  private cache: { at: number; entries: Map<string, Entry> } | null = null;

  private async entries(scope: Scope): Promise<Map<string, Entry>> {
    const now = Date.now();
    if (this.cache && now - this.cache.at < PSLIST_CACHE_MS) return this.cache.entries;
    let rows: VDict[];
    if (process.platform === 'linux') rows = [...linuxRows(0, scope.signal)];
    else rows = await pslistPidusage(0, (level, message) => scope.log(level, `process tracker: ${message}`), process.platform);
    const entries = new Map<string, Entry>();
    for (const row of rows) {
      const pid = row.get('Pid');
      const ppid = row.get('Ppid');
      const created: Value = row.get('CreateTime');
      const id = String(pid);
      entries.set(id, { id, parentId: String(ppid ?? ''), startMs: timeMs(created), endMs: null, data: row, children: new Set(), lastSeenMs: now });
    }
    this.cache = { at: now, entries };
    return entries;
  }

  async get(id: string, scope: Scope): Promise<Entry | null> {
    return (await this.entries(scope)).get(id) ?? null;
  }

  async all(scope: Scope): Promise<Entry[]> {
    return [...(await this.entries(scope)).values()];
  }

  data(e: Entry): VDict {
    return entryData(e, true);
  }
}

const dummy = new DummyTracker();
let current: Tracker = dummy;

/** The tracker in force: the installed one, or the dummy. */
export function globalTracker(): Tracker {
  return current;
}

/** Makes `t` the global tracker; returns the one it replaced. */
export function installTracker(t: ProcessTracker): Tracker {
  const old = current;
  current = t;
  return old;
}

/** Restores the dummy if `t` is still the global tracker. */
export function uninstallTracker(t: ProcessTracker): boolean {
  if (current !== t) return false;
  current = dummy;
  t.closeReaders();
  return true;
}

/** Whether `t` is the global tracker. */
export function isInstalled(t: ProcessTracker): boolean {
  return current === t;
}
