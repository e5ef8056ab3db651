// leveldb(): databases written by the real LevelDB (classic-level) and read back here, compared
// with LevelDB's own iterator; tables with Snappy, none and zstd blocks; data only in the log;
// several levels; binary keys; and the bad inputs (not a folder, corrupt blocks, torn logs,
// missing or corrupt MANIFEST), each a log line naming leveldb, file= and the file.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { runBatches, VBytes } from '../../../main/vql/index.ts';
import { createHostRegistry } from '../../../main/host/index.ts';
import { localFileReader } from '../../../main/host/files/accessors.ts';
import { Table, TableSource } from '../../../main/host/leveldb/table.ts';
import { bytesOf, internalKey, key, listed, logFile, openDb, run, truth, truthOfCopy, versionEdit, writeBatch, writeTable, type Pair } from './fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'vql-leveldb-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const newDir = (): string => join(root, `db${++n}`);

const tables = (dir: string): string[] => readdirSync(dir).filter((f) => /\.(ldb|sst)$/.test(f)).sort();
const logsOf = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
const warnings = (logs: string[]): string[] => logs.filter((l) => /^(warn|error):/.test(l));

/** The compression type byte of every data block of a table. */
async function blockTypes(file: string): Promise<number[]> {
  const r = await localFileReader(file);
  try {
    const t = await Table.open(r, r.size!);
    const out: number[] = [];
    for (const h of t.blocks) out.push((await r.read(h.offset + h.size, 1))[0]!);
    return out;
  } finally {
    await r.close();
  }
}

/** A database with 20,000 keys compacted into tables, then deletions and overwrites in the log. */
async function mixedDb(dir: string, compression: boolean): Promise<Awaited<ReturnType<typeof openDb>>> {
  const db = await openDb(dir, { compression });
  const batch = db.batch();
  for (let i = 0; i < 20000; i++) batch.put(key('key-', i), Buffer.from(`value ${i} `.repeat(6)));
  await batch.write();
  await db.compactRange(Buffer.from('a'), Buffer.from('z'));
  for (let i = 0; i < 20000; i += 3) await db.del(key('key-', i));
  for (let i = 0; i < 20000; i += 7) await db.put(key('key-', i), Buffer.from(`overwritten ${i}`));
  await db.put(Buffer.from('zz-only-in-log'), Buffer.from('fresh'));
  return db;
}

