// rand(): range, the 0 default, the bad-input cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { query } from './helpers.ts';

test('rand(range=N) gives integers in [0, N) that vary', async () => {
  const { rows, logs } = await query('SELECT rand(range=5) AS R FROM range(end=400)');
  assert.deepEqual(logs, []);
  const seen = new Set(rows.map((r) => r.R));
  for (const v of seen) assert.ok(Number.isInteger(v) && v >= 0 && v < 5, String(v));
  assert.equal(seen.size, 5, `all of 0..4 in 400 draws: ${[...seen]}`);
});

test('rand() and rand(range=0) are 0', async () => {
  const { rows } = await query('SELECT rand() AS A, rand(range=0) AS B FROM scope()');
  assert.deepEqual(rows, [{ A: 0, B: 0 }]);
});

test('rand(range=-1) logs an error naming the argument and gives NULL; a bad type gives false', async () => {
  const { rows, logs } = await query("SELECT rand(range=-1) AS A, rand(range='x') AS B FROM scope()");
  assert.equal(rows[0]!.A, null);
  assert.equal(rows[0]!.B, false);
  assert.ok(logs.some((l) => /^error: rand: .*range/.test(l)), logs.join('\n'));
});
