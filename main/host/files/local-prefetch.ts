/**
 * Directory listings ahead of a walk on this machine (the file accessor's `lister`, used by
 * glob). A large glob spends about half its time in readdir and lstat system calls and half
 * turning entries into rows and output; one thread does them one after the other. Here, once
 * a walk has listed `startAfter` entries (a small glob never pays for a thread), a lister
 * thread (list-worker.ts) is started, and the walk tells it which directories it will enter
 * (`want`, in the order it will enter them): their listings are made on the second core while
 * this thread makes rows, and are ready, or nearly, when the walk gets there. A directory the
 * walk needs before the lister has begun it, the walk takes back and lists itself (a claim
 * slot per directory decides, list-worker.ts): the walk never waits for a lister that a busy
 * machine gives no time, only for a directory the lister is in the middle of.
 *
 * Nothing changes in what a listing holds: the same readdir, the same sort, the same lstat
 * fields (node's BigInt64 values, so nanosecond times and 64-bit inodes stay exact), the same
 * skipped entries and the same errors (code and message) as local-list.ts. Only directories on
 * a local, fast filesystem (mounts.ts) go to the thread; mount points of slow ones are
 * lstat-ed here, asynchronously, as local-list.ts does; everything else (symlinked
 * directories, other filesystems, other OSes, the first `startAfter` entries) is listed by
 * listLocal as before. The lister keeps at most `limit` entries ahead of the walk. It stops
 * when the walk ends, is cancelled, or fails (the walk goes on with listLocal).
 */
import { lstat } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { maybeYield } from '../../vql/eval/stream.ts';
import { NodeStat, type FileStat } from './fileinfo.ts';
import { CLAIM_WALK, CLAIM_WANTED, CTL_SIGNAL, CTL_SLEEPING, CTL_SLOTS, CTL_STOP, CTL_TAKEN, CTL_WAITING, CTL_WAKE_AT, FIELD_COUNT, STAT_FIELDS, WORKER_SOURCE, type ListBatch, type ListedDir, type ListRequest } from './list-worker.ts';
import { fsTypeOf, listLocal } from './local-list.ts';
import { knownFs, slowMountPoints } from './mounts.ts';
import type { OSPath } from './ospath.ts';
import type { StatRecord } from './stat-sys.ts';

export interface ListerOptions {
  /** Entries a walk lists itself before it starts the lister thread. */
  readonly startAfter: number;
  /**
   * Start it only when the machine has a core to spare (the 1-minute load average is below
   * the number of cores less one): on a busy machine a second thread takes time from the
   * first and from the other programs, and the walk is no faster.
   */
  readonly spareCoreOnly: boolean;
  /** Entries the lister may be ahead of the walk. */
  readonly limit: number;
  /** Entries per result message. */
  readonly flushEntries: number;
  /** Told why the lister thread stopped working when it failed (the walk goes on without it). */
  readonly onFailure?: (message: string) => void;
}

/** Lister threads started and running now, and directories they listed for walks, in this process (for tests). */
export const listerCounters = { started: 0, running: 0, threadedDirs: 0 };

const idleWaiters: Array<() => void> = [];

/** Resolves when no lister thread of this process runs (at once when none does). For tests. */
export function whenListersStopped(): Promise<void> {
  if (listerCounters.running === 0) return Promise.resolve();
  return new Promise((resolve) => idleWaiters.push(resolve));
}

const DEFAULTS: ListerOptions = { startAfter: 4096, spareCoreOnly: true, limit: 8192, flushEntries: 512 };

