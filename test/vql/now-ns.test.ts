// now(ns=TRUE): nanoseconds since the epoch (an int64), as the stateful shell artifacts use in
// `timestamp(epoch=now(ns=TRUE))`; now() alone stays whole seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collect, createRegistry, toJSON } from '../../main/vql/index.ts';

test('now(ns=TRUE) is nanoseconds, now() seconds, and timestamp() reads both', async () => {
  const logs: string[] = [];
  const before = BigInt(Date.now()) * 1_000_000n;
  const rows = await collect('SELECT now(ns=TRUE) AS Ns, now() AS S, timestamp(epoch=now(ns=TRUE)) AS T FROM scope()', {
    registry: createRegistry(), log: (l, m) => logs.push(`${l}: ${m}`),
  });
  const after = BigInt(Date.now() + 1) * 1_000_000n;
  assert.deepEqual(logs, []);
  const ns = rows[0]!.get('Ns');
  assert.equal(typeof ns, 'bigint');
  assert.ok((ns as bigint) >= before && (ns as bigint) <= after, `${ns} between ${before} and ${after}`);
  const s = rows[0]!.get('S') as number;
  assert.ok(Number.isInteger(s) && Math.abs(s - Number(before / 1_000_000_000n)) <= 1);
  const t = JSON.parse(toJSON(rows[0]!.get('T'))) as string;
  assert.ok(Math.abs(Date.parse(t) - Number(before / 1_000_000n)) < 60_000, t);
});
