// Hostile input for the collector's storage: a datastore whose day file was damaged in one
// specific way (truncated at every kind of boundary, random bytes at seeded random offsets,
// unbalanced quotes, CRLF, huge lines, a broken header, a directory, FIFO, symbolic or hard link
// in place of the file, a read-only file...). For each, in two ways (restart with repair(), and
// append without it), the store restarts and appends rows, and the test checks that:
// - nothing throws (a read-only file: append rejects with a StoreWriteError naming it, then works);
// - no complete row that was in the file before is lost: each sits at the same offset after;
// - the new rows are readable, each exactly once (the store's reader, the day-file reader of the
//   live view's backfill, and the table engine that opens a day for the log browser);
// - nothing outside the datastore changed, and entries that are not day files are left as they were;
// - what repair cut or left alone is reported naming the file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, link, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MonitoringStore, StoreWriteError } from '../../main/collector/store.ts';
import { headerLine, readDayFile, rowLines } from '../../main/collector/csv-file.ts';
import { mergeParts } from '../../main/logs/csv-read.ts';
import { bench } from '../tables/helpers.ts';
import { VDict } from '../../main/vql/values/types.ts';
import { prng } from '../helpers/prng.ts';

const DAY = '2024-01-02';
const NOW = () => new Date(`${DAY}T10:00:00Z`);
const Q = 'Hostile.Events';
const ROWS = 200;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

let tmp = '';
/** The table engine, as the log browser opens a day. */
const engine = bench();
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'vql-hostile-'));
});
after(async () => {
  engine.dispose();
  await rm(tmp, { recursive: true, force: true });
});

/** Row i: plain text, a comma, quotes, a newline, non-ASCII text, a leading space, a run of x. */
function rowAt(i: number): VDict {
  const kinds = [`text ${i}`, `a, b ${i}`, `say "hi" ${i}`, `two\nlines ${i}`, `é€😀 ${i}`, ` lead ${i}`, 'x'.repeat(1 + (i % 40))];
  return new VDict([['N', i], ['T', kinds[i % kinds.length]!]]);
}

/** A datastore with one day file of ROWS rows written by the store, and a directory outside it. */
interface Env {
  ds: string;
  outside: string;
  dir: string;
  file: string;
  clean: Buffer;
  headerLen: number;
  /** Start offset of each row's record in `clean`, and each record's bytes. */
  starts: number[];
  records: Buffer[];
  /** Undoes what the damage did that would stop the directory from being removed (chattr +i). */
  cleanup?: () => Promise<void>;
  /** Set by a damage whose file cannot be written: appends reject until `makeWritable()`. */
  makeWritable?: () => Promise<void>;
}

let counter = 0;
async function build(): Promise<Env> {
  const root = join(tmp, `case${counter++}`);
  const ds = join(root, 'ds');
  const outside = join(root, 'outside');
  await mkdir(outside, { recursive: true });
  await writeFile(join(outside, 'target.csv'), 'N,T\n1,outside\n');
  await writeFile(join(outside, 'secret.txt'), 'do not touch\n');
  const store = new MonitoringStore({ datastore: ds, now: NOW });
  const rows = Array.from({ length: ROWS }, (_, i) => rowAt(i));
  await store.append(Q, rows);
  await store.close();
  const dir = store.dir(Q);
  const file = join(dir, `${DAY}.csv`);
  const clean = await readFile(file);
  const headerLen = Buffer.byteLength(headerLine(['N', 'T']));
  const records = rows.map((r) => Buffer.from(rowLines([r])));
  const starts: number[] = [];
  let at = headerLen;
  for (const r of records) {
    starts.push(at);
    at += r.length;
  }
  assert.equal(at, clean.length);
  return { ds, outside, dir, file, clean, headerLen, starts, records };
}

/** Every file under `dir` with its bytes (directories and links by kind and target). */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    for (const ent of await readdir(d, { withFileTypes: true })) {
      const p = join(d, ent.name);
      const rel = relative(dir, p);
      if (ent.isSymbolicLink()) out.set(rel, 'link:' + (await readlink(p)));
      else if (ent.isDirectory()) {
        out.set(rel, 'dir');
        await walk(p);
      } else if (ent.isFile()) out.set(rel, (await readFile(p)).toString('base64'));
      else out.set(rel, 'other');
    }
  };
  await walk(dir);
  return out;
}

