// A full temporary disk (issue 12, bad input): the engine's folder on a 50 MB tmpfs. A load
// whose table spills past it, and a copy read again that does not fit (a broken quote early in
// a large file), each fail with an error that says the temporary disk is full and what to do;
// the folder is cleaned and the next file opens. Needs root to mount a tmpfs: skipped otherwise.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableEngine } from '../../main/tables/engine.ts';
import { OpenTable } from '../../main/tables/table.ts';

const dir = mkdtempSync(join(tmpdir(), 'vql-tables-tmpfs-'));
const mnt = join(dir, 'tmpfs');
mkdirSync(mnt);

/** Mounts a 50 MB tmpfs on `mnt`; the reason it cannot, or null. */
function mount(): string | null {
  if (process.getuid?.() !== 0) return 'not root';
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=50m', 'tmpfs', mnt], { encoding: 'utf8' });
  return r.status === 0 ? null : `mount failed: ${(r.stderr || r.error?.message || '').trim()}`;
}
const cannot = mount();
if (cannot) console.log(`# temp-disk: a full temporary disk needs a small tmpfs (${cannot}): skipped`);

let engine: TableEngine;
let seq = 0;
const open = async (path: string) => {
  const t = await OpenTable.open(engine, `t${++seq}`, 'tmpfs', { kind: 'file', path }, [path], () => {});
  await t.loaded;
  await t.linted;
  return t;
};

async function writeLines(path: string, n: number, line: (i: number) => string): Promise<void> {
  const out = createWriteStream(path);
  let s = '';
  for (let i = 0; i <= n; i++) {
    s += line(i);
    if (s.length > 1 << 20) {
      if (!out.write(s)) await new Promise<void>((r) => out.once('drain', () => r()));
      s = '';
    }
  }
  await new Promise<void>((r) => out.end(s, () => r()));
}

describe('a full temporary disk', { skip: cannot ?? false }, () => {
  before(() => {
    engine = new TableEngine({ tempRoot: mnt, memoryLimit: 128 * 2 ** 20, threads: 2 });
  });
  after(() => {
    engine?.dispose();
    spawnSync('umount', [mnt]);
    rmSync(dir, { recursive: true, force: true });
  });

  async function stillWorks(): Promise<void> {
    const small = join(dir, `small-${seq}.csv`);
    writeFileSync(small, 'a,b\n1,2\n');
    const t = await open(small);
    assert.equal(t.state, 'ready', JSON.stringify(t.error));
    t.close();
    await t.loaded;
  }

  test('a table that spills past the disk: the temporary disk is full, what to do; the folder is cleaned', async () => {
    const big = join(dir, 'big.csv');
    // Random text: DuckDB compresses the table in memory, so its text must not compress (about 200 MB of it).
    const noise = Buffer.alloc(60 * 10_000);
    let text = '';
    await writeLines(big, 2_500_000, (i) => {
      if (i === 0) return 'id,text\n';
      const k = (i - 1) % 10_000;
      if (k === 0) text = randomFillSync(noise).toString('base64');
      return `${i},${text.slice(k * 80, k * 80 + 80)}\n`;
    });
    const t = await open(big);
    assert.equal(t.state, 'failed', `${t.rowCount} rows loaded in 128 MiB with a 50 MB temp disk`);
    assert.match(t.error!.message, /big\.csv: the temporary disk is full .*Free space in the temp folder or raise the memory limit/);
    assert.deepEqual(readdirSync(engine.folder), [], "the failed table's folder is gone");
    await stillWorks();
  });

  test('a copy read again that does not fit (a broken quote early in a large file): the temporary disk is full', async () => {
    const big = join(dir, 'quote.csv');
    await writeLines(big, 700_000, (i) => (i === 0 ? 'id,text\n' : i === 5 ? '5,"never closed\n' : `${i},row ${i} ${'q'.repeat(80)}\n`));
    const t = await open(big);
    assert.equal(t.state, 'failed');
    assert.match(t.error!.message, /quote\.csv: the temporary disk is full/);
    assert.deepEqual(readdirSync(engine.folder), []);
    await stillWorks();
  });
});
