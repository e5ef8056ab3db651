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
import { LocalLister, listerCounters } from '../../../main/host/files/local-prefetch.ts';
import { OSPath } from '../../../main/host/files/ospath.ts';
import { StatSys } from '../../../main/host/files/stat-sys.ts';
import { GET_MEMBER } from '../../../main/vql/index.ts';
import { query } from './query-runner.ts';

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

test('glob: LIMIT on a large tree stops the lister thread', { skip }, async (t) => {
  process.env.VQL_LISTER = 'on';
  t.after(() => delete process.env.VQL_LISTER);
  const before = listerCounters.started;
  const { rows } = await query(`SELECT OSPath FROM glob(globs=D + '/**') LIMIT 5000`, { D: join(dir, 'big') });
  assert.equal(rows.length, 5000);
  assert.ok(listerCounters.started > before, 'the lister thread started');
  // The thread ends with the walk: its 'exit' comes, or the test would never end (it is
  // unref'd only while the walk does not wait on it).
  for (let i = 0; i < 500 && listerCounters.running > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(listerCounters.running, 0);
});