const edit = async (env: Env, f: (b: Buffer) => Buffer) => writeFile(env.file, f(await readFile(env.file)));
const cutTo = (n: (env: Env) => number) => (env: Env) => edit(env, (b) => b.subarray(0, n(env)));
/** Replaces row k's record (a one-line record) with `bad`. */
const replaceRow = (k: number, bad: string | Buffer) => (env: Env) =>
  edit(env, (b) => Buffer.concat([b.subarray(0, env.starts[k]!), Buffer.from(bad), b.subarray(env.starts[k]! + env.records[k]!.length)]));
/** Inserts `bytes` at the start of row k's record. */
const insertAt = (k: number, bytes: string | Buffer) => (env: Env) =>
  edit(env, (b) => Buffer.concat([b.subarray(0, env.starts[k]!), Buffer.from(bytes), b.subarray(env.starts[k]!)]));
const inRecord = (env: Env, k: number, needle: string, plus = 0) => env.starts[k]! + env.records[k]!.indexOf(needle) + plus;

function randomOverwrite(seed: number) {
  return (env: Env) =>
    edit(env, (b) => {
      const r = prng(seed);
      const out = Buffer.from(b);
      const n = 1 + Math.floor(r() * 8);
      for (let i = 0; i < n; i++) out[Math.floor(r() * out.length)] = Math.floor(r() * 256);
      return out;
    });
}

function randomInsert(seed: number) {
  return (env: Env) =>
    edit(env, (b) => {
      const r = prng(seed);
      const at = Math.floor(r() * b.length);
      const junk = Buffer.from(Array.from({ length: 1 + Math.floor(r() * 64) }, () => Math.floor(r() * 256)));
      return Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]);
    });
}

function randomDelete(seed: number) {
  return (env: Env) =>
    edit(env, (b) => {
      const r = prng(seed);
      const at = Math.floor(r() * b.length);
      return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + Math.floor(r() * 200)))]);
    });
}

/** Makes the day file unwritable: permission bits, or (root ignores them) the immutable attribute. */
async function readOnly(env: Env): Promise<void> {
  if (!isRoot) {
    await chmod(env.file, 0o444);
    env.makeWritable = () => chmod(env.file, 0o644);
    return;
  }
  const r = spawnSync('chattr', ['+i', env.file], { encoding: 'utf8' });
  if (r.status !== 0) throw new SkipCase(`running as root, and chattr +i is not available here (${(r.stderr || r.error?.message || '').trim()}): root ignores permission bits`);
  env.makeWritable = env.cleanup = async () => {
    spawnSync('chattr', ['-i', env.file]);
  };
}

class SkipCase extends Error {}

/** A case: its name, the damage, and whether appending to the file must fail until it is writable. */
interface Case {
  name: string;
  damage: (env: Env) => Promise<void>;
  unwritable?: boolean;
  /** The table engine does not open this day (so the log browser cannot show it): why. Its read is then a `todo` test of its own. */
  engineTodo?: string;
}