describe('leveldb() against LevelDB itself', () => {
  test('tables with Snappy blocks, deletions and overwrites in the log: the same pairs as LevelDB\'s iterator, while LevelDB holds the database open, without changing a file', async () => {
    const dir = newDir();
    const db = await mixedDb(dir, true);
    try {
      assert.ok(tables(dir).length >= 1, 'compactRange wrote a table');
      const types = (await Promise.all(tables(dir).map((t) => blockTypes(join(dir, t))))).flat();
      assert.ok(types.includes(1), `Snappy-compressed blocks (types: ${[...new Set(types)]})`);
      // LevelDB is idle here (no flush or compaction pending): any change to the folder would be ours.
      const files = () => readdirSync(dir).map((f) => [f, statSync(join(dir, f)).size, statSync(join(dir, f)).mtimeMs]);
      const before = files();
      const { pairs, logs } = await listed(dir);
      assert.deepEqual(files(), before, 'nothing written');
      const expected = await truth(db);
      assert.equal(pairs.length, expected.length);
      assert.deepEqual(pairs, expected);
      assert.deepEqual(warnings(logs), []);
      assert.ok(pairs.length > 10000 && pairs.length < 20000);
    } finally {
      await db.close();
    }
  });

  test('uncompressed tables (compression off): type 0 blocks read as they are', async () => {
    const dir = newDir();
    const db = await mixedDb(dir, false);
    try {
      const types = (await Promise.all(tables(dir).map((t) => blockTypes(join(dir, t))))).flat();
      assert.deepEqual([...new Set(types)], [0]);
      const { pairs, logs } = await listed(dir);
      assert.deepEqual(pairs, await truth(db));
      assert.deepEqual(warnings(logs), []);
    } finally {
      await db.close();
    }
  });

  test('data only in the write-ahead log, with records fragmented across 32 KiB blocks', async () => {
    const dir = newDir();
    const db = await openDb(dir);
    try {
      for (let i = 0; i < 30; i++) await db.put(key('big-', i), Buffer.alloc(50000 + i, 65 + (i % 26)));
      for (let i = 0; i < 300; i++) await db.put(key('small-', i), Buffer.from(`v${i}`));
      await db.del(key('big-', 3));
      await db.put(key('small-', 5), Buffer.from('again'));
      assert.deepEqual(tables(dir), [], 'nothing flushed to a table');
      const { pairs, logs } = await listed(dir);
      assert.deepEqual(pairs, await truth(db));
      assert.equal(pairs.length, 329);
      assert.deepEqual(warnings(logs), []);
    } finally {
      await db.close();
    }
  });

  test('several levels written by LevelDB (small write buffer and table size, many flushes and compactions)', async () => {
    const dir = newDir();
    const db = await openDb(dir, { writeBufferSize: 64 * 1024, maxFileSize: 32 * 1024 });
    // Small batches of values that do not compress: many flushes, compactions into split tables.
    const value = (round: number, i: number): Buffer => Buffer.from(createHash('sha1').update(`${round}/${i}`).digest('hex'));
    for (let round = 0; round < 4; round++) {
      for (let start = round; start < 12000; start += 400) {
        const b = db.batch();
        for (let i = start; i < Math.min(start + 400, 12000); i += 2) b.put(key('k', i), value(round, i));
        await b.write();
      }
      for (let i = round * 100; i < round * 100 + 50; i++) await db.del(key('k', i));
    }
    await db.put(Buffer.from('in the log'), Buffer.from('yes'));
    // Closing waits for LevelDB's background work; the truth is read on a copy (opening writes).
    await db.close();
    assert.ok(tables(dir).length >= 3, `several tables (${tables(dir).length})`);
    const { pairs, logs } = await listed(dir);
    assert.deepEqual(pairs, await truthOfCopy(dir));
    assert.deepEqual(warnings(logs), []);
  });

  test('level 0 tables that overlap, levels of several tables, deletions at every level: a folder made byte by byte, read as LevelDB reads it', async () => {
    const dir = newDir();
    mkdirSync(dir);
    type Op = { key: string; seq: number; value: string | null };
    const model = new Map<string, Op>();
    const apply = (op: Op) => {
      const old = model.get(op.key);
      if (!old || old.seq < op.seq) model.set(op.key, op);
    };
    const k3 = (i: number) => `a${String(i).padStart(3, '0')}`;
    let seq = 1;
    let fileNumber = 4;
    const newFiles: Array<{ level: number; number: number; size: number; smallest: Buffer; largest: Buffer }> = [];
    /** A table at `level` of the keys `ids` (deleted where `del(i)`), with sequence numbers from the running counter. */
    const table = (level: number, ids: number[], tag: string, del: (i: number) => boolean) => {
      const ops = ids.map((i) => ({ key: k3(i), seq: seq++, value: del(i) ? null : `${tag}-${i}` }));
      ops.forEach(apply);
      const entries = ops.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : b.seq - a.seq))
        .map((o): [Buffer, Buffer] => [internalKey(Buffer.from(o.key), o.seq, o.value === null ? 0 : 1), Buffer.from(o.value ?? '')]);
      const bytes = writeTable(entries, 16, { type: 0, encode: (b) => b });
      const number = fileNumber++;
      writeFileSync(join(dir, `${String(number).padStart(6, '0')}.ldb`), bytes);
      newFiles.push({ level, number, size: bytes.length, smallest: entries[0]![0], largest: entries.at(-1)![0] });
    };
    const range = (from: number, to: number, step = 1) => Array.from({ length: Math.ceil((to - from) / step) }, (_, j) => from + j * step);
    table(2, range(0, 100), 'L2', () => false);
    table(2, range(100, 200), 'L2', () => false);
    table(1, range(0, 50, 2), 'L1', (i) => i % 10 === 0);
    table(1, range(50, 150, 3), 'L1', (i) => i % 7 === 0);
    table(1, range(150, 200), 'L1', () => false);
    table(0, range(20, 120, 5), 'L0a', (i) => i % 4 === 0);
    table(0, range(60, 180, 4), 'L0b', (i) => i % 3 === 0);
    const batchOps: Array<[string, string | null]> = [[k3(5), 'log-5'], [k3(60), null], [k3(199), null], ['zz', 'log-only']];
    batchOps.forEach(([k, v], j) => apply({ key: k, seq: seq + j, value: v }));
    const logNumber = fileNumber++;
    writeFileSync(join(dir, `${String(logNumber).padStart(6, '0')}.log`), logFile([writeBatch(seq, batchOps)]));
    writeFileSync(join(dir, 'MANIFEST-000003'), logFile([versionEdit({ comparator: 'leveldb.BytewiseComparator', logNumber, nextFile: fileNumber, lastSequence: seq - 1, newFiles })]));
    writeFileSync(join(dir, 'CURRENT'), 'MANIFEST-000003\n');
    const expected = [...model.values()].filter((o) => o.value !== null).sort((a, b) => (a.key < b.key ? -1 : 1))
      .map((o): Pair => [Buffer.from(o.key).toString('hex'), Buffer.from(o.value!).toString('hex')]);
    const { pairs, logs } = await listed(dir);
    assert.deepEqual(warnings(logs), []);
    assert.deepEqual(pairs, expected);
    assert.deepEqual(await truthOfCopy(dir), expected, 'LevelDB reads the folder the same way');
  });

  test('binary keys and values: byte strings in bytewise order; UTF-8 text stays text; utf16() decodes UTF-16LE values', async () => {
    const dir = newDir();
    const db = await openDb(dir);
    try {
      await db.put(Buffer.from([0xff, 0x00, 0x01]), Buffer.from([0x80, 0x81]));
      await db.put(Buffer.from([0x00]), Buffer.from('zero'));
      await db.put(Buffer.from('é-key'), Buffer.from('héllo'));
      await db.put(Buffer.from('utf16'), Buffer.from('Grüße ☃', 'utf16le'));
      await db.put(Buffer.from('empty'), Buffer.alloc(0));
      const { rows, logs } = await run('SELECT Key, Value, utf16(string=Value) AS Text FROM leveldb(file=D)', { D: dir });
      assert.deepEqual(warnings(logs), []);
      assert.deepEqual(rows.map((r) => [bytesOf(r.get('Key')!).toString('hex'), bytesOf(r.get('Value')!).toString('hex')]), await truth(db));
      assert.ok(rows.at(-1)!.get('Key') instanceof VBytes, 'a key that is not UTF-8 is a byte string');
      assert.equal(rows.find((r) => r.get('Key') === 'é-key')!.get('Value'), 'héllo');
      assert.equal(rows.find((r) => r.get('Key') === 'utf16')!.get('Text'), 'Grüße ☃');
      assert.equal(rows.find((r) => r.get('Key') === 'empty')!.get('Value'), '');
    } finally {
      await db.close();
    }
  });

  test('accessor=zip reads a database inside a zip; accessor=data, which cannot list a folder, is a clear error', async () => {
    const dir = newDir();
    const db = await mixedDb(dir, true);
    const expected = await truth(db);
    await db.close();
    const files: Record<string, Uint8Array> = {};
    for (const f of readdirSync(dir)) files[`profile/Session Storage/${f}`] = readFileSync(join(dir, f));
    const zip = join(root, 'db.zip');
    writeFileSync(zip, zipSync(files));
    const { rows, logs } = await run(
      "SELECT * FROM leveldb(file=pathspec(DelegateAccessor='file', DelegatePath=Z, Path='/profile/Session Storage'), accessor='zip')", { Z: zip });
    assert.deepEqual(warnings(logs), []);
    assert.deepEqual(rows.map((r) => [bytesOf(r.get('Key')!).toString('hex'), bytesOf(r.get('Value')!).toString('hex')]), expected);
    const bad = await run("SELECT * FROM leveldb(file='x', accessor='data')");
    assert.deepEqual(bad.rows, []);
    assert.match(bad.logs.join('\n'), /error: leveldb: file=<data: 1 bytes>: accessor data cannot list folders/);
  });

  test('stops when the query stops: LIMIT, and a cancelled run closes its files', { skip: process.platform !== 'linux' ? 'open files are counted in /proc/self/fd' : false }, async () => {
    const dir = newDir();
    const db = await mixedDb(dir, true);
    await db.close();
    const limited = await run('SELECT * FROM leveldb(file=D) LIMIT 7', { D: dir });
    assert.equal(limited.rows.length, 7);
    const controller = new AbortController();
    let got = 0;
    for await (const batch of runBatches('SELECT * FROM leveldb(file=D)', { registry: createHostRegistry(), vars: { D: dir }, signal: controller.signal })) {
      got += batch.length;
      controller.abort();
    }
    assert.ok(got > 0 && got < 10000, `stopped early (${got} rows)`);
    const open = readdirSync('/proc/self/fd').map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    }).filter((p) => p.startsWith(dir));
    assert.deepEqual(open, [], 'no file of the database left open');
  });
});

