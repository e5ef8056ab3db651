/**
 * The lister thread of large globs (local-prefetch.ts, list-worker.ts): its listings must be
 * exactly listLocal's (names, order, every stat field, errors), glob's rows over a tree large
 * enough to start it must be those of a plain walk of the same tree, and it must stop with
 * the walk (LIMIT, cancellation). Trees are made in a temp folder by the test.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readdirSync, rmdirSync, statSync, symlinkSync, writeFileSync, type BigIntStats } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localPath } from '../../../main/host/files/accessors.ts';
import { statFromNode, type FileStat } from '../../../main/host/files/fileinfo.ts';
import { listLocal } from '../../../main/host/files/local-list.ts';
import { LocalLister, listerCounters, whenListersStopped } from '../../../main/host/files/local-prefetch.ts';
import { OSPath } from '../../../main/host/files/ospath.ts';
import { StatSys } from '../../../main/host/files/stat-sys.ts';
import { GET_MEMBER, runBatches } from '../../../main/vql/index.ts';
import { filesRegistry, query } from './query-runner.ts';

const linux = process.platform === 'linux';
const skip = linux ? false : 'the lister thread runs on Linux only';
let dir = '';

/** `dirs` folders of `files` files each, two levels deep, plus links. */
function makeTree(root: string, dirs: number, files: number): void {
  for (let d = 0; d < dirs; d++) {
    const sub = join(root, `d${String(d).padStart(3, '0')}`, d % 2 ? 'odd' : 'even');
    mkdirSync(sub, { recursive: true });
    for (let f = 0; f < files; f++) writeFileSync(join(sub, `f${f}.txt`), 'x'.repeat(f % 7));
  }
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vql-glob-prefetch-'));
  makeTree(join(dir, 'small'), 12, 20);
  symlinkSync(join(dir, 'small', 'd001'), join(dir, 'small', 'd000', 'to-d001'));
  symlinkSync(join(dir, 'small'), join(dir, 'small', 'd002', 'loop'));
  symlinkSync(join(dir, 'nowhere'), join(dir, 'small', 'dangling'));
  makeTree(join(dir, 'big'), 60, 100);
  symlinkSync(join(dir, 'big', 'd003'), join(dir, 'big', 'd001', 'odd', 'to-d003'));
  symlinkSync(join(dir, 'big'), join(dir, 'big', 'd002', 'loop'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function pathOf(p: string): OSPath {
  return OSPath.parse(p, 'linux');
}

async function statOf(p: string): Promise<FileStat> {
  return statFromNode(pathOf(p), p, await stat(p, { bigint: true }));
}

/**
 * Every field glob rows show of an entry, as plain data; but the access time: listing a
 * directory updates its atime, and the two listings compared are made one after the other.
 */
function fields(e: FileStat): unknown {
  const sys = e.sys as StatSys;
  const sysFields = ['Dev', 'Ino', 'Nlink', 'Mode', 'Uid', 'Gid', 'Rdev', 'Size', 'Blksize', 'Blocks', 'Mtim', 'Ctim'].map((f) => JSON.stringify(sys[GET_MEMBER](f)));
  return {
    name: e.name, fullPath: e.fullPath, path: e.path.toString(), size: e.size, mode: e.mode.toString(), isDir: e.isDir, isLink: e.isLink,
    mtime: e.mtime?.unixNano, ctime: e.ctime?.unixNano, btime: e.btime?.unixNano,
    identity: e.identity, device: e.device, data: JSON.stringify(e.data), sys: sysFields,
  };
}

test('lister thread: every listing is listLocal\'s, field for field, with flow control and drops', { skip }, async () => {
  const lister = new LocalLister(localPath, undefined, { startAfter: 0, spareCoreOnly: false, limit: 40, flushEntries: 8 });
  const root = join(dir, 'small');
  const first = await lister.readDir(pathOf(root), await statOf(root));
  assert.equal(await lister.ready(), true);
  // A walk as glob makes it: want the subdirectories (every level below), then enter them in order.
  const stack: FileStat[][] = [first];
  let listings = 0;
  let dropped = 0;
  lister.want(first, 30);
  try {
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const next = top.shift();
    if (!next) {
      stack.pop();
      continue;
    }
    if (!next.isDir || next.isLink) continue;
    if (next.name === 'd005') {
      lister.drop(next.path); // The walk decided not to enter it (a recursion callback).
      dropped++;
      continue;
    }
    const got = await lister.readDir(next.path, next);
    const want = await listLocal(next.path, next.fullPath, '/', next);
    assert.deepEqual(got.map(fields), want.map(fields), next.fullPath);
    listings++;
    lister.want(got, 30);
    stack.push(got);
  }
  } finally {
    lister.close();
  }
  assert.equal(dropped, 1);
  assert.equal(lister.threaded + lister.taken, listings, 'each listing made once, by the thread or by the walk');
  assert.equal(lister.pending, 0, 'nothing wanted is left behind');
  lister.close();
  await lister.whenStopped();
});

test('lister thread: a directory that cannot be read fails as listLocal fails', { skip }, async () => {
  const lister = new LocalLister(localPath, undefined, { startAfter: 0, spareCoreOnly: false });
  const root = join(dir, 'small');
  await lister.readDir(pathOf(root), await statOf(root));
  assert.equal(await lister.ready(), true);
  // Directories that are gone (or are not directories) by the time they are listed.
  const gone = join(dir, 'gone');
  mkdirSync(gone);
  const goneStat = await statOf(gone);
  rmdirSync(gone);
  const file = join(dir, 'was-a-dir');
  mkdirSync(file);
  const fileStat = await statOf(file);
  rmdirSync(file);
  writeFileSync(file, 'now a file');
  lister.want([goneStat, fileStat], 0);
  assert.equal(await lister.whenListed(goneStat.path), true);
  assert.equal(await lister.whenListed(fileStat.path), true);
  for (const [st, code] of [[goneStat, 'ENOENT'], [fileStat, 'ENOTDIR']] as const) {
    const local = await listLocal(st.path, st.fullPath, '/', st).then(() => null, (e: NodeJS.ErrnoException) => e);
    const threaded = await lister.readDir(st.path, st).then(() => null, (e: NodeJS.ErrnoException) => e);
    assert.equal(threaded?.code, code);
    assert.equal(threaded.message, local?.message);
  }
  assert.equal(lister.threaded, 2);
  lister.close();
  await lister.whenStopped();
});

test('lister thread: close() stops it, and a walk waiting on it gets an empty listing when cancelled', { skip }, async () => {
  const ac = new AbortController();
  const lister = new LocalLister(localPath, ac.signal, { startAfter: 0, spareCoreOnly: false, limit: 1 });
  const root = join(dir, 'big');
  const entries = await lister.readDir(pathOf(root), await statOf(root));
  assert.equal(await lister.ready(), true);
  lister.want(entries, 30);
  const pending = lister.readDir(entries.at(-1)!.path, entries.at(-1)!);
  ac.abort();
  const got = await pending;
  // Either listed before the abort, or cut short: never an error, never a hang.
  assert.ok(Array.isArray(got));
  await lister.whenStopped();
  assert.deepEqual(await lister.readDir(entries[0]!.path, entries[0]!), []);
});

/**
 * What glob(globs=ROOT + '/**') gives, walked plainly: each directory's entries in name order,
 * then its subdirectories (and linked ones when links are followed), never one of their own
 * ancestors.
 */
function plainWalk(root: string, followLinks: boolean): string[] {
  const out: string[] = [];
  const ancestors = new Set<string>();
  const id = (s: BigIntStats) => `${s.dev}:${s.ino}`;
  const walk = (d: string) => {
    const subs: Array<[string, string]> = [];
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const l = lstatSync(p, { bigint: true });
      out.push(`${p} ${l.size} ${l.ino} ${l.uid} ${l.mtimeNs / 1_000_000_000n}.${String(l.mtimeNs % 1_000_000_000n).padStart(9, '0')}`);
      const target = l.isSymbolicLink() ? (followLinks ? statSync(p, { bigint: true, throwIfNoEntry: false }) : undefined) : l;
      if (target?.isDirectory()) subs.push([p, id(target)]);
    }
    for (const [p, i] of subs) {
      if (ancestors.has(i)) continue;
      ancestors.add(i);
      walk(p);
      ancestors.delete(i);
    }
  };
  ancestors.add(id(statSync(root, { bigint: true })));
  walk(root);
  return out;
}

test('glob over a tree large enough to start the lister thread: the rows of a plain walk, in its order', { skip }, async (t) => {
  // Started whatever the machine's load (by default only when a core is free).
  process.env.VQL_LISTER = 'on';
  t.after(() => delete process.env.VQL_LISTER);
  const root = join(dir, 'big');
  const before = listerCounters.started;
  for (const nosymlink of [true, false]) {
    const { rows, logs } = await query(`SELECT OSPath.String AS P, Size, Sys.Ino AS Ino, Sys.Uid AS Uid, Sys.Mtim.Sec AS S, Sys.Mtim.Nsec AS N FROM glob(globs=D + '/**', nosymlink=N)`, { D: root, N: nosymlink });
    assert.deepEqual(logs.filter((l) => !l.startsWith('debug')), []);
    const got = rows.map((r) => `${r.P} ${r.Size} ${r.Ino} ${r.Uid} ${r.S}.${String(r.N).padStart(9, '0')}`);
    const want = plainWalk(root, !nosymlink);
    const at = got.findIndex((g, i) => g !== want[i]);
    assert.deepEqual(got.slice(at, at + 3), want.slice(at, at + 3), `nosymlink=${nosymlink}: row ${at} of ${want.length}`);
    assert.equal(got.length, want.length, `nosymlink=${nosymlink}`);
  }
  // Which directories the thread lists and which the walk takes back depends on timing.
  assert.ok(listerCounters.started > before, 'the lister thread started');
});

test('glob: LIMIT on a large tree stops the lister thread', { skip, timeout: 120_000 }, async (t) => {
  process.env.VQL_LISTER = 'on';
  t.after(() => delete process.env.VQL_LISTER);
  const before = listerCounters.started;
  const { rows } = await query(`SELECT OSPath FROM glob(globs=D + '/**') LIMIT 5000`, { D: join(dir, 'big') });
  assert.equal(rows.length, 5000);
  assert.ok(listerCounters.started > before, 'the lister thread started');
  // The thread ends with the walk: its 'exit' comes (else the test times out).
  await whenListersStopped();
  assert.equal(listerCounters.running, 0);
});

/**
 * Spins (this thread's event loop held, so no listing can come in) until the lister thread has
 * claimed `p` (wanted before): it is then being listed, or listed and not yet received here.
 */
function untilClaimedByThread(lister: LocalLister, p: string): void {
  const slot = (lister as unknown as { slots: Map<string, { claims: Int32Array; at: number }> }).slots.get(p);
  assert.ok(slot, `${p} is wanted`);
  const deadline = Date.now() + 60_000;
  while (Atomics.load(slot.claims, slot.at) === 0) if (Date.now() > deadline) assert.fail(`the lister thread never claimed ${p}`);
  assert.equal(Atomics.load(slot.claims, slot.at), 1, 'claimed by the thread, not by the walk');
}

/** Whether `p` has settled by the time this thread has turned its event loop once more. */
async function settledSoon(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  p.then(() => (settled = true), () => (settled = true));
  await new Promise((r) => setImmediate(r));
  return settled;
}

/** Two directories of the big tree wanted from `lister`'s thread (`levels` deep), the first claimed by it. */
async function twoClaimed(lister: LocalLister, levels: number): Promise<[FileStat, FileStat]> {
  const root = join(dir, 'big');
  const top = await lister.readDir(pathOf(root), await statOf(root));
  assert.equal(await lister.ready(), true);
  const [d, e] = top.filter((x) => x.isDir && !x.isLink);
  lister.want([d!, e!], levels);
  untilClaimedByThread(lister, d!.fullPath);
  return [d!, e!];
}

test('lister thread: a directory dropped while the thread lists it, then read after all, is not waited for forever', { skip }, async () => {
  const lister = new LocalLister(localPath, undefined, { startAfter: 0, spareCoreOnly: false });
  try {
    const [d, e] = await twoClaimed(lister, 1);
    lister.drop(d!.path); // Being listed: dropped when its listing comes...
    const reading = lister.readDir(d!.path, d); // ...but the walk needs it after all (a later glob root).
    // The thread lists d (then its subdirectories), then e: once e's listing is here, so is d's.
    assert.equal(await lister.whenListed(e!.path), true);
    assert.equal(await settledSoon(reading), true, 'the walk still waits for a listing that came and went');
    const got = await reading;
    assert.deepEqual(got.map(fields), (await listLocal(d!.path, d!.fullPath, '/', d)).map(fields));
    for (const sub of got.filter((x) => x.isDir)) await lister.readDir(sub.path, sub);
    for (const sub of (await lister.readDir(e!.path, e)).filter((x) => x.isDir)) await lister.readDir(sub.path, sub);
    assert.equal(lister.pending, 0, 'nothing wanted is left behind');
  } finally {
    lister.close();
  }
  await lister.whenStopped();
});

test('lister thread: two waiters on one directory both get it', { skip }, async () => {
  const lister = new LocalLister(localPath, undefined, { startAfter: 0, spareCoreOnly: false });
  try {
    const [d, e] = await twoClaimed(lister, 0);
    const listed = lister.whenListed(d!.path);
    const reading = lister.readDir(d!.path, d);
    assert.equal((await reading).length, readdirSync(d!.fullPath).length);
    assert.equal(await settledSoon(listed), true, 'the first waiter is forgotten');
    assert.equal(await lister.whenListed(e!.path), true);
    await lister.readDir(e!.path, e);
    assert.equal(lister.pending, 0);
  } finally {
    lister.close();
  }
  await lister.whenStopped();
});

test('lister thread: a thread that crashes mid-walk: the walk lists the rest itself, the same listings', { skip, timeout: 120_000 }, async () => {
  const failures: string[] = [];
  const lister = new LocalLister(localPath, undefined, { startAfter: 0, spareCoreOnly: false, flushEntries: 8, onFailure: (m) => failures.push(m) });
  const crashed = new Promise<unknown>((resolve) => {
    void lister.ready().then(() => (lister as unknown as { worker: { once(e: string, f: (x: unknown) => void): void } }).worker.once('error', resolve));
  });
  try {
    const root = join(dir, 'big');
    const top = await lister.readDir(pathOf(root), await statOf(root));
    assert.equal(await lister.ready(), true);
    lister.want(top, 30);
    const dirs = top.filter((x) => x.isDir && !x.isLink);
    const other = await statOf(join(dir, 'small', 'd000'));
    // The thread has begun a directory; then it meets a request it cannot read, and throws.
    untilClaimedByThread(lister, dirs[1]!.fullPath);
    (lister as unknown as { port: { postMessage(m: unknown): void } }).port.postMessage({ dirs: null });
    lister.want([other], 0); // A request: wakes the thread if it sleeps.
    let listings = 0;
    const stack: FileStat[][] = [[...top]];
    while (stack.length) {
      const next = stack[stack.length - 1]!.shift();
      if (!next) {
        stack.pop();
        continue;
      }
      if (!next.isDir || next.isLink) continue;
      const got = await lister.readDir(next.path, next);
      assert.deepEqual(got.map(fields), (await listLocal(next.path, next.fullPath, '/', next)).map(fields), next.fullPath);
      listings++;
      lister.want(got, 30);
      stack.push([...got]);
    }
    assert.ok(String(await crashed).includes('TypeError'), 'the thread crashed');
    assert.equal(failures.length, 1, 'the failure is told once (glob logs it as a warning)');
    assert.match(failures[0]!, /^glob: the lister thread failed \(.+\); the walk lists the rest itself$/);
    assert.equal(await lister.ready(), false, 'closed by the crash');
    assert.ok(lister.taken > 0, 'the walk took the rest back');
    const subdirs = readdirSync(root, { recursive: true, withFileTypes: true }).filter((x) => x.isDirectory()).length;
    assert.equal(listings, subdirs, 'every directory listed once');
  } finally {
    lister.close();
  }
  await lister.whenStopped();
});

test('glob: cancelled (signal) mid-walk with the thread running: the run ends and the thread with it', { skip, timeout: 120_000 }, async (t) => {
  process.env.VQL_LISTER = 'on';
  t.after(() => delete process.env.VQL_LISTER);
  const before = listerCounters.started;
  const ac = new AbortController();
  let rows = 0;
  try {
    for await (const batch of runBatches(`SELECT OSPath FROM glob(globs=D + '/**')`, { registry: filesRegistry(), vars: { D: join(dir, 'big') }, signal: ac.signal, log: () => {} })) {
      rows += batch.length;
      // Past the first 4,096 entries the walk lists itself: the thread has started.
      if (listerCounters.started > before) ac.abort();
    }
  } catch (e) {
    assert.equal((e as Error).name, 'AbortError', String(e));
  }
  assert.ok(listerCounters.started > before, 'the lister thread started');
  assert.ok(rows < plainWalk(join(dir, 'big'), true).length, 'cancelled before the end');
  await whenListersStopped();
  assert.equal(listerCounters.running, 0);
});

test('glob: the same rows with and without the lister thread (depth limits, several roots, links)', { skip, timeout: 120_000 }, async (t) => {
  t.after(() => delete process.env.VQL_LISTER);
  const big = join(dir, 'big');
  const run = async (mode: 'on' | 'off', globs: string) => {
    process.env.VQL_LISTER = mode;
    const { rows, logs } = await query(`SELECT OSPath.String AS P, Size, Sys.Ino AS Ino FROM glob(globs=${globs})`, { D: big });
    assert.deepEqual(logs.filter((l) => !l.startsWith('debug')), []);
    return rows.map((r) => `${r.P} ${r.Size} ${r.Ino}`);
  };
  for (const globs of [`D + '/**2'`, `D + '/**/f1*.txt'`, `[D + '/**', D + '/d001/**', D + '/d00*/**1']`, `D + '/*/{odd,even}/**'`]) {
    const before = listerCounters.started;
    const on = await run('on', globs);
    const started = listerCounters.started > before;
    const off = await run('off', globs);
    assert.ok(off.length > 0, globs);
    const at = on.findIndex((g, i) => g !== off[i]);
    assert.deepEqual(on.slice(at, at + 3), off.slice(at, at + 3), `${globs}: row ${at} of ${off.length} (thread started: ${started})`);
    assert.equal(on.length, off.length, globs);
  }
  await whenListersStopped();
});

test('glob: directories removed or replaced by files mid-walk, with the thread running: no error, no hang, rows of the tree in its order', { skip, timeout: 120_000 }, async (t) => {
  process.env.VQL_LISTER = 'on';
  t.after(() => delete process.env.VQL_LISTER);
  const root = join(dir, 'changing');
  makeTree(root, 60, 100);
  const all = plainWalk(root, true).map((l) => l.split(' ')[0]!);
  const before = listerCounters.started;
  const logs: string[] = [];
  const got: string[] = [];
  let changed = false;
  for await (const batch of runBatches(`SELECT OSPath.String AS P FROM glob(globs=D + '/**')`, { registry: filesRegistry(), vars: { D: root }, log: (l, m) => logs.push(`${l}: ${m}`) })) {
    for (const r of batch) got.push(String(r.get('P')));
    if (!changed && listerCounters.started > before) {
      // The thread runs (and may have listed these already, or be listing them now).
      changed = true;
      await rm(join(root, 'd059'), { recursive: true });
      await rm(join(root, 'd057', 'odd'), { recursive: true });
      await rm(join(root, 'd058'), { recursive: true });
      writeFileSync(join(root, 'd058'), 'now a file');
    }
  }
  assert.ok(changed, 'the lister thread started');
  assert.deepEqual(logs.filter((l) => !l.startsWith('debug')), []);
  // Each row is one of the tree as it was, in the same order (a subsequence of it).
  let i = 0;
  for (const p of got) {
    while (i < all.length && all[i] !== p) i++;
    assert.ok(i < all.length, `${p}: not a row of the tree, or out of order`);
    i++;
  }
  assert.ok(got.length >= all.length - 3 * 101, 'the rest of the tree is there');
  await whenListersStopped();
});