const LAST = ROWS - 1; // 199: a two-line row (`two\nlines 199`)
const CASES: Case[] = [
  // Truncated at every kind of boundary.
  { name: 'truncated in the middle of the header', damage: cutTo(() => 2) },
  { name: 'truncated right after the header (header only)', damage: cutTo((e) => e.headerLen) },
  { name: 'truncated one byte into the first row', damage: cutTo((e) => e.headerLen + 1) },
  { name: 'truncated in the middle of a number', damage: cutTo((e) => e.starts[LAST]! + 2) },
  { name: 'truncated just before a comma', damage: cutTo((e) => e.starts[LAST]! + 3) },
  { name: 'truncated just after a comma', damage: cutTo((e) => e.starts[LAST]! + 4) },
  { name: 'truncated just before the newline of a one-line row', damage: cutTo((e) => e.starts[198]! - 1) },
  { name: 'truncated inside a quoted field', damage: cutTo((e) => inRecord(e, 197, 'a, b', 2)) },
  { name: 'truncated between the two quotes of a doubled quote', damage: cutTo((e) => inRecord(e, 198, '""', 1)) },
  { name: 'truncated inside a multi-line field, after its inner newline', damage: cutTo((e) => inRecord(e, LAST, '\n', 3)) },
  { name: 'truncated right after the closing quote of a multi-line field', damage: cutTo((e) => e.clean.length - 1) },
  { name: 'truncated inside a multi-byte UTF-8 character', damage: cutTo((e) => inRecord(e, 193, 'é', 1)) },
  ...[11, 12, 13, 14].map((seed) => ({ name: `truncated at a random offset (seed ${seed})`, damage: cutTo((e) => Math.floor(prng(seed)() * e.clean.length)) })),
  // Random bytes at random offsets.
  ...[1, 2, 3, 4, 5, 6, 7, 8].map((seed) => ({ name: `random bytes overwritten at random offsets (seed ${seed})`, damage: randomOverwrite(seed) })),
  ...[21, 22, 23, 24].map((seed) => ({ name: `random bytes inserted at a random offset (seed ${seed})`, damage: randomInsert(seed) })),
  ...[31, 32].map((seed) => ({ name: `a random span deleted (seed ${seed})`, damage: randomDelete(seed) })),
  // Quotes.
  { name: 'an unbalanced quote mid-file, quoted rows after it', damage: replaceRow(100, '100,"broken\n') },
  { name: 'an unbalanced quote mid-file, no quote after it', damage: async (e) => edit(e, (b) => Buffer.concat([b.subarray(0, e.starts[150]!), Buffer.from('150,"broken\n'), ...Array.from({ length: 20 }, (_, i) => Buffer.from(`${151 + i},plain\n`))])) },
  { name: 'a bare quote mid-file', damage: replaceRow(100, '100,bro"ken\n') },
  { name: 'an unbalanced quote on the last line, with its newline', damage: replaceRow(197, '197,"broken\n') },
  { name: 'an unbalanced quote on a last line without its newline', damage: async (e) => edit(e, (b) => Buffer.concat([b, Buffer.from('200,"torn')])) },
  { name: 'text after a closing quote mid-file', damage: replaceRow(100, '100,"a"b\n') },
  // NUL bytes, field counts, line ends.
  { name: 'a run of NUL bytes mid-file', damage: async (e) => edit(e, (b) => Buffer.concat([b.subarray(0, e.starts[100]! + 2), Buffer.alloc(300), b.subarray(e.starts[100]! + 302)])) },
  { name: 'NUL bytes after the last newline (a power loss)', damage: async (e) => edit(e, (b) => Buffer.concat([b, Buffer.alloc(8192)])) },
  { name: 'NUL bytes over the end of the file, its last newline included', damage: async (e) => edit(e, (b) => Buffer.concat([b.subarray(0, b.length - 10), Buffer.alloc(4096)])) },
  { name: 'a row with too many fields', damage: replaceRow(100, '100,a,b,c\n') },
  { name: 'a row with too few fields', damage: replaceRow(100, '100\n') },
  { name: 'an empty line mid-file', damage: insertAt(100, '\n') },
  { name: 'CRLF line ends throughout', damage: async (e) => edit(e, (b) => Buffer.from(b.toString('utf8').replace(/\n/g, '\r\n'))) },
  { name: 'CRLF and LF line ends mixed', damage: async (e) => edit(e, (b) => Buffer.from(b.toString('utf8').replace(/(\d+,text \d+)\n/g, '$1\r\n'))) },
  { name: 'a lone CR mid-row', damage: replaceRow(100, '100,te\rxt\n') },
  { name: 'a lone CR after a closing quote', damage: replaceRow(101, '101,"a, b"\rx\n') },
  // Huge lines.
  { name: 'a huge valid row (2 MB) mid-file', damage: insertAt(100, `5000,"${'big, '.repeat(512 * 1024)}"\n`) },
  { name: 'a huge line of garbage (2 MB) mid-file', damage: insertAt(100, Buffer.alloc(2 << 20, 0x41)) },
  { name: 'a huge torn line (2 MB) at the end', damage: async (e) => edit(e, (b) => Buffer.concat([b, Buffer.alloc(2 << 20, 0x42)])) },
  // Headers.
  { name: 'an empty file', damage: async (e) => writeFile(e.file, '') },
  { name: 'a header with a byte order mark', damage: async (e) => edit(e, (b) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b])) },
  { name: 'a header with an unbalanced quote', damage: async (e) => edit(e, (b) => Buffer.concat([Buffer.from('N,"T\n'), b.subarray(e.headerLen)])) },
  { name: 'a header that is not UTF-8', damage: async (e) => edit(e, (b) => Buffer.concat([Buffer.from([0x4e, 0x2c, 0xff, 0x0a]), b.subarray(e.headerLen)])) },
  { name: 'no header: rows only', damage: async (e) => edit(e, (b) => b.subarray(e.headerLen)) },
  { name: 'bytes that are not UTF-8 mid-file', damage: replaceRow(100, Buffer.from([0x31, 0x30, 0x30, 0x2c, 0xc0, 0xaf, 0x0a])) },
  // Entries that are not day files.
  { name: 'a directory in place of the day file', damage: async (e) => { await rm(e.file); await mkdir(e.file); await writeFile(join(e.file, 'inner.csv'), 'x\n'); } },
  { name: 'a symbolic link to a file outside the datastore in place of the day file', damage: async (e) => { await rm(e.file); await symlink(join(e.outside, 'target.csv'), e.file); } },
  { name: 'a dangling symbolic link in place of the day file', damage: async (e) => { await rm(e.file); await symlink(join(e.outside, 'missing.csv'), e.file); } },
  { name: 'a symbolic link to outside as the next part, the day file damaged', damage: async (e) => { await replaceRow(100, '100,"broken\n')(e); await symlink(join(e.outside, 'target.csv'), join(e.dir, `${DAY}.1.csv`)); } },
  { name: 'a hard link to a file outside the datastore in place of the day file', damage: async (e) => { await rm(e.file); await link(join(e.outside, 'target.csv'), e.file); } },
  { name: 'a FIFO in place of the day file', damage: async (e) => {
    if (process.platform === 'win32') throw new SkipCase('no FIFOs on Windows');
    await rm(e.file);
    const r = spawnSync('mkfifo', [e.file], { encoding: 'utf8' });
    if (r.status !== 0) throw new SkipCase(`mkfifo failed: ${r.stderr || r.error?.message}`);
  } },
  { name: 'a read-only day file', damage: readOnly, unwritable: true },
  { name: 'a read-only day file with a torn last record', damage: async (e) => { await cutTo((x) => x.clean.length - 3)(e); await readOnly(e); } },
  { name: 'a torn file of another day (not appended to)', damage: async (e) => { await writeFile(join(e.dir, '2024-01-01.csv'), 'N,T\n1,a\n2,tor'); } },
  { name: 'a damaged second part whose schema the new rows have', damage: async (e) => { await writeFile(join(e.dir, `${DAY}.1.csv`), 'K,V\nk1,v1\nk2,"broken\nk3,v3\n'); } },
];

