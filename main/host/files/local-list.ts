/**
 * Listing a directory of this machine with every entry's lstat, for the file accessor (and
 * so for glob). On a local Linux filesystem the calls are synchronous: node's asynchronous
 * lstat costs a thread-pool round trip per entry and made glob five times slower than
 * `find` (scripts/bench-glob.ts); the loop still lets the event loop run every few
 * milliseconds (timers, Ctrl-C, --timeout) and stops when the query is cancelled. On network,
 * FUSE and automount filesystems (mounts.ts), on entries that are mount points of those, and
 * off Linux, the calls are asynchronous, so a server that does not answer never blocks the
 * engine thread.
 */
import { lstatSync, readdirSync, type BigIntStats } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import { maybeYield } from '../../vql/eval/stream.ts';
import { NodeStat, type FileStat } from './fileinfo.ts';
import { fsInfo, knownFs, slowMountPoints, type FsInfo } from './mounts.ts';
import type { OSPath } from './ospath.ts';
import type { StatRecord } from './stat-sys.ts';

/** Entries between two looks at the clock (maybeYield) in the synchronous loop. */
const CHECK_EVERY = 64;
/** Concurrent lstat calls in the asynchronous path. */
const ASYNC_BATCH = 128;

/** Data.FSType of an entry: its own filesystem when it is a mount point, else its directory's. */
export function fsTypeOf(st: StatRecord, dirDev: bigint, dirFs: FsInfo | undefined): string | undefined {
  if (st.dev === dirDev) return dirFs?.type;
  return knownFs(st.dev)?.type ?? dirFs?.type;
}

/**
 * The entries of `dir` (whose local path is `full`), sorted by name, each with its lstat;
 * entries that vanish or cannot be stat-ed are skipped. `self` is the directory's own stat
 * when the caller has it (glob does), else it is asked for. Throws when the directory
 * cannot be read.
 */
export async function listLocal(dir: OSPath, full: string, sep: string, self?: FileStat, signal?: AbortSignal): Promise<FileStat[]> {
  const dev = self?.device ?? (await stat(full, { bigint: true })).dev;
  const dirFs = process.platform === 'linux' ? await fsInfo(dev, full) : undefined;
  const base = full.endsWith(sep) ? full : full + sep;
  if (!dirFs || dirFs.slow) return listAsync(dir, base, dev, dirFs, signal);
  const names = readdirSync(full);
  names.sort();
  const slowPoints = slowMountPoints();
  const out: FileStat[] = [];
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const path = base + name;
    let st: BigIntStats | undefined;
    if (slowPoints.size && slowPoints.has(path)) {
      st = await lstat(path, { bigint: true }).catch(() => undefined);
    } else {
      try {
        st = lstatSync(path, { bigint: true, throwIfNoEntry: false });
      } catch {
        st = undefined; // Unreadable: skipped.
      }
    }
    if (st) out.push(new NodeStat(dir, path, st, undefined, fsTypeOf(st, dev, dirFs), name));
    if (i % CHECK_EVERY === CHECK_EVERY - 1) {
      const y = maybeYield();
      if (y) await y;
      if (signal?.aborted) break;
    }
  }
  return out;
}

async function listAsync(dir: OSPath, base: string, dev: bigint, dirFs: FsInfo | undefined, signal?: AbortSignal): Promise<FileStat[]> {
  const names = await readdir(base);
  names.sort();
  const out: FileStat[] = [];
  for (let i = 0; i < names.length && !signal?.aborted; i += ASYNC_BATCH) {
    const chunk = names.slice(i, i + ASYNC_BATCH);
    const stats = await Promise.all(chunk.map((n) => lstat(base + n, { bigint: true }).catch(() => undefined)));
    for (let j = 0; j < chunk.length; j++) {
      const st = stats[j];
      if (st) out.push(new NodeStat(dir, base + chunk[j]!, st, undefined, fsTypeOf(st, dev, dirFs), chunk[j]!));
    }
  }
  return out;
}