describe('leveldb() on bad input', () => {
  test('a missing folder, a file, a folder that is not a database: one error each naming leveldb, file= and the path; the query goes on', async () => {
    const good = newDir();
    const db = await openDb(good);
    await db.put(Buffer.from('k'), Buffer.from('v'));
    await db.close();
    const empty = newDir();
    rmSync(empty, { recursive: true, force: true });
    cpSync(good, empty, { recursive: true, filter: (src) => src === good });
    writeFileSync(join(empty, 'notes.txt'), 'hello');
    const file = join(empty, 'notes.txt');
    const missing = join(root, 'no-such-folder');
    const { rows, logs } = await run(
      'SELECT * FROM foreach(row=[dict(D=M), dict(D=F), dict(D=E), dict(D=G)], query={SELECT D, Key, Value FROM leveldb(file=D)})',
      { M: missing, F: file, E: empty, G: good });
    assert.deepEqual(rows.map((r) => [r.get('D'), r.get('Key'), r.get('Value')]), [[good, 'k', 'v']]);
    const errors = logs.filter((l) => l.startsWith('error:'));
    assert.equal(errors.length, 3, logs.join('\n'));
    assert.match(errors[0]!, new RegExp(`^error: leveldb: file=${missing}: no such folder`));
    assert.match(errors[1]!, new RegExp(`^error: leveldb: file=${file}: is a file, not a folder`));
    assert.match(errors[2]!, new RegExp(`^error: leveldb: file=${empty}: not a LevelDB folder`));
  });

  test('a data block with a bad checksum is skipped with a warning naming the table and offset; the other blocks are listed', async () => {
    const dir = newDir();
    const db = await mixedDb(dir, true);
    const expected = await truth(db);
    await db.close();
    const table = join(dir, tables(dir)[0]!);
    const r = await localFileReader(table);
    const t = await Table.open(r, r.size!);
    await r.close();
    const victim = t.blocks[5]!;
    const bytes = readFileSync(table);
    bytes[victim.offset + 10] ^= 0xff;
    writeFileSync(table, bytes);
    const { pairs, logs } = await listed(dir);
    const w = warnings(logs);
    assert.equal(w.length, 1, logs.join('\n'));
    assert.match(w[0]!, new RegExp(`^warn: leveldb: file=${dir}: ${tables(dir)[0]}: offset ${victim.offset}: data block of ${victim.size} bytes: block checksum mismatch \\(block skipped\\)`));
    const truthMap = new Map(expected);
    for (const [k, v] of pairs) assert.equal(truthMap.get(k), v, 'every listed pair is LevelDB\'s');
    const lost = expected.length - pairs.length;
    assert.ok(lost > 0 && lost < 200, `only one block's keys are lost (${lost})`);
  });

  test('a block with an unknown compression type is reported as such', async () => {
    const dir = newDir();
    const entries: Array<[Buffer, Buffer]> = [];
    for (let i = 0; i < 40; i++) entries.push([internalKey(key('k', i), i + 1, 1), Buffer.from(`v${i}`)]);
    mkdirSync(dir);
    writeFileSync(join(dir, '000007.ldb'), writeTable(entries, 10, { type: 9, encode: (b) => b }));
    const { pairs, logs } = await listed(dir);
    assert.deepEqual(pairs, []);
    assert.match(logs.join('\n'), /warn: leveldb: file=.*: no CURRENT and no MANIFEST file; reading every table and log in the folder instead/);
    assert.match(logs.join('\n'), /warn: leveldb: file=.*: 000007\.ldb: offset 0: data block of \d+ bytes: unknown block compression type 9 \(block skipped\)/);
  });

  test('a truncated log: the records before the torn one are listed, as LevelDB\'s own recovery lists them, with a warning', async () => {
    const dir = newDir();
    const db = await openDb(dir);
    for (let i = 0; i < 200; i++) await db.put(key('k', i), Buffer.from(`value ${i}`));
    await db.put(key('big', 0), Buffer.alloc(70000, 7));
    await db.close();
    const log = join(dir, logsOf(dir).at(-1)!);
    truncateSync(log, statSync(log).size - 1000);
    const { pairs, logs } = await listed(dir);
    assert.deepEqual(pairs, await truthOfCopy(dir));
    assert.equal(pairs.length, 200);
    const w = warnings(logs);
    assert.equal(w.length, 1, logs.join('\n'));
    assert.match(w[0]!, new RegExp(`^warn: leveldb: file=${dir}: ${logsOf(dir).at(-1)}: offset \\d+: truncated record at the end of the file`));
  });

  test('a log record with a bad checksum drops the rest of its block, as LevelDB\'s recovery does, with a warning', async () => {
    const dir = newDir();
    const db = await openDb(dir);
    for (let i = 0; i < 3000; i++) await db.put(key('k', i), Buffer.from(`value ${i}`));
    await db.close();
    const log = join(dir, logsOf(dir).at(-1)!);
    const bytes = readFileSync(log);
    assert.ok(bytes.length > 2 * 32768);
    bytes[32768 + 500] ^= 0x55;
    writeFileSync(log, bytes);
    const { pairs, logs } = await listed(dir);
    assert.deepEqual(pairs, await truthOfCopy(dir));
    assert.ok(pairs.length > 2000 && pairs.length < 3000, `${pairs.length}`);
    assert.match(warnings(logs).join('\n'), /warn: leveldb: file=.*: \d+\.log: offset \d+: checksum mismatch: the rest of the block/);
  });

  test('no CURRENT and no MANIFEST (an incomplete copy): every table and log is read, with a warning', async () => {
    const dir = newDir();
    const db = await mixedDb(dir, true);
    const expected = await truth(db);
    await db.close();
    for (const f of readdirSync(dir)) if (f === 'CURRENT' || f.startsWith('MANIFEST-')) unlinkSync(join(dir, f));
    const { pairs, logs } = await listed(dir);
    assert.deepEqual(pairs, expected);
    assert.match(warnings(logs).join('\n'), new RegExp(`^warn: leveldb: file=${dir}: no CURRENT and no MANIFEST file; reading every table and log in the folder instead`));
  });

  test('a corrupt MANIFEST or CURRENT: the same fallback, naming the file', async () => {
    const dir = newDir();
    const db = await mixedDb(dir, true);
    const expected = await truth(db);
    await db.close();
    const manifest = readdirSync(dir).find((f) => f.startsWith('MANIFEST-'))!;
    const bytes = readFileSync(join(dir, manifest));
    bytes.fill(0x41, 0, Math.min(bytes.length, 64));
    writeFileSync(join(dir, manifest), bytes);
    let r = await listed(dir);
    assert.deepEqual(r.pairs, expected);
    assert.match(warnings(r.logs).join('\n'), new RegExp(`warn: leveldb: file=${dir}: ${manifest}: .*reading every table and log in the folder instead`));
    writeFileSync(join(dir, 'CURRENT'), 'garbage');
    r = await listed(dir);
    assert.deepEqual(r.pairs, expected);
    assert.match(warnings(r.logs).join('\n'), new RegExp(`warn: leveldb: file=${dir}: CURRENT: CURRENT does not end with a newline; reading every table`));
  });
});

