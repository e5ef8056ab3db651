/**
 * `node --import tsx scripts/bench-leveldb.ts [--keys N] [--runs N] [--keep]`: leveldb() over
 * a large database (issue 10): rows/s and MB/s (of the database's files, and of key+value
 * bytes) reading all N keys (default 500,000, ~40-byte keys, 100-byte values) through the engine, with
 * LevelDB's own iterator (classic-level, C++) over the same folder as a reference, and the
 * peak RSS. The database is written by LevelDB itself (Snappy-compressed tables over several
 * levels), then opened once by LevelDB so that its recovery has turned the log into a table
 * before the timed runs. It is kept between runs in <tmp>/vql-bench-leveldb-N with --keep.
 * Numbers vary with the machine's load: run it on a quiet machine and take the best run.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { runBatches } from '../main/vql/index.ts';
import { createHostRegistry } from '../main/host/index.ts';

const argv = process.argv.slice(2);
const arg = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const KEYS = Number(arg('--keys') ?? 500_000);
const RUNS = Number(arg('--runs') ?? 3);
const dir = join(tmpdir(), `vql-bench-leveldb-${KEYS}`);

async function build(): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  const t0 = performance.now();
  for (let start = 0; start < KEYS; start += 5000) {
    const b = db.batch();
    for (let i = start; i < Math.min(start + 5000, KEYS); i++) {
      const k = `map-${i % 97}-${createHash('md5').update(String(i)).digest('hex')}`;
      b.put(Buffer.from(k), Buffer.from(`value ${i}: ${'abcdefghij'.repeat(5)}${createHash('sha1').update(k).digest('hex')}`, 'utf16le').subarray(0, 100));
    }
    await b.write();
  }
  await db.close();
  console.log(`wrote ${KEYS} keys in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

function folderBytes(): number {
  return readdirSync(dir).filter((f) => /\.(ldb|sst|log)$/.test(f)).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

async function ours(): Promise<{ rows: number; ms: number }> {
  const t0 = performance.now();
  let rows = 0;
  for await (const batch of runBatches('SELECT Key, Value FROM leveldb(file=D)', { registry: createHostRegistry(), vars: { D: dir } })) rows += batch.length;
  return { rows, ms: performance.now() - t0 };
}

async function reference(): Promise<{ rows: number; payload: number; ms: number }> {
  const t0 = performance.now();
  const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  let rows = 0;
  let payload = 0;
  for await (const [k, v] of db.iterator()) {
    rows++;
    payload += k.length + v.length;
  }
  await db.close();
  return { rows, payload, ms: performance.now() - t0 };
}

if (!argv.includes('--keep') || !existsSync(join(dir, 'CURRENT'))) await build();
// LevelDB's open rewrites the log into a table (recovery): open it once first, so that every
// run of both readers sees the same files.
await reference();
const files = folderBytes();
const tables = readdirSync(dir).filter((f) => f.endsWith('.ldb')).length;
console.log(`database: ${dir}: ${tables} tables, ${(files / 1e6).toFixed(1)} MB of tables and logs; load ${loadavg()[0]!.toFixed(2)}`);
const mb = (n: number, ms: number): string => (n / 1e6 / (ms / 1000)).toFixed(1);
let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
for (let r = 0; r < RUNS; r++) {
  const ref = await reference();
  const o = await ours();
  if (o.rows !== ref.rows) throw new Error(`row counts differ: leveldb() ${o.rows}, LevelDB ${ref.rows}`);
  console.log(
    `run ${r + 1}: leveldb() ${o.rows} rows in ${o.ms.toFixed(0)} ms: ${Math.round(o.rows / (o.ms / 1000))} rows/s, ` +
    `${mb(files, o.ms)} MB/s of files, ${mb(ref.payload, o.ms)} MB/s of keys+values | ` +
    `LevelDB's iterator (C++): ${ref.ms.toFixed(0)} ms, ${Math.round(ref.rows / (ref.ms / 1000))} rows/s; ratio ${(o.ms / ref.ms).toFixed(2)}x`,
  );
}
clearInterval(sampler);
console.log(`peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`);
if (!argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
