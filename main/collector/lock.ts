/**
 * One writer per datastore: a collector (`vql monitor`, `vql serve`, the desktop app) holds
 * `<datastore>/collector.lock` while it runs. A second collector on the same datastore gets a
 * `CollectorBusyError` naming the holder instead of repairing (truncating) files that the first
 * one is still appending to. A lock left by a process that is gone is taken over.
 *
 * A pid alone does not name a process for long: after a crash the pid in the lock may be given
 * to an unrelated process, which would keep the datastore locked forever. So the lock also
 * records the holder's identity, its start time and the boot it ran in (`processIdentity`), and
 * a live pid whose identity differs is a stale lock too. That identity is read from /proc on
 * Linux; elsewhere (macOS, Windows) it is not recorded, and a live pid keeps the lock as before
 * (delete the lock file by hand after a crash if its pid was reused).
 */
import { closeSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

/** The lock file of a datastore. */
export function lockPath(datastore: string): string {
  return join(datastore, 'collector.lock');
}

/** What the lock file says about its holder. */
export interface LockHolder {
  pid: number;
  host: string;
  owner: string;
  started: string;
  /** The holder's start time in clock ticks after boot (Linux: /proc/<pid>/stat field 22). */
  startTime?: string;
  /** The boot the holder ran in (Linux: /proc/sys/kernel/random/boot_id). */
  bootId?: string;
}

/** What tells one process from a later one with the same pid: its start time and the boot id. */
export interface ProcessIdentity {
  startTime: string;
  bootId: string;
}

/**
 * The identity of a live process (Linux only): its start time, field 22 of /proc/<pid>/stat in
 * clock ticks since boot, and the boot id. Undefined on other systems or when /proc cannot be
 * read (the process is gone, or /proc hides other users' processes).
 */
export function processIdentity(pid: number): ProcessIdentity | undefined {
  if (process.platform !== 'linux' || !Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 is the command name in parentheses, which may hold spaces and parentheses itself.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTime = fields[22 - 3];
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return startTime && /^\d+$/.test(startTime) && bootId ? { startTime, bootId } : undefined;
  } catch {
    return undefined;
  }
}

/** Another process (or another collector of this process) writes the datastore. */
export class CollectorBusyError extends Error {
  constructor(readonly datastore: string, readonly holder: LockHolder | null, detail: string) {
    super(
      `the datastore ${datastore} is being written by ${detail}. Only one collector may write a datastore at a time: ` +
        `stop that one (Ctrl-C, or kill ${holder?.pid ?? 'its process'}) or use another datastore (--datastore DIR). ` +
        `If no such process is running, delete ${lockPath(datastore)}.`,
    );
    this.name = 'CollectorBusyError';
  }
}

/** Datastores locked by this process (two collectors of one process must not share one either). */
const held = new Set<string>();

/** Whether a process with this pid exists (EPERM: it exists, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): LockHolder | null {
  try {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    if (typeof doc.pid !== 'number') return null;
    const holder: LockHolder = { pid: doc.pid, host: String(doc.host ?? ''), owner: String(doc.owner ?? 'a collector'), started: String(doc.started ?? '') };
    if (typeof doc.startTime === 'string' && typeof doc.bootId === 'string') {
      holder.startTime = doc.startTime;
      holder.bootId = doc.bootId;
    }
    return holder;
  } catch {
    return null;
  }
}

/**
 * Whether a lock names no live holder: unreadable, an earlier life of this process's pid, a pid
 * that is gone, or (where identities are recorded) a pid now held by another process or from
 * an earlier boot. A lock of another host is never stale: its processes cannot be seen.
 */
function isStale(holder: LockHolder | null, host: string): boolean {
  if (holder === null) return true;
  if (holder.host !== host) return false;
  if (holder.pid === process.pid || !processAlive(holder.pid)) return true;
  if (holder.startTime === undefined || holder.bootId === undefined) return false; // an older lock, or not Linux
  const now = processIdentity(holder.pid);
  return now !== undefined && (now.bootId !== holder.bootId || now.startTime !== holder.startTime);
}

/** A status file rewritten in the last 10 s by a live process: a collector older than the lock file. */
function liveStatusWriter(datastore: string): number | null {
  try {
    const doc = JSON.parse(readFileSync(join(datastore, 'monitor-status.json'), 'utf8')) as { pid?: number; running?: boolean; updated?: string };
    const fresh = Date.now() - Date.parse(doc.updated ?? '') < 10_000;
    return doc.running && typeof doc.pid === 'number' && doc.pid !== process.pid && fresh && processAlive(doc.pid) ? doc.pid : null;
  } catch {
    return null;
  }
}

/** Creates `file` with its whole content at once (a temporary file hard-linked into place): EEXIST when it exists. */
function createWithContent(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.${Math.random().toString(16).slice(2)}.tmp`;
  const fd = openSync(tmp, 'wx', 0o644);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
  } finally {
    unlinkSync(tmp);
  }
}

/**
 * Takes the datastore's lock for this process, or throws `CollectorBusyError`. Returns the
 * release function. A datastore where the lock cannot be written at all (read-only, full) is not
 * refused: nothing can corrupt it, and the collector reports the write errors itself.
 */
export function acquireDatastoreLock(datastore: string, owner: string): () => void {
  const key = resolve(datastore);
  const file = lockPath(datastore);
  if (held.has(key)) throw new CollectorBusyError(datastore, null, 'another collector of this process');
  const me: LockHolder = { pid: process.pid, host: hostname(), owner, started: new Date().toISOString(), ...processIdentity(process.pid) };
  for (let attempt = 0; ; attempt++) {
    try {
      createWithContent(file, JSON.stringify(me) + '\n');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') return () => {};
      const holder = readHolder(file);
      if (attempt === 0 && isStale(holder, me.host)) {
        try {
          unlinkSync(file);
        } catch {
          // Another starter removed it first: the retry settles who wins.
        }
        continue;
      }
      const detail = holder ? `${holder.owner} (pid ${holder.pid}${holder.host !== me.host ? ` on ${holder.host}` : ''}, since ${holder.started})` : 'another collector';
      throw new CollectorBusyError(datastore, holder, detail);
    }
    // A collector from before lock files existed only shows itself by its status file.
    const statusPid = liveStatusWriter(datastore);
    if (statusPid !== null) {
      unlinkSync(file);
      throw new CollectorBusyError(datastore, { pid: statusPid, host: me.host, owner: 'a collector', started: '' }, `a collector (pid ${statusPid})`);
    }
    held.add(key);
    return () => {
      held.delete(key);
      if (readHolder(file)?.pid === process.pid) {
        try {
          unlinkSync(file);
        } catch {
          // Already gone (the datastore was removed): nothing to release.
        }
      }
    };
  }
}
