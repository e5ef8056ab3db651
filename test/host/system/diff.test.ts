// diff(query=, key=, period=) over a query whose rows change between runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toJSON } from '../../../main/vql/index.ts';
import { query, systemRegistry } from './helpers.ts';

/** A registry with `items()`: its rows change with each run, as a directory listing would. */
function changingRegistry() {
  const runs = [
    [{ Name: 'a', Size: 1 }, { Name: 'b', Size: 2 }],
    [{ Name: 'a', Size: 1 }, { Name: 'b', Size: 2 }, { Name: 'c', Size: 3 }],
    [{ Name: 'a', Size: 10 }, { Name: 'c', Size: 3 }],
  ];
  let n = 0;
  const registry = systemRegistry().registerPlugin({
    name: 'items',
    doc: 'Test rows that change with each run',
    args: {},
    run: () => runs[Math.min(n++, runs.length - 1)]!,
  });
  return { registry, runs: () => n };
}

test('diff: the first run is the baseline; then new keys are added and vanished keys removed', async () => {
  const { registry, runs } = changingRegistry();
  const t0 = Date.now();
  const { rows, logs } = await query("SELECT * FROM diff(query={ SELECT * FROM items() }, key='Name', period=1) LIMIT 2", registry);
  assert.deepEqual(logs, []);
  // Run 2 adds c; run 3 removes b (a's Size changed, but its key did not).
  assert.equal(toJSON(rows), '[{"Name":"c","Size":3,"Diff":"added"},{"Name":"b","Size":2,"Diff":"removed"}]');
  assert.equal(runs(), 3);
  const elapsed = Date.now() - t0;
  assert.ok(elapsed >= 1900 && elapsed < 5000, `two periods of 1 s, took ${elapsed} ms`);
});

test('diff stops when the query is cancelled, between runs', async () => {
  const { registry, runs } = changingRegistry();
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 300);
  const t0 = Date.now();
  const { rows } = await query("SELECT * FROM diff(query={ SELECT * FROM items() }, key='Name', period=60)", registry, ac.signal);
  assert.deepEqual(rows, []);
  assert.equal(runs(), 1);
  assert.ok(Date.now() - t0 < 2000);
});

test('diff needs query and key', async () => {
  const { rows, logs } = await query("SELECT * FROM diff(key='Name')");
  assert.deepEqual(rows, []);
  assert.match(logs.join('\n'), /missing required argument `query`/);
});
