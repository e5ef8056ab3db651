/**
 * The directory-listing thread of local-prefetch.ts: lists the directories the engine thread
 * says its walk will enter (readdir, then every entry's lstat, as local-list.ts does), ahead
 * of the walk, so that the system calls of a large glob run on the second core while the
 * engine thread turns the previous directories into rows. Under a `**` the walk enters every
 * directory below those too: the request says how many levels (`levels`), and the lister goes
 * down by itself, depth first in name order as the walk does (subdirectories on the same
 * device, not links, not one of their own ancestors), and says which (`sub`, with their claim
 * slots), so it stays ahead of the walk instead of one step behind.
 *
 * Each wanted directory has a claim slot (a request carries a shared Int32Array, one slot per
 * directory, so no slot is ever used for two directories): the lister takes a directory
 * by changing its slot from WANTED to LISTER (compareExchange) before it lists it, and the
 * engine thread takes one it needs now and is not listed yet by changing it from WANTED to
 * WALK, and lists it itself. So a directory is listed once, and neither thread waits for the
 * other but for a directory the lister has already begun (a busy machine, where the lister
 * thread gets little time, degrades to the engine thread listing as it did alone).
 *
 * The thread is a plain synchronous loop. Requests come on a MessagePort read with
 * receiveMessageOnPort (no event loop turn per request); results go back in batches, each
 * with one transferred buffer of stat fields (node's BigInt64 values: nanosecond times and
 * 64-bit inodes stay exact) and the names of a directory as one string. The shared control
 * array carries the flow control: the engine thread adds the entries it has taken and says
 * when it waits (then what is listed is sent at once); the lister sleeps (Atomics.wait) when
 * it has nothing to do or is `limit` entries ahead, and the engine thread wakes it
 * (Atomics.notify) only when it sleeps and there is a reason.
 *
 * The source is a string run with `new Worker(code, { eval: true })`: it needs nothing but
 * node's built-ins, and so works the same from the TypeScript sources, the esbuild bundle and
 * the app's query worker.
 */

/** Stat fields per entry, in this order (BigInt64Array). */
export const STAT_FIELDS = ['dev', 'ino', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'size', 'blksize', 'blocks', 'atimeNs', 'mtimeNs', 'ctimeNs', 'birthtimeNs'] as const;
export const FIELD_COUNT = STAT_FIELDS.length;

/** Slots of the shared control array. */
export const CTL_SIGNAL = 0; // Bumped by the engine thread on every request, wait and stop.
export const CTL_TAKEN = 1; // Entries (plus one per directory) the engine thread has taken.
export const CTL_STOP = 2; // Non-zero: the lister ends.
export const CTL_SLEEPING = 3; // 1: the lister sleeps until a request; 2: or until TAKEN reaches WAKE_AT.
export const CTL_WAKE_AT = 4;
export const CTL_WAITING = 5; // Non-zero: the engine thread waits for a listing.
export const CTL_SLOTS = 6;

/** Claim slot states. */
export const CLAIM_WANTED = 0;
export const CLAIM_LISTER = 1;
export const CLAIM_WALK = 2;

/** A request: directories to list, in the order the walk will enter them. */
export interface ListRequest {
  readonly dirs: readonly string[];
  /** Their claim slots, in the same order (a SharedArrayBuffer's view). */
  readonly claims: Int32Array;
  /** Their devices and identities (`dev:ino`), for the descent below them. */
  readonly devs: readonly bigint[];
  readonly ids: readonly string[];
  /** Levels below these directories the walk enters too (0: none). */
  readonly levels: number;
  /** Mount points of slow filesystems (mounts.ts): never lstat-ed synchronously. Absent: as before. */
  readonly slow?: readonly string[];
}

/** One listed directory in a result batch. */
export interface ListedDir {
  readonly dir: string;
  /**
   * The entries kept (sorted; those that vanished or could not be lstat-ed are skipped),
   * joined by NUL (no name holds one): one string to copy per directory, not one per entry.
   */
  readonly names?: string;
  readonly count?: number;
  /** Index of the first entry's stat in the batch. */
  readonly first?: number;
  /** Entries (indices) left for an asynchronous lstat (slow mount points). */
  readonly later?: number[];
  /** Entries (indices) the lister lists next, on its own, and their claim slots. */
  readonly sub?: number[];
  readonly subClaims?: Int32Array;
  /** Why the directory could not be read (node's error code and message). */
  readonly error?: { code?: string; message: string };
}

export interface ListBatch {
  readonly listed: ListedDir[];
  /** FIELD_COUNT BigInt64 values per entry. */
  readonly stats: ArrayBuffer;
  /** st_mode of each entry (the type tests without making a BigInt). */
  readonly modes: ArrayBuffer;
}