/** The new rows: two batches of the day file's schema, one of another (a schema change). */
const NEW_A = [0, 1].map((b) => Array.from({ length: 5 }, (_, i) => new VDict([['N', 1_000_000 + b * 10 + i], ['T', `new ${b} ${i}`]])));
const NEW_B = [Array.from({ length: 3 }, (_, i) => new VDict([['K', `new-k-${i}`], ['V', i]]))];
const NEW_IDS = [...NEW_A.flat().map((r) => `N=${r.get('N')}`), ...NEW_B.flat().map((r) => `K=${r.get('K')}`)];

/** Ids of the new rows found in the day's parts (regular files only), by each reader. */
async function newRowsIn(dir: string, withBrowser: boolean): Promise<{ store: string[]; reader: string[]; browser: string[] }> {
  const parts: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    if (!new RegExp(`^${DAY}(\\.\\d+)?\\.csv$`).test(name)) continue;
    const p = join(dir, name);
    const st = await lstat(p);
    if (st.isFile() && st.nlink === 1) parts.push(p);
  }
  const id = (r: { N?: unknown; K?: unknown }) => (typeof r.N === 'number' && r.N >= 1_000_000 ? `N=${r.N}` : typeof r.K === 'string' && r.K.startsWith('new-k-') ? `K=${r.K}` : null);
  const store: string[] = [];
  for (const p of parts) {
    for (const r of await readDayFile(p, { onProblem: () => {}, allowPartial: true })) {
      const x = id(r.toJSON() as { N?: unknown; K?: unknown });
      if (x) store.push(x);
    }
  }
  const reader: string[] = [];
  for (const p of parts) {
    for await (const batch of mergeParts([p], () => {})) {
      for (const r of batch) {
        const x = id(JSON.parse(r) as { N?: unknown; K?: unknown });
        if (x) reader.push(x);
      }
    }
  }
  // The log browser: the day's parts opened by the table engine as one table (a damaged part
  // can make a column text: the ids are read from their text).
  const browser: string[] = [];
  if (withBrowser && parts.length) {
    const t = await engine.openSource({ kind: 'logs', files: parts.map((path) => ({ path, day: 0 })) }, parts);
    try {
      assert.equal(t.state, 'ready', `the engine opens the day: ${t.error?.message}`);
      const names = t.info().columns.map((c) => c.name);
      const cols = ['N', 'K'].filter((c) => names.includes(c));
      const w = await t.window({ offset: 0, limit: 10_000, columns: cols });
      for (const cells of w.cells) {
        const r = Object.fromEntries(cols.map((c, i) => [c, cells[i]]));
        const x = id({ N: typeof r.N === 'string' && /^\d+$/.test(r.N) ? Number(r.N) : r.N, K: r.K });
        if (x) browser.push(x);
      }
    } finally {
      t.close();
    }
  }
  return { store: store.sort(), reader: reader.sort(), browser: browser.sort() };
}