describe('leveldb() on randomly damaged copies', () => {
  test('bytes flipped anywhere in the folder: warnings, never an exception out of the engine; the next query part still runs', async () => {
    const dir = newDir();
    const db = await openDb(dir);
    const b = db.batch();
    for (let i = 0; i < 3000; i++) b.put(key('key-', i), Buffer.from(`value ${i} `.repeat(4)));
    await b.write();
    await db.compactRange(Buffer.from('a'), Buffer.from('z'));
    for (let i = 0; i < 3000; i += 4) await db.del(key('key-', i));
    await db.put(key('key-', 1), Buffer.alloc(40000, 1));
    await db.close();
    const good = newDir();
    cpSync(dir, good, { recursive: true });
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const names = readdirSync(dir).filter((f) => f !== 'LOCK' && f !== 'LOG');
    for (let round = 0; round < 24; round++) {
      const copy = newDir();
      cpSync(good, copy, { recursive: true });
      const name = names[round % names.length]!;
      const bytes = readFileSync(join(copy, name));
      for (let k = 0; k < 1 + rand(4); k++) if (bytes.length > 0) bytes[rand(bytes.length)] ^= 1 + rand(255);
      writeFileSync(join(copy, name), round % 5 === 4 ? bytes.subarray(0, rand(bytes.length)) : bytes);
      const { rows, logs } = await run('SELECT * FROM chain(a={SELECT Key FROM leveldb(file=C)}, b={SELECT "next" AS Key FROM scope()})', { C: copy });
      assert.equal(rows.at(-1)!.get('Key'), 'next', `round ${round} (${name}): the query went on`);
      assert.deepEqual(logs.filter((l) => /cannot read the database/.test(l)), [], `round ${round} (${name}): every problem was handled where it happened`);
      rmSync(copy, { recursive: true, force: true });
    }
  });
});