/** VQL_LISTER=off: never a lister thread; =on: whatever the load (benchmarks, tests). */
function fromEnv(): Partial<ListerOptions> {
  const mode = process.env.VQL_LISTER;
  if (mode === 'off') return { startAfter: Infinity };
  if (mode === 'on') return { spareCoreOnly: false };
  return {};
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/** Directory listings for one walk (glob): the accessor's `lister()`. */
export interface DirLister {
  /**
   * The walk will enter these entries (those that are directories), in this order, and
   * `levels` levels below each of them.
   */
  want(entries: readonly FileStat[], levels: number): void;
  /** As the accessor's readDir. */
  readDir(dir: OSPath, self?: FileStat): Promise<FileStat[]>;
  /** The walk will not enter `dir` after all (wanted before). */
  drop(dir: OSPath): void;
  /** The walk is over (or cancelled). */
  close(): void;
  /** Directories whose listing the lister thread made, and those the walk took back, so far (for tests). */
  readonly threaded: number;
  readonly taken: number;
}

/** A lstat record in a result batch: fields read (as BigInt) when asked for. */
class PackedStat implements StatRecord {
  constructor(private readonly v: BigInt64Array, private readonly o: number, private readonly m: number) {}
  get dev(): bigint { return this.v[this.o]!; }
  get ino(): bigint { return this.v[this.o + 1]!; }
  get mode(): bigint { return this.v[this.o + 2]!; }
  get nlink(): bigint { return this.v[this.o + 3]!; }
  get uid(): bigint { return this.v[this.o + 4]!; }
  get gid(): bigint { return this.v[this.o + 5]!; }
  get rdev(): bigint { return this.v[this.o + 6]!; }
  get size(): bigint { return this.v[this.o + 7]!; }
  get blksize(): bigint { return this.v[this.o + 8]!; }
  get blocks(): bigint { return this.v[this.o + 9]!; }
  get atimeNs(): bigint { return this.v[this.o + 10]!; }
  get mtimeNs(): bigint { return this.v[this.o + 11]!; }
  get ctimeNs(): bigint { return this.v[this.o + 12]!; }
  get birthtimeNs(): bigint { return this.v[this.o + 13]!; }
  isDirectory(): boolean { return (this.m & S_IFMT) === S_IFDIR; }
  isSymbolicLink(): boolean { return (this.m & S_IFMT) === S_IFLNK; }
}

if (STAT_FIELDS[13] !== 'birthtimeNs' || FIELD_COUNT !== 14) throw new Error('local-prefetch.ts: PackedStat does not match STAT_FIELDS of list-worker.ts');

interface Slot {
  /** The directory's device (Data.FSType of its entries). */
  readonly dev: bigint;
  /** Its claim slot: claims[at] (list-worker.ts). */
  readonly claims: Int32Array;
  readonly at: number;
  dropped: boolean;
  listed?: { dir: ListedDir; values: BigInt64Array; modes: Int32Array };
  waiter?: () => void;
}

function namesOf(d: ListedDir): string[] {
  return d.count ? d.names!.split('\0') : [];
}

/** Whether `dev` is a local filesystem whose calls cannot hang (mounts.ts). */
function fast(dev: bigint | undefined): boolean {
  if (dev === undefined) return false;
  const fs = knownFs(dev);
  return fs !== undefined && !fs.slow;
}

export class LocalLister implements DirLister {
  private listedHere = 0;
  private worker: Worker | null = null;
  private port: MessagePort | null = null;
  private ctl: Int32Array | null = null;
  private online = false;
  private closed = false;
  private readonly slots = new Map<string, Slot>();
  private sentSlow: ReadonlySet<string> | null = null;
  private waiting = 0;
  threaded = 0;
  taken = 0;

  private readonly options: ListerOptions;
  private readonly readyWaiters: Array<(online: boolean) => void> = [];
  private stopped: Promise<void> = Promise.resolve();
  private readonly onAbort = () => this.close();

  constructor(private readonly localPath: (p: OSPath) => string, private readonly signal?: AbortSignal, options?: Partial<ListerOptions>) {
    this.options = { ...DEFAULTS, ...fromEnv(), ...options };
  }

  /** Resolves when the lister thread runs (true), or will not (false: closed, failed). For tests. */
  ready(): Promise<boolean> {
    if (this.online || this.closed) return Promise.resolve(this.online);
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** Resolves when the lister thread has ended (at once when there is none). For tests. */
  whenStopped(): Promise<void> {
    return this.stopped;
  }

  /** Waits until the lister thread has listed `dir` (wanted before); false if it will not. For tests. */
  async whenListed(dir: OSPath): Promise<boolean> {
    const slot = this.slots.get(this.localPath(dir));
    if (!slot) return false;
    if (!slot.listed) await this.wait(slot);
    return slot.listed !== undefined;
  }

  /** Directories wanted or listed and not yet read nor dropped. For tests. */
  get pending(): number {
    return this.slots.size;
  }

  want(entries: readonly FileStat[], levels: number): void {
    if (!this.online) return;
    // Those below a directory the lister goes down by itself have their slot already.
    const chosen: FileStat[] = [];
    for (const e of entries) if (e.isDir && !e.isLink && fast(e.device) && !this.slots.has(e.fullPath)) chosen.push(e);
    if (!chosen.length) return;
    const claims = new Int32Array(new SharedArrayBuffer(chosen.length * 4));
    for (let i = 0; i < chosen.length; i++) this.slots.set(chosen[i]!.fullPath, { dev: chosen[i]!.device!, claims, at: i, dropped: false });
    this.request({ dirs: chosen.map((e) => e.fullPath), claims, devs: chosen.map((e) => e.device!), ids: chosen.map((e) => e.identity!), levels });
  }

  drop(dir: OSPath): void {
    this.dropKey(this.localPath(dir));
  }

  private dropKey(key: string): void {
    const slot = this.slots.get(key);
    if (!slot) return;
    if (slot.listed) {
      this.slots.delete(key);
      this.consumed(slot.listed.dir);
      // The lister went on below it by itself: those are not needed either.
      const { dir } = slot.listed;
      if (dir.sub) {
        const names = namesOf(dir);
        const base = key.endsWith('/') ? key : key + '/';
        for (const i of dir.sub) this.dropKey(base + names[i]!);
      }
    } else if (Atomics.compareExchange(slot.claims, slot.at, CLAIM_WANTED, CLAIM_WALK) === CLAIM_WANTED) {
      this.slots.delete(key); // The lister will pass it by.
    } else slot.dropped = true; // Being listed: dropped when it comes.
  }

  async readDir(dir: OSPath, self?: FileStat): Promise<FileStat[]> {
    if (this.signal?.aborted) return [];
    const key = this.localPath(dir);
    const slot = this.slots.get(key);
    if (!slot) return this.listHere(dir, key, self);
    if (!slot.listed) {
      // Not begun by the lister: the walk lists it itself, now.
      if (Atomics.compareExchange(slot.claims, slot.at, CLAIM_WANTED, CLAIM_WALK) === CLAIM_WANTED) {
        this.slots.delete(key);
        this.taken++;
        return this.listHere(dir, key, self);
      }
      // Being listed. Dropped before, it is needed after all (a later root of the glob): taken
      // when it comes, not thrown away and listed again here.
      slot.dropped = false;
      await this.wait(slot);
    } else {
      const y = maybeYield();
      if (y) await y;
    }
    this.slots.delete(key);
    const listed = slot.listed;
    if (!listed) return this.signal?.aborted ? [] : this.listHere(dir, key, self); // The lister stopped.
    this.consumed(listed.dir);
    this.threaded++;
    listerCounters.threadedDirs++;
    return this.entries(dir, key, slot.dev, listed);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.online = false;
    this.signal?.removeEventListener('abort', this.onAbort);
    if (this.ctl) {
      Atomics.store(this.ctl, CTL_STOP, 1);
      this.wake();
    }
    this.port?.close();
    void this.worker?.terminate().catch(() => {});
    this.worker = null;
    this.wakeAll();
    for (const r of this.readyWaiters.splice(0)) r(false);
  }

  /** listLocal on this thread; starts the lister once enough entries were listed here. */
  private async listHere(dir: OSPath, key: string, self?: FileStat): Promise<FileStat[]> {
    const out = await listLocal(dir, key, dir.type === 'windows' ? '\\' : '/', self, this.signal);
    this.listedHere += out.length;
    // Not once the walk is cancelled (listLocal returns early then): no abort event would come to stop it.
    if (this.listedHere >= this.options.startAfter && !this.worker && !this.closed && !this.signal?.aborted && process.platform === 'linux') {
      if (this.options.spareCoreOnly && loadavg()[0] > availableParallelism() - 1) this.closed = true; // Not this time.
      else this.start();
    }
    return out;
  }

  private start(): void {
    try {
      const ctl = new Int32Array(new SharedArrayBuffer(CTL_SLOTS * 4));
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { ctl, port: port2, limit: this.options.limit, flushEntries: this.options.flushEntries },
        transferList: [port2],
      });
      worker.unref();
      port1.unref();
      listerCounters.started++;
      listerCounters.running++;
      this.stopped = new Promise((resolve) => worker.once('exit', () => {
        if (--listerCounters.running === 0) for (const r of idleWaiters.splice(0)) r();
        resolve();
      }));
      worker.on('online', () => {
        if (!this.closed) this.online = true;
        for (const r of this.readyWaiters.splice(0)) r(this.online);
      });
      worker.on('message', (b: ListBatch) => this.receive(b));
      const fail = () => this.close();
      const failed = (why: string) => {
        if (!this.closed) this.options.onFailure?.(`glob: the lister thread failed (${why}); the walk lists the rest itself`);
        fail();
      };
      worker.on('error', (e: Error) => failed(e.message));
      // A batch lost: a walk waiting for one of its directories would wait forever.
      worker.on('messageerror', (e: Error) => failed(`a result could not be read: ${e.message}`));
      worker.on('exit', fail);
      this.worker = worker;
      this.port = port1;
      this.ctl = ctl;
      this.signal?.addEventListener('abort', this.onAbort, { once: true });
    } catch {
      this.closed = true; // No worker threads here: listLocal does it all.
    }
  }

  private request(req: ListRequest): void {
    if (this.closed) return;
    const slow = slowMountPoints();
    this.port!.postMessage(slow === this.sentSlow ? req : { ...req, slow: [...slow] });
    this.sentSlow = slow;
    this.wake();
  }

  /**
   * Makes the lister look again at its requests, STOP and WAITING. SIGNAL changes first: a
   * lister about to sleep then does not (it sleeps only while SIGNAL is what it was when it
   * looked); one already asleep says so in SLEEPING, and only then is it notified (a system call).
   */
  private wake(): void {
    Atomics.add(this.ctl!, CTL_SIGNAL, 1);
    if (Atomics.load(this.ctl!, CTL_SLEEPING) !== 0) Atomics.notify(this.ctl!, CTL_SIGNAL);
  }

  private consumed(listed: ListedDir): void {
    const ctl = this.ctl!;
    const taken = Atomics.add(ctl, CTL_TAKEN, (listed.count ?? 0) + 1) + (listed.count ?? 0) + 1;
    // Asleep because it is `limit` entries ahead, and now it is not. (The lister looks at TAKEN
    // again after it sets SLEEPING: one of the two sees the other's write.)
    if (Atomics.load(ctl, CTL_SLEEPING) === 2 && ((taken - Atomics.load(ctl, CTL_WAKE_AT)) | 0) >= 0) this.wake();
  }

  private receive(b: ListBatch): void {
    const values = new BigInt64Array(b.stats);
    const modes = new Int32Array(b.modes);
    for (const dir of b.listed) {
      const slot = this.slots.get(dir.dir);
      if (!slot || slot.listed || slot.dropped) {
        // Dropped by the walk while the lister was at it: so is what is below it.
        if (slot?.dropped) {
          this.slots.delete(dir.dir);
          slot.waiter?.(); // None from readDir (it takes a dropped slot back); whenListed's gets false.
        }
        if (dir.subClaims) for (let i = 0; i < dir.subClaims.length; i++) Atomics.compareExchange(dir.subClaims, i, CLAIM_WANTED, CLAIM_WALK);
        this.consumed(dir);
        continue;
      }
      slot.listed = { dir, values, modes };
      if (dir.sub) {
        // The lister lists these next, on its own (on the same device as this directory).
        const base = dir.dir.endsWith('/') ? dir.dir : dir.dir + '/';
        const names = namesOf(dir);
        for (let k = 0; k < dir.sub.length; k++) {
          const path = base + names[dir.sub[k]!]!;
          if (!this.slots.has(path)) this.slots.set(path, { dev: slot.dev, claims: dir.subClaims!, at: k, dropped: false });
        }
      }
      slot.waiter?.();
    }
  }

  private wait(slot: Slot): Promise<void> {
    if (this.closed) return Promise.resolve();
    // Only while the walk waits does the lister keep the process alive.
    if (this.waiting++ === 0) {
      this.worker?.ref();
      Atomics.store(this.ctl!, CTL_WAITING, 1);
      this.wake();
    }
    return new Promise<void>((resolve) => {
      // Several may wait for one directory (whenListed and readDir): each is woken.
      const before = slot.waiter;
      slot.waiter = () => {
        slot.waiter = undefined;
        before?.();
        if (--this.waiting === 0) {
          this.worker?.unref();
          if (this.ctl) Atomics.store(this.ctl, CTL_WAITING, 0);
        }
        resolve();
      };
    });
  }

  private wakeAll(): void {
    for (const slot of this.slots.values()) slot.waiter?.();
  }

  /** The FileStats of a listing made by the lister thread (as listLocal makes them). */
  private async entries(dir: OSPath, key: string, dev: bigint, listed: NonNullable<Slot['listed']>): Promise<FileStat[]> {
    const { dir: d, values, modes } = listed;
    if (d.error) throw Object.assign(new Error(d.error.message), { code: d.error.code });
    const names = namesOf(d);
    const dirFs = knownFs(dev);
    const base = key.endsWith('/') ? key : key + '/';
    const out: FileStat[] = [];
    const later = d.later ? new Set(d.later) : null;
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const at = d.first! + i;
      let st: StatRecord | undefined;
      if (later?.has(i)) st = await lstat(base + name, { bigint: true }).catch(() => undefined);
      else st = new PackedStat(values, at * FIELD_COUNT, modes[at]!);
      if (st) out.push(new NodeStat(dir, base + name, st, undefined, fsTypeOf(st, dev, dirFs), name));
    }
    return out;
  }
}