export const WORKER_SOURCE = `
'use strict';
const { workerData, parentPort, receiveMessageOnPort } = require('node:worker_threads');
const { readdirSync, lstatSync } = require('node:fs');
const { ctl, port, limit, flushEntries } = workerData;
const S_IFMT = 0o170000n, S_IFDIR = 0o040000n;
const SIGNAL = ${CTL_SIGNAL}, TAKEN = ${CTL_TAKEN}, STOP = ${CTL_STOP}, SLEEPING = ${CTL_SLEEPING}, WAKE_AT = ${CTL_WAKE_AT}, WAITING = ${CTL_WAITING};
// A stack of batches ({ dirs, claims, devs, ids, levels, anc: identities above them, i }):
// the newest holds what the walk enters soonest.
const batches = [];
let slow = null;
let produced = 0;
let listed = [];
// The stat fields of the entries listed since the last flush, written as soon as each lstat
// returns (its object is garbage at once).
let cap = 0, n = 0, values, modes;
function reserve() {
  cap = Math.max(flushEntries, 2 * cap);
  const v = new BigInt64Array(cap * ${FIELD_COUNT}), m = new Int32Array(cap);
  if (n) {
    v.set(values.subarray(0, n * ${FIELD_COUNT}));
    m.set(modes.subarray(0, n));
  }
  values = v;
  modes = m;
}
reserve();
function put(st) {
  if (n === cap) reserve();
  const o = n * ${FIELD_COUNT};
  if (st !== null) {
    ${STAT_FIELDS.map((f, i) => `values[o + ${i}] = st.${f};`).join('\n    ')}
    modes[n] = Number(st.mode);
  }
  n++;
}

function flush() {
  if (!listed.length) return;
  parentPort.postMessage({ listed, stats: values.buffer, modes: modes.buffer }, [values.buffer, modes.buffer]);
  listed = [];
  n = 0;
  cap = 0;
  reserve();
}

/** Lists item i of batch b; under levels > 0 pushes its subdirectories as the next batch. */
function list(b, i) {
  const dir = b.dirs[i];
  let names;
  try {
    names = readdirSync(dir);
  } catch (e) {
    listed.push({ dir, error: { code: e.code, message: e.message } });
    produced = (produced + 1) | 0;
    return;
  }
  names.sort();
  const base = dir.endsWith('/') ? dir : dir + '/';
  const kept = [];
  const first = n;
  let later, sub, next;
  const dev = b.devs[i], id = b.ids[i];
  for (const name of names) {
    const path = base + name;
    if (slow !== null && slow.has(path)) {
      (later ??= []).push(kept.length);
      kept.push(name);
      put(null);
      continue;
    }
    let st;
    try {
      st = lstatSync(path, { bigint: true, throwIfNoEntry: false });
    } catch {
      st = undefined;
    }
    if (!st) continue;
    if (b.levels > 0 && (st.mode & S_IFMT) === S_IFDIR && st.dev === dev) {
      const subId = st.dev + ':' + st.ino;
      if (subId !== id && !b.anc.includes(subId)) {
        next ??= { dirs: [], devs: [], ids: [], claims: null, levels: b.levels - 1, anc: b.anc.concat(id), i: 0 };
        next.dirs.push(path);
        next.devs.push(st.dev);
        next.ids.push(subId);
        (sub ??= []).push(kept.length);
      }
    }
    kept.push(name);
    put(st);
  }
  const out = { dir, names: kept.join('\\0'), count: kept.length, first };
  if (later) out.later = later;
  if (next) {
    next.claims = new Int32Array(new SharedArrayBuffer(4 * next.dirs.length));
    out.sub = sub;
    out.subClaims = next.claims;
    batches.push(next);
  }
  listed.push(out);
  produced = (produced + kept.length + 1) | 0;
}

for (;;) {
  const seen = Atomics.load(ctl, SIGNAL);
  if (Atomics.load(ctl, STOP)) break;
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
    const req = m.message;
    if (req.slow !== undefined) slow = req.slow.length ? new Set(req.slow) : null;
    if (req.dirs.length) batches.push({ dirs: req.dirs, claims: req.claims, devs: req.devs, ids: req.ids, levels: req.levels, anc: [], i: 0 });
  }
  // The walk waits for a directory this loop has listed (or is listing): send it.
  if (Atomics.load(ctl, WAITING) !== 0) flush();
  while (batches.length && batches[batches.length - 1].i >= batches[batches.length - 1].dirs.length) batches.pop();
  const top = batches[batches.length - 1];
  if (!top || ((produced - Atomics.load(ctl, TAKEN)) | 0) > limit) {
    flush();
    Atomics.store(ctl, WAKE_AT, top ? (produced - limit) | 0 : 0);
    Atomics.store(ctl, SLEEPING, top ? 2 : 1);
    // The walk may have taken enough before it could see SLEEPING.
    if (!top || ((produced - Atomics.load(ctl, TAKEN)) | 0) > limit) Atomics.wait(ctl, SIGNAL, seen);
    Atomics.store(ctl, SLEEPING, 0);
    continue;
  }
  const i = top.i++;
  // The walk may have taken it (it needed it before this loop got to it).
  if (Atomics.compareExchange(top.claims, i, ${CLAIM_WANTED}, ${CLAIM_LISTER}) !== ${CLAIM_WANTED}) continue;
  list(top, i);
  if (n >= flushEntries || Atomics.load(ctl, WAITING) !== 0) flush();
}
flush();
`;
