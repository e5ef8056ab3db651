/**
 * The process tracker's model (VQL-FUNCTIONS.md 7.1, Velociraptor's vql/tools/process): what
 * every process_tracker_* function and plugin reads.
 *
 * There is one global tracker per JS realm (per worker thread). Until `process_tracker()`
 * installs a real one, a DUMMY tracker answers: it lists the processes (pslist, cached 10 s),
 * ids are the bare pids, there are no children and no updates, and an ended process is gone.
 *
 * A REAL tracker (ProcessTracker below) is fed by full snapshots (the sync query, polled) and
 * by start/exit updates (an update query), and keeps what it saw:
 * - a process's id is `<pid>-<start unix seconds>` (`<pid>-0` without a start time); the bare
 *   `<pid>` is a link to the newest process with that pid, so both forms can be looked up;
 * - the parent is the newest known process with the parent pid that started no later than the
 *   child (a reused pid is not taken for the parent), else `<ppid>-?`;
 * - a process that a later snapshot no longer lists gets an EndTime (the last time it was
 *   seen: an estimate) and an `exit` update; one that appears after the first snapshot gets a
 *   `start` update (beyond Velociraptor, whose snapshots send none: without eBPF or ETW, these are
 *   the only start/exit events there are here);
 * - entries (and links) live in an LRU of `max_size`, expiring `max_expiry` seconds after
 *   their last use; a parent records at most 11 children from updates (Velociraptor's cap),
 *   any number from snapshots.
 * Updates go to every reader of process_tracker_updates (each has its own queue of at most
 * 1000; beyond that the oldest are dropped) - Velociraptor hands each update to one reader.
 */
import { VDict, VTime, type Scope, type Value } from '../../vql/index.ts';
import { goStruct, type GoStructValue } from '../system/gostruct.ts';

/** Go's zero time: a StartTime or EndTime that is not known. */
export const ZERO_TIME = new VTime(-62135596800n * 1_000_000_000n);

/** One process as the tracker holds it. */
export interface Entry {
  id: string;
  parentId: string;
  /** Milliseconds since the epoch, or null when unknown. */
  startMs: number | null;
  endMs: number | null;
  /** The `data` dict the sync or update query gave. */
  data: VDict;
  children: Set<string>;
  /** When a snapshot last listed it (ms). */
  lastSeenMs: number;
}

/** A row of a sync or update query, read. */
export interface ProcessUpdate {
  id: string;
  parentId: string | null;
  startMs: number | null;
  endMs: number | null;
  data: VDict;
  updateType?: string;
}

const time = (ms: number | null): VTime => (ms === null ? ZERO_TIME : VTime.fromMillis(ms));

/** The entry's Data as VQL sees it: the data dict plus Pid, Ppid, StartTime, EndTime. */
export function entryData(e: Entry, numericIds = false): VDict {
  const d = new VDict([...e.data.entries()]);
  if (!numericIds) {
    d.map.set('Pid', e.id);
    d.map.set('Ppid', e.parentId);
  }
  d.map.set('StartTime', time(e.startMs));
  d.map.set('EndTime', time(e.endMs));
  return d;
}

/** The ProcessEntry dict (`api.go` MarshalJSON): Id, ParentId, StartTime, EndTime, Data, Children. */
export function entryDict(e: Entry, data: VDict = entryData(e)): VDict {
  return new VDict([
    ['Id', e.id],
    ['ParentId', e.parentId],
    ['StartTime', time(e.startMs)],
    ['EndTime', time(e.endMs)],
    ['Data', data],
    ['Children', [...e.children]],
  ]);
}

/** `UpdateProcessEntry`: a Go struct without json tags (so `update_type` does not resolve). */
const UpdateProcessEntry = goStruct([
  ['Id', 'Id'],
  ['ParentId', 'ParentId'],
  ['UpdateType', 'UpdateType'],
  ['StartTime', 'StartTime'],
  ['EndTime', 'EndTime'],
  ['Data', 'Data'],
]);

export function updateRow(type: string, e: Entry | null, data: Value): GoStructValue {
  return UpdateProcessEntry.of([e?.id ?? '', e?.parentId ?? '', type, time(e?.startMs ?? null), time(e?.endMs ?? null), data]);
}

