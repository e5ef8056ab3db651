// rate(x=, y=): (x - x_prev) / (y - y_prev) per call site, NULL first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VFloat, toJSON } from '../../../main/vql/index.ts';
import { query } from './helpers.ts';

const SEQ = "[dict(X=0, Y=0), dict(X=10, Y=5), dict(X=30, Y=10), dict(X=30, Y=10), dict(X=31, Y=14)]";

test('rate() over a sequence: NULL first, then the slope since the previous row (floats)', async () => {
  const { rows, logs } = await query(`SELECT X, rate(x=X, y=Y) AS R FROM foreach(row=${SEQ})`);
  assert.deepEqual(logs, []);
  // Same y twice: NULL (no division by zero).
  assert.equal(toJSON(rows.map((r) => r.get('R'))), '[null,2,4,null,0.25]');
  assert.ok(rows[1]!.get('R') instanceof VFloat, 'an integral rate is still a float');
});

test('each call site keeps its own previous values; GROUP BY bins too', async () => {
  const { rows } = await query(`SELECT rate(x=X, y=Y) AS A, rate(x=X * 2, y=Y) AS B FROM foreach(row=${SEQ})`);
  assert.equal(toJSON(rows.map((r) => [r.get('A'), r.get('B')])), '[[null,null],[2,4],[4,8],[null,null],[0.25,0.5]]');
  const grouped = await query(
    "SELECT K, rate(x=X, y=Y) AS R FROM foreach(row=[dict(K='a', X=0, Y=0), dict(K='b', X=0, Y=0), dict(K='a', X=6, Y=2), dict(K='b', X=1, Y=4)]) GROUP BY K",
  );
  assert.equal(toJSON(grouped.rows), '[{"K":"a","R":3},{"K":"b","R":0.25}]');
});

test('rate() with a non-numeric argument is NULL with an error', async () => {
  const { rows, logs } = await query("SELECT rate(x='a', y=1) AS R FROM scope()");
  assert.equal(rows[0]!.get('R'), null);
  assert.match(logs.join('\n'), /rate.*expected a number/);
});
