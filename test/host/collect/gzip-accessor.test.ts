import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { zipSync } from 'fflate';
import { testRun, type TestRun } from './helpers.ts';
import type { Scope } from '../../../main/vql/index.ts';
import { gzipAccessor } from '../../../main/host/collect/gzip-accessor.ts';

let t: TestRun;
let dir = '';
const hasGzip = spawnSync('gzip', ['--version']).status === 0;
const gzip = (file: string) => execFileSync('gzip', ['-kf', file]);

/** Lines of the large file: `line N <padding>`, about 100 bytes each. */
const BIG_LINES = 500_000;
const TRUNC_LINES = 50_000;
const bigLine = (i: number) => `line ${i} ${'abcdefghijklmnopqrstuvwxyz'.repeat(3)} ${(i * 2654435761) % 1000003}`;

before(async () => {
  t = testRun();
  dir = mkdtempSync(join(tmpdir(), 'vql-gzip-test-'));
  if (!hasGzip) return;
  writeFileSync(join(dir, 'a'), 'first member\nline two\n');
  writeFileSync(join(dir, 'b'), 'second member\n');
  gzip(join(dir, 'a'));
  gzip(join(dir, 'b'));
  // Two members concatenated, as logrotate's delaycompress + cat can leave them.
  writeFileSync(join(dir, 'multi.gz'), Buffer.concat([readFileSync(join(dir, 'a.gz')), readFileSync(join(dir, 'b.gz'))]));
  writeFileSync(join(dir, 'plain.log'), 'not compressed\n');
  // The large file: ~50 MB of lines, compressed by gzip itself.
  const ws = createWriteStream(join(dir, 'big.log'));
  for (let i = 0; i < BIG_LINES; ) {
    const part: string[] = [];
    for (let j = 0; j < 10_000; j++, i++) part.push(bigLine(i));
    if (!ws.write(part.join('\n') + '\n')) await once(ws, 'drain');
  }
  ws.end();
  await once(ws, 'finish');
  execFileSync('gzip', ['-kf', '-1', join(dir, 'big.log')]);
  // Truncated: the first 60% of a compressed file of 50,000 lines.
  writeFileSync(join(dir, 'small.log'), Array.from({ length: TRUNC_LINES }, (_, i) => bigLine(i) + '\n').join(''));
  gzip(join(dir, 'small.log'));
  const smallGz = readFileSync(join(dir, 'small.log.gz'));
  writeFileSync(join(dir, 'trunc.gz'), smallGz.subarray(0, Math.floor(smallGz.length * 0.6)));
  // A .gz inside a zip (stored and deflated).
  writeFileSync(join(dir, 'logs.zip'), zipSync({ 'var/log/a.gz': [readFileSync(join(dir, 'multi.gz')), { level: 0 }], 'deflated/a.gz': [readFileSync(join(dir, 'multi.gz')), { level: 9 }] }));
});
after(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

const skip = !hasGzip && 'needs the gzip command';

test('gzip accessor: a plain path, multi-member files decompress whole', { skip }, async () => {
  const { rows, logs } = await t.query(`
    SELECT read_file(filename=A, accessor='gzip') AS One,
           read_file(filename=M, accessor='gzip') AS Multi,
           read_file(filename=M, accessor='gzip', offset=15, length=8) AS Slice
    FROM scope()`, { A: join(dir, 'a.gz'), M: join(dir, 'multi.gz') });
  assert.deepEqual(logs, []);
  assert.equal(rows[0]!.One, 'first member\nline two\n');
  assert.equal(rows[0]!.Multi, 'first member\nline two\nsecond member\n');
  assert.equal(rows[0]!.Slice, 'ne two\ns');
  const lines = await t.query(`SELECT Line FROM parse_lines(filename=M, accessor='gzip')`, { M: join(dir, 'multi.gz') });
  assert.deepEqual(lines.rows.map((r) => r.Line), ['first member', 'line two', 'second member']);
});

test('gzip accessor: as MacOS.Forensics.FSEvents calls it (glob OSPath, length=)', { skip }, async () => {
  const { rows, logs } = await t.query(`
    SELECT OSPath.Basename AS Name, read_file(filename=OSPath, accessor='gzip', length=MaxFileSize) AS Data
    FROM glob(globs=D + '/*.gz') WHERE Name =~ '^(a|multi)'
    ORDER BY Name`, { D: dir, MaxFileSize: 20 });
  assert.deepEqual(logs, []);
  assert.deepEqual(rows, [{ Name: 'a.gz', Data: 'first member\nline tw' }, { Name: 'multi.gz', Data: 'first member\nline tw' }]);
});

test('gzip accessor: a file that is not gzip is read as it is; stat is the compressed file\'s', { skip }, async () => {
  const { rows, logs } = await t.query(`
    SELECT read_file(filename=P, accessor='gzip') AS Plain,
           stat(filename=M, accessor='gzip').Size AS Size,
           read_file(filename=D + '/missing.gz', accessor='gzip') AS Missing
    FROM scope()`, { P: join(dir, 'plain.log'), M: join(dir, 'multi.gz'), D: dir });
  assert.equal(rows[0]!.Plain, 'not compressed\n');
  assert.equal(rows[0]!.Size, statSync(join(dir, 'multi.gz')).size);
  assert.equal(rows[0]!.Missing, '');
  assert.ok(logs.some((l) => l.startsWith('warn: read_file:') && l.includes('missing.gz')), logs.join('\n'));
});

test('gzip accessor: a .gz inside a zip, through a delegate pathspec', { skip }, async () => {
  const { rows, logs } = await t.query(`
    SELECT read_file(accessor='gzip', filename=pathspec(DelegateAccessor='zip',
             DelegatePath=pathspec(DelegateAccessor='file', DelegatePath=Z, Path='/var/log/a.gz'))) AS Stored,
           read_file(accessor='gzip', filename=pathspec(DelegateAccessor='zip',
             DelegatePath=pathspec(DelegateAccessor='file', DelegatePath=Z, Path='/deflated/a.gz'))) AS Deflated,
           stat(accessor='gzip', filename=pathspec(DelegateAccessor='zip',
             DelegatePath=pathspec(DelegateAccessor='file', DelegatePath=Z, Path='/var/log/a.gz'))).Size AS Size
    FROM scope()`, { Z: join(dir, 'logs.zip') });
  assert.deepEqual(logs, []);
  assert.equal(rows[0]!.Stored, 'first member\nline two\nsecond member\n');
  assert.equal(rows[0]!.Deflated, 'first member\nline two\nsecond member\n');
  assert.equal(rows[0]!.Size, statSync(join(dir, 'multi.gz')).size);
});

test('gzip accessor: a 50 MB file, by lines and at offsets (forward, then back)', { skip }, async (ctx) => {
  const gz = join(dir, 'big.log.gz');
  const size = statSync(join(dir, 'big.log')).size;
  // The read_file plugin in 1 MiB chunks (forward reads, no restart): every byte is there.
  const t0 = performance.now();
  const chunks = await t.query(`SELECT count() AS N, sum(item=len(list=Data)) AS Bytes FROM read_file(filenames=F, accessor='gzip') GROUP BY 1`, { F: gz });
  const ms = performance.now() - t0;
  assert.deepEqual(chunks.logs, []);
  assert.deepEqual(chunks.rows[0], { N: Math.ceil(size / 2 ** 20), Bytes: size });
  const t1 = performance.now();
  execFileSync('sh', ['-c', `gzip -dc '${gz}' > /dev/null`]);
  const gzipMs = performance.now() - t1;
  const rate = (n: number, ms: number) => `${(n / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
  ctx.diagnostic(`read_file plugin: ${(size / 1e6).toFixed(1)} MB in ${ms.toFixed(0)} ms (${rate(size, ms)}); gzip -dc: ${gzipMs.toFixed(0)} ms (${rate(size, gzipMs)})`);

  // By lines (slow under the test runner, whose hooks track every promise: see the report for speeds).
  const { rows, logs } = await t.query(`SELECT count() AS N, Line FROM parse_lines(filename=F, accessor='gzip') GROUP BY 1`, { F: gz });
  assert.deepEqual(logs, []);
  assert.equal(rows[0]!.N, BIG_LINES);
  assert.equal(rows[0]!.Line, bigLine(BIG_LINES - 1));

  // The offset of line i: every line before it plus its newline.
  const offsetOf = (i: number) => { let o = 0; for (let j = 0; j < i; j++) o += Buffer.byteLength(bigLine(j)) + 1; return o; };
  const at = [400_000, 400_001, 10, 250_000];
  const offs = at.map(offsetOf);
  const t2 = performance.now();
  const r = await t.query(`
    SELECT read_file(filename=F, accessor='gzip', offset=O1, length=L1) AS A,
           read_file(filename=F, accessor='gzip', offset=O2, length=L2) AS B,
           read_file(filename=F, accessor='gzip', offset=O3, length=L3) AS C,
           read_file(filename=F, accessor='gzip', offset=O4, length=L4) AS D,
           read_file(filename=F, accessor='gzip', offset=Past, length=10) AS Past
    FROM scope()`, {
    F: gz, Past: size + 5,
    O1: offs[0], L1: Buffer.byteLength(bigLine(at[0]!)), O2: offs[1], L2: Buffer.byteLength(bigLine(at[1]!)),
    O3: offs[2], L3: Buffer.byteLength(bigLine(at[2]!)), O4: offs[3], L4: Buffer.byteLength(bigLine(at[3]!)),
  });
  ctx.diagnostic(`read_file at 5 offsets: ${(performance.now() - t2).toFixed(0)} ms`);
  assert.deepEqual(r.logs, []);
  assert.deepEqual(r.rows[0], { A: bigLine(at[0]!), B: bigLine(at[1]!), C: bigLine(at[2]!), D: bigLine(at[3]!), Past: '' });
});

test('gzip accessor: a truncated file keeps the lines before the damage and names the file', { skip }, async () => {
  const f = join(dir, 'trunc.gz');
  const { rows, logs } = await t.query(`SELECT Line FROM parse_lines(filename=F, accessor='gzip')`, { F: f });
  assert.ok(rows.length > TRUNC_LINES / 3 && rows.length < TRUNC_LINES, `${rows.length} lines`);
  assert.deepEqual(rows.slice(0, 3).map((r) => r.Line), [bigLine(0), bigLine(1), bigLine(2)]);
  // Every complete line before the damage is right.
  const n = rows.length - 2;
  assert.equal(rows[n]!.Line, bigLine(n));
  assert.equal(logs.length, 1, logs.join('\n'));
  assert.match(logs[0]!, /^warn: parse_lines: .*gzip accessor: .*trunc\.gz: the file is truncated/);
});

test('compress(): a round trip through the gunzip command; the opt-in rule; errors', { skip }, async () => {
  const src = join(dir, 'a');
  const { rows, logs } = await t.query(`
    LET D <= tempdir()
    SELECT compress(path=Src, output=D + '/a.gz') AS InTemp,
           compress(path=Src, output=Out) AS Outside,
           compress(path=D + '/nope', output=D + '/nope.gz') AS Missing
    FROM scope()`, { Src: src, Out: join(dir, 'outside.gz') });
  const r = rows[0] as Record<string, string | null>;
  assert.ok(r.InTemp?.endsWith('/a.gz'), String(r.InTemp));
  assert.equal(execFileSync('gunzip', ['-c', r.InTemp!]).toString(), 'first member\nline two\n');
  assert.equal(r.Outside, null);
  assert.equal(existsSync(join(dir, 'outside.gz')), false);
  assert.equal(r.Missing, null);
  assert.ok(!existsSync(r.InTemp!.replace(/a\.gz$/, 'nope.gz')), 'no output left for a missing source');
  assert.ok(logs.some((l) => l.startsWith('error: compress:') && l.includes('--allow-execve') && l.includes('outside.gz')), logs.join('\n'));
  assert.ok(logs.some((l) => l.startsWith('error: compress:') && l.includes('nope')), logs.join('\n'));

  // With the opt-in, anywhere; and the gzip accessor reads back what compress() wrote (50 MB).
  const on = testRun({ allowExecve: true });
  try {
    const out = join(dir, 'big-again.gz');
    const res = await on.query(`SELECT compress(path=Src, output=Out) AS C FROM scope()`, { Src: join(dir, 'big.log'), Out: out });
    assert.deepEqual(res.logs, []);
    assert.equal(res.rows[0]!.C, out);
    assert.ok(execFileSync('gunzip', ['-c', out], { maxBuffer: 2 ** 28 }).equals(readFileSync(join(dir, 'big.log'))));
  } finally {
    await on.close();
  }
});

test('gzip accessor: one reader, read forward, a step back (kept), far back (restart)', { skip }, async (ctx) => {
  const plain = readFileSync(join(dir, 'big.log'));
  const scope = { env: { registry: t.registry }, signal: new AbortController().signal } as unknown as Scope;
  const r = await gzipAccessor.open(join(dir, 'big.log.gz'), scope);
  try {
    assert.equal(r.size, null);
    const check = async (offset: number, length: number) => {
      const got = await r.read(offset, length);
      assert.ok(Buffer.from(got).equals(plain.subarray(offset, offset + length)), `bytes at ${offset}+${length}`);
    };
    await check(40_000_000, 5000);
    await check(40_001_000, 100); // inside what was read
    await check(39_000_000, 2 ** 20); // a step back: still kept
    await check(41_000_000, 3 * 2 ** 20);
    await check(10, 20); // far back: from the start again
    await check(plain.length - 7, 100); // the end: fewer bytes
    assert.equal((await r.read(plain.length, 10)).length, 0);
    // Sequential 1 MiB reads: the reader alone.
    const t0 = performance.now();
    let pos = 0;
    for (;;) {
      const b = await r.read(pos, 2 ** 20);
      if (!b.length) break;
      pos += b.length;
    }
    const ms = performance.now() - t0;
    assert.equal(pos, plain.length);
    ctx.diagnostic(`reader, 1 MiB reads: ${(pos / 1e6 / (ms / 1000)).toFixed(0)} MB/s`);
  } finally {
    await r.close();
  }
});