/** What the query functions need from a tracker (real or dummy). */
export interface Tracker {
  readonly real: boolean;
  get(id: string, scope: Scope): Promise<Entry | null>;
  /** Every (real) entry. */
  all(scope: Scope): Promise<Entry[]>;
  /** Data as process_tracker_pslist emits it. */
  data(e: Entry): VDict;
  /** Lambdas whose dict results are merged into Data by get and tree. */
  readonly enrichments: readonly string[];
  /** A reader of updates; the dummy has none. */
  subscribe?(): UpdateQueue;
}

/** A reader's queue of update rows. */
export class UpdateQueue {
  private readonly items: GoStructValue[] = [];
  private waiter: (() => void) | null = null;
  closed = false;
  constructor(private readonly onClose: (q: UpdateQueue) => void, readonly max = 1000) {}
  push(row: GoStructValue): void {
    if (this.closed) return;
    if (this.items.length >= this.max) this.items.shift();
    this.items.push(row);
    this.wake();
  }
  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
  /** The queued rows, waiting for one when there is none (empty when closed or cancelled). */
  async take(signal: AbortSignal): Promise<GoStructValue[]> {
    while (!this.items.length && !this.closed && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        signal.addEventListener('abort', onAbort, { once: true });
        this.waiter = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
      });
    }
    return this.items.splice(0);
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this);
    this.wake();
  }
}

/** Velociraptor caps the children recorded through updates at 11 per parent (`len > 10`). */
const MAX_CHILDREN = 10;

interface Link {
  link: string;
}

type Slot = { value: Entry | Link; touchedMs: number };

export interface TrackerOptions {
  maxSize?: number;
  /** Seconds. */
  maxExpiry?: number;
  enrichments?: readonly string[];
  /** The clock (tests of expiry use their own). */
  now?: () => number;
}

/** A real tracker: snapshots and updates in, entries and updates out. */
export class ProcessTracker implements Tracker {
  readonly real = true;
  private readonly lru = new Map<string, Slot>();
  private readonly readers = new Set<UpdateQueue>();
  private readonly maxSize: number;
  private readonly maxExpiryMs: number;
  readonly enrichments: readonly string[];
  private readonly now: () => number;
  private synced = false;
  lastSyncMs = 0;

  constructor(opts: TrackerOptions = {}) {
    this.maxSize = opts.maxSize && opts.maxSize > 0 ? opts.maxSize : 10000;
    this.maxExpiryMs = (opts.maxExpiry && opts.maxExpiry > 0 ? opts.maxExpiry : 86400) * 1000;
    this.enrichments = opts.enrichments ?? [];
    this.now = opts.now ?? Date.now;
  }

  private slot(key: string): Slot | undefined {
    const s = this.lru.get(key);
    if (!s) return undefined;
    const now = this.now();
    if (now - s.touchedMs > this.maxExpiryMs) {
      this.lru.delete(key);
      return undefined;
    }
    // Most recently used last.
    s.touchedMs = now;
    this.lru.delete(key);
    this.lru.set(key, s);
    return s;
  }

  private put(key: string, value: Entry | Link): void {
    this.lru.delete(key);
    this.lru.set(key, { value, touchedMs: this.now() });
    while (this.lru.size > this.maxSize) this.lru.delete(this.lru.keys().next().value!);
  }

  /** The entry of a real id or a bare pid. */
  lookup(id: string): Entry | null {
    const s = this.slot(id);
    if (!s) return null;
    if ('link' in s.value) {
      const t = this.slot(s.value.link);
      return t && !('link' in t.value) ? t.value : null;
    }
    return s.value;
  }

  async get(id: string): Promise<Entry | null> {
    return this.lookup(id);
  }

  async all(): Promise<Entry[]> {
    const now = this.now();
    const out: Entry[] = [];
    for (const [key, s] of this.lru) {
      if (now - s.touchedMs > this.maxExpiryMs) {
        this.lru.delete(key);
        continue;
      }
      if (!('link' in s.value)) out.push(s.value);
    }
    return out;
  }

  data(e: Entry): VDict {
    return entryData(e);
  }

  /** The real id of a row: `<pid>-<start seconds>`. */
  static realId(pid: string, startMs: number | null): string {
    return `${pid}-${startMs === null ? 0 : Math.floor(startMs / 1000)}`;
  }

  /** The real id of the parent pid: the newest process with that pid that is not younger than the child. */
  private parentOf(ppid: string | null, childStartMs: number | null): string {
    if (ppid === null || ppid === '') return '';
    const p = this.lookup(ppid);
    if (p && (p.startMs === null || childStartMs === null || p.startMs <= childStartMs + 999)) return p.id;
    return `${ppid}-?`;
  }

