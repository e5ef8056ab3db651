// Bad input (issue: a file that is not what its extension says, a truncated gzip, a very long
// line, NUL bytes, a file that grows while it is read) and cancellation: each
// is a clear problem or error naming the file, the engine stays usable, nothing is written next
// to the evidence.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, createWriteStream, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { bench } from './helpers.ts';
import { OpenTable } from '../../main/tables/table.ts';
import { MAX_LINE_BYTES } from '../../main/tables/load.ts';

const b = bench();
after(() => b.dispose());

/** A small file still opens afterwards: the engine is alive. */
async function stillWorks(): Promise<void> {
  const t = await b.open(b.file(`ok-${Math.random()}.csv`, 'a\n1\n'));
  assert.equal(t.state, 'ready');
  t.close();
}

async function writeRows(path: string, rows: number, row: (i: number) => string): Promise<void> {
  const out = createWriteStream(path);
  let s = '';
  for (let i = 0; i < rows; i++) {
    s += row(i);
    if (s.length > 1 << 20) {
      if (!out.write(s)) await new Promise<void>((r) => out.once('drain', () => r()));
      s = '';
    }
  }
  await new Promise<void>((r) => out.end(s, () => r()));
}

describe('bad input', () => {
  test('a truncated gzip: a clear error naming the file', async () => {
    const whole = gzipSync(Buffer.from('a,b\n' + Array.from({ length: 20000 }, (_, i) => `${i},row ${i}`).join('\n')));
    const p = b.file('cut.csv.gz', whole.subarray(0, Math.floor(whole.length / 2)));
    const t = await b.open(p);
    assert.equal(t.state, 'failed');
    assert.match(t.error!.message, /cut\.csv\.gz/);
    assert.match(t.error!.message, /gzip|truncated|compress/i);
    await stillWorks();
  });

  test('a file that is not what its name says', async () => {
    const pq = b.file('fake.parquet', Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(100, 7)]));
    const t = await b.open(pq);
    assert.equal(t.state, 'failed');
    assert.match(t.error!.message, /fake\.parquet.*(Parquet|parquet)/);
    const bin = Buffer.alloc(5000);
    for (let i = 0; i < bin.length; i++) bin[i] = (i * 131 + 7) % 256;
    const t2 = await b.open(b.file('binary.csv', bin));
    assert.ok(t2.state === 'failed' ? /binary\.csv/.test(t2.error!.message) : t2.problems.length > 0 || t2.rowCount >= 0);
    const j = await b.open(b.file('broken.json', '[{"a":1},{"a":'));
    assert.equal(j.state, 'failed');
    assert.match(j.error!.message, /broken\.json/);
    await stillWorks();
  });

  test('NUL bytes in a CSV: the rows load', async () => {
    const t = await b.open(b.file('nul.csv', Buffer.from('a,b\n1,x\u0000y\n2,z\n', 'latin1')));
    assert.equal(t.state, 'ready', JSON.stringify(t.error));
    assert.equal(t.rowCount + t.problems.length >= 2, true);
  });

  test('a line longer than the limit is a problem row, its text kept (cut to 64 KiB)', async () => {
    const long = 'x'.repeat(MAX_LINE_BYTES + 1024);
    const lines = ['a,b'];
    for (let i = 1; i <= 2000; i++) lines.push(i === 1000 ? `1000,${long}` : `${i},v${i}`);
    const t = await b.open(b.file('long.csv', lines.join('\n') + '\n'));
    assert.equal(t.state, 'ready', JSON.stringify(t.error));
    assert.deepEqual(t.problems.map((x) => [x.line, x.row]), [[1001, 1000]]);
    assert.match(t.problems[0]!.reason, /longer than/);
    const w = await t.window({ offset: 999, limit: 1, columns: ['_raw'] });
    assert.equal(String(w.cells[0]![0]).length, 64 * 1024);
    assert.equal(t.rowCount, 2000);
  });

  test('a file that grows while it is read loads what was there', async () => {
    const p = join(b.dir, 'src', 'grows.csv');
    await writeRows(p, 400_000, (i) => (i === 0 ? 'n,s\n' : `${i},row ${i}\n`));
    const t = await OpenTable.open(b.engine, 'grow', 'grows', { kind: 'file', path: p }, [p], () => {});
    for (let i = 0; i < 20; i++) appendFileSync(p, `${400_000 + i},late\n`);
    await t.loaded;
    assert.equal(t.state, 'ready', JSON.stringify(t.error));
    assert.ok(t.rowCount >= 399_999);
    t.close();
  });
});

describe('cancel', () => {
  test('cancelling a load interrupts it, drops its database, and says so', async () => {
    const p = join(b.dir, 'src', 'cancel.csv');
    await writeRows(p, 1_000_000, (i) => (i === 0 ? 'n,s\n' : `${i},row ${i}\n`));
    const before = readdirSync(b.engine.folder).length;
    let last = '';
    const t = await OpenTable.open(b.engine, 'c', 'cancel', { kind: 'file', path: p }, [p], (_ph, _f, _r, info) => {
      if (info) last = info.state;
    });
    t.cancel();
    await t.loaded;
    // Cancelled while loading, or it finished first on a fast machine: then it is simply ready.
    assert.ok(t.state === 'cancelled' || t.state === 'ready', t.state);
    if (t.state === 'cancelled') {
      assert.equal(last, 'cancelled');
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(readdirSync(b.engine.folder).length, before, 'its folder is gone');
    }
    t.close();
  });
});