describe('leveldb() table encodings LevelDB\'s Node build does not write', () => {
  const zstd = spawnSync('zstd', ['--version']).status === 0;
  test('zstd-compressed blocks (newer Chrome): read like Snappy ones', { skip: zstd ? false : 'the zstd program is not installed: zstd blocks not checked' }, async () => {
    const dir = newDir();
    const db = await mixedDb(dir, false);
    const expected: Pair[] = await truth(db);
    await db.close();
    for (const name of tables(dir)) {
      const r = await localFileReader(join(dir, name));
      const src = new TableSource(await Table.open(r, r.size!), r, (o, m) => assert.fail(`${o}: ${m}`));
      const entries: Array<[Buffer, Buffer]> = [];
      for (let s = src.step(); s === true || (s !== false && (await s)); s = src.step()) {
        entries.push([internalKey(src.key, src.seq, src.type), Buffer.from(src.value)]);
      }
      await src.close();
      const encode = (b: Buffer): Buffer => spawnSync('zstd', ['-q', '-c', '-3'], { input: b, maxBuffer: 1 << 26 }).stdout;
      writeFileSync(join(dir, name), writeTable(entries, 50, { type: 2, encode }));
      assert.deepEqual([...new Set(await blockTypes(join(dir, name)))], [2]);
    }
    const { pairs, logs } = await listed(dir);
    assert.deepEqual(warnings(logs), []);
    assert.deepEqual(pairs, expected);
  });
});

describe('leveldb() cancellation before work', () => {
  let dir = '';
  before(async () => {
    dir = newDir();
    const db = await openDb(dir);
    await db.put(Buffer.from('a'), Buffer.from('b'));
    await db.close();
  });
  test('an already-cancelled run lists nothing and logs nothing', async () => {
    const c = new AbortController();
    c.abort();
    const { rows, logs } = await run('SELECT * FROM leveldb(file=D)', { D: dir }, c.signal);
    assert.deepEqual(rows, []);
    assert.deepEqual(warnings(logs), []);
  });
});
