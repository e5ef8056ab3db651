// The memory limit (main/tables/engine.ts): the user's setting is for the process, and DuckDB's
// memory_limit covers only its buffer manager, so DuckDB gets the setting less a reserve (512 MiB
// or 15%, whichever is more; at least 128 MiB or a quarter). Peak RSS against the setting is
// measured by `npm run bench:tables -- --huge-gb 3 --memory-mb 1024` (numbers in engine.ts).
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { duckdbMemoryLimit, TableEngine } from '../../main/tables/engine.ts';

const MiB = 2 ** 20;
const dir = mkdtempSync(join(tmpdir(), 'vql-tables-memory-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('memory limit', () => {
  test('DuckDB gets the setting less a reserve for what its buffer manager does not count', async () => {
    assert.equal(duckdbMemoryLimit(1024 * MiB), 512 * MiB);
    assert.equal(duckdbMemoryLimit(768 * MiB), 256 * MiB);
    assert.equal(duckdbMemoryLimit(4096 * MiB), Math.floor(4096 * MiB * 0.85));
    assert.equal(duckdbMemoryLimit(300 * MiB), 128 * MiB);
    const engine = new TableEngine({ tempRoot: dir, memoryLimit: 1024 * MiB });
    try {
      const db = await engine.openDatabase();
      const conn = await db.connect();
      const setting = async (name: string) => (await conn.runAndReadAll(`SELECT current_setting('${name}')`)).getRowsJS()[0]![0];
      assert.equal(await setting('memory_limit'), '512.0 MiB');
      assert.equal(await setting('allocator_flush_threshold'), '16.0 MiB');
      conn.closeSync();
      // The setting itself is what the user set (TableInfo.memoryLimit shows it).
      assert.equal(engine.memoryLimit, 1024 * MiB);
    } finally {
      engine.dispose();
    }
  });
});
