// Exports of a large table (main/tables/export.ts): a file written batch by batch waits for the
// stream to drain many times; each wait must leave no listener behind (a listener per wait
// piled up on the stream: Node's MaxListenersExceededWarning after ten), and the file is whole.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { bench } from './helpers.ts';

const b = bench();
after(() => b.dispose());

describe('large exports', () => {
  test('CSV and JSON lines of 60,000 rows: many drains, no MaxListenersExceededWarning, every row written', async () => {
    const rows = 60_000;
    const lines = ['id,text'];
    for (let i = 1; i <= rows; i++) lines.push(`${i},row ${i} ${'x'.repeat(100)}`);
    const t = await b.open(b.file('big.csv', lines.join('\n') + '\n'));
    assert.equal(t.state, 'ready', JSON.stringify(t.error));
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      for (const format of ['csv', 'jsonl'] as const) {
        const out = join(b.dir, `big-out.${format}`);
        const r = await t.exportTo({ id: t.id, format, path: out }, out);
        assert.equal(r.rows, rows);
        assert.equal(r.bytes, statSync(out).size);
        // Batches of about 2,048 rows of ~110 bytes: each is more than the stream's 16 KiB buffer, so each waits for a drain.
        assert.ok(r.bytes / (2048 * 110) > 20, `${r.bytes} bytes: enough batches to wait for more than ten drains`);
        const text = readFileSync(out, 'utf8');
        assert.equal(text.split('\n').filter(Boolean).length, format === 'csv' ? rows + 1 : rows);
      }
      // A warning is emitted on the next tick after the listener that exceeded the limit was added.
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepEqual(warnings.map((w) => `${w.name}: ${w.message}`), []);
    t.close();
  });
});