  private link(pid: string, e: Entry): void {
    const cur = this.lookup(pid);
    if (!cur || cur === e || (cur.startMs ?? 0) <= (e.startMs ?? 0)) this.put(pid, { link: e.id });
  }

  private addChild(parentId: string, childId: string, capped: boolean): void {
    const p = this.lookup(parentId);
    if (!p || p.children.has(childId)) return;
    if (capped && p.children.size > MAX_CHILDREN) return;
    p.children.add(childId);
  }

  private broadcast(row: GoStructValue): void {
    for (const r of this.readers) r.push(row);
  }

  /** A full snapshot: every process that exists now. */
  sync(rows: ProcessUpdate[]): void {
    const now = this.now();
    const first = !this.synced;
    const seen = new Set<string>();
    const fresh: Entry[] = [];
    // Pass 1: the entries and pid links, so that pass 2 finds parents listed after children.
    const placed: Array<[ProcessUpdate, Entry]> = [];
    for (const r of rows) {
      const id = ProcessTracker.realId(r.id, r.startMs);
      let e = this.lookup(id);
      if (!e) {
        e = { id, parentId: '', startMs: r.startMs, endMs: null, data: r.data, children: new Set(), lastSeenMs: now };
        this.put(id, e);
        fresh.push(e);
      } else {
        e.data = r.data;
        e.lastSeenMs = now;
        if (e.endMs !== null && r.endMs === null) e.endMs = null;
      }
      if (r.endMs !== null) e.endMs = r.endMs;
      this.link(r.id, e);
      seen.add(id);
      placed.push([r, e]);
    }
    for (const [r, e] of placed) {
      // A known parent is kept: after it ends the kernel reparents the orphan (to init), but
      // the call chain is the one the process started with.
      if (e.parentId === '' || e.parentId.endsWith('-?')) e.parentId = this.parentOf(r.parentId, e.startMs);
      if (e.parentId) this.addChild(e.parentId, e.id, false);
    }
    // Exits: seen before, not in this snapshot.
    for (const e of this.allNow()) {
      if (seen.has(e.id) || e.endMs !== null) continue;
      e.endMs = e.lastSeenMs;
      this.broadcast(updateRow('exit', e, entryData(e)));
    }
    if (!first) for (const e of fresh) this.broadcast(updateRow('start', e, entryData(e)));
    this.synced = true;
    this.lastSyncMs = now;
    if (this.readers.size) this.broadcast(updateRow('sync', null, this.snapshot()));
  }

  private allNow(): Entry[] {
    const out: Entry[] = [];
    for (const s of this.lru.values()) if (!('link' in s.value)) out.push(s.value);
    return out;
  }

  /** One start or exit update (the update query's rows). Other types are ignored. */
  update(r: ProcessUpdate): void {
    if (r.updateType === 'start') {
      const id = ProcessTracker.realId(r.id, r.startMs);
      let e = this.lookup(id);
      if (!e) {
        e = { id, parentId: '', startMs: r.startMs, endMs: null, data: r.data, children: new Set(), lastSeenMs: this.now() };
        this.put(id, e);
      } else {
        e.data = r.data;
      }
      this.link(r.id, e);
      const parent = this.parentOf(r.parentId, e.startMs);
      e.parentId = parent;
      if (parent) this.addChild(parent, id, true);
      this.broadcast(updateRow('start', e, entryData(e)));
    } else if (r.updateType === 'exit') {
      const e = this.lookup(r.id) ?? this.lookup(ProcessTracker.realId(r.id, r.startMs));
      if (!e) return;
      e.endMs = r.endMs ?? this.now();
      this.broadcast(updateRow('exit', e, entryData(e)));
    }
  }

  /** Every entry by id (the `sync` update's Data). */
  snapshot(): VDict {
    return new VDict(this.allNow().map((e) => [e.id, entryDict(e)]));
  }

  subscribe(): UpdateQueue {
    const q = new UpdateQueue((x) => this.readers.delete(x));
    this.readers.add(q);
    return q;
  }

  /** Ends every reader (the tracker was uninstalled). */
  closeReaders(): void {
    for (const r of [...this.readers]) r.close();
  }

  get size(): number {
    return this.lru.size;
  }
}