/** The complete original records found intact, line-aligned, in the damaged bytes: [offset, bytes]. */
function intactRecords(env: Env, damaged: Buffer): [number, Buffer][] {
  const out: [number, Buffer][] = [];
  for (const r of env.records) {
    for (let at = damaged.indexOf(r); at >= 0; at = damaged.indexOf(r, at + 1)) {
      if (at === 0 || damaged[at - 1] === 0x0a) {
        out.push([at, r]);
        break;
      }
    }
  }
  return out;
}

async function runCase(c: Case, mode: 'repair' | 'append', withBrowser: boolean): Promise<void> {
  const env = await build();
  try {
    await c.damage(env);
    const outsideBefore = await snapshot(env.outside);
    const entries = await snapshot(env.dir);
    const pre = await lstat(env.file).catch(() => null);
    const preBytes = pre?.isFile() && pre.nlink === 1 ? await readFile(env.file) : null;
    const intact = preBytes ? intactRecords(env, preBytes) : [];

    const messages: string[] = [];
    const store = new MonitoringStore({ datastore: env.ds, now: NOW, warn: (m) => messages.push(m) });
    if (mode === 'repair') {
      for (const f of await store.repair()) messages.push(store.repairNote(f));
    }
    for (const batch of [...NEW_A, ...NEW_B]) {
      try {
        await store.append(Q, batch);
      } catch (e) {
        // Only a file that cannot be written may refuse a batch, naming itself; the retry works once it can.
        assert.ok(c.unwritable && env.makeWritable, `append threw: ${(e as Error).stack}`);
        assert.ok(e instanceof StoreWriteError, String(e));
        assert.equal(e.path, env.file);
        assert.match(String(e.code), /^(EACCES|EPERM)$/);
        await env.makeWritable();
        await store.append(Q, batch);
      }
    }
    await store.close();

    // Nothing outside the datastore changed.
    assert.deepEqual(await snapshot(env.outside), outsideBefore, 'the directory outside the datastore is unchanged');
    // Entries that are not regular, single-link files are left as they were.
    if (!preBytes && pre) {
      const now = await snapshot(env.dir);
      for (const [k, v] of entries) if (k === `${DAY}.csv` || k.startsWith(`${DAY}.csv/`) || v.startsWith('link:')) assert.equal(now.get(k), v, `${k} is left as it was`);
    }
    // No complete row that was in the file is lost: each is at the same offset.
    const postBytes = preBytes ? await readFile(env.file).catch(() => null) : null;
    if (preBytes) {
      if (!postBytes) assert.deepEqual(intact, [], 'a file holding complete rows was removed');
      for (const [at, r] of intact) assert.ok(postBytes!.subarray(at, at + r.length).equals(r), `the row at byte ${at} (${JSON.stringify(r.toString())}) is intact`);
      // What was cut is reported naming the file.
      const common = postBytes ? commonPrefix(preBytes, postBytes) : 0;
      if (common < preBytes.length) assert.ok(messages.some((m) => m.startsWith(`${env.file}: `)), `the cut of ${env.file} is reported: ${messages.join('\n')}`);
    }
    // The new rows are readable, each exactly once.
    const found = await newRowsIn(env.dir, withBrowser);
    assert.deepEqual(found.store, [...NEW_IDS].sort(), 'the store reader finds every new row once');
    assert.deepEqual(found.reader, [...NEW_IDS].sort(), 'the day-file reader finds every new row once');
    if (withBrowser) assert.deepEqual(found.browser, [...NEW_IDS].sort(), 'the log browser finds every new row once');
  } finally {
    await env.cleanup?.();
  }
}

function commonPrefix(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

describe(`hostile day files (${CASES.length} cases, each after a restart with repair() and without)`, () => {
  test('there are at least 40 cases', () => assert.ok(CASES.length >= 40, String(CASES.length)));
  for (const c of CASES) {
    test(c.name, async (t) => {
      try {
        await runCase(c, 'repair', !c.engineTodo);
        await runCase(c, 'append', !c.engineTodo);
      } catch (e) {
        if (e instanceof SkipCase) return t.skip(e.message);
        throw e;
      }
    });
    if (c.engineTodo) {
      test(`${c.name}: the log browser (the table engine) finds every new row once`, { todo: c.engineTodo }, async () => {
        await runCase(c, 'repair', true);
        await runCase(c, 'append', true);
      });
    }
  }
});
