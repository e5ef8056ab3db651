// generate(): one run of a query shared by its readers (Velociraptor's golden vector), names,
// delay, late readers, and stopping when the readers go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { query } from './helpers.ts';

test('generate(): Velociraptor\'s golden vector: two readers of one generator each see all rows', async () => {
  const { rows, logs } = await query(`LET Generator = generate(query={ SELECT * FROM range(start=0, end=10, step=1) }, delay=1)
SELECT * FROM combine( a={ SELECT format(format="%v/%s", args=[_value, "A"]) AS Query FROM Generator }, b={ SELECT format(format="%v/%s", args=[_value, "B"]) AS Query FROM Generator }) ORDER BY Query`);
  assert.deepEqual(logs, []);
  assert.deepEqual(rows.map((r) => r.Query), Array.from({ length: 10 }, (_, i) => [`${i}/A`, `${i}/B`]).flat());
});

test('generate(name=): readers of the same name share ONE run of the query', async () => {
  // A counter in a dict proves how many times the shared query ran.
  const { rows } = await query(`LET Counter <= dict(n=0)
    LET G = generate(name='shared', query={ SELECT set(item=Counter, field='n', value=Counter.n + 1) AS Ignored, _value FROM range(end=5) }, delay=50)
    SELECT * FROM combine(a={ SELECT format(format='a%v', args=_value) AS K FROM G }, b={ SELECT format(format='b%v', args=_value) AS K FROM G })
    ORDER BY K`);
  assert.deepEqual(rows.map((r) => r.K), ['a0', 'a1', 'a2', 'a3', 'a4', 'b0', 'b1', 'b2', 'b3', 'b4']);
  const { rows: count } = await query(`LET Counter <= dict(n=0)
    LET G = generate(name='shared', query={ SELECT set(item=Counter, field='n', value=Counter.n + 1) AS Ignored, _value FROM range(end=5) }, delay=50)
    LET _ <= SELECT * FROM combine(a={ SELECT * FROM G }, b={ SELECT * FROM G })
    SELECT Counter.n AS N FROM scope()`);
  assert.deepEqual(count, [{ N: 5 }], 'five rows made once, not twice');
});

test('generate(): without a name, each reference runs its own query; a reader with LIMIT stops early', async () => {
  const { rows, logs } = await query(`LET G = generate(query={ SELECT * FROM range(end=1000000) })
    SELECT * FROM G LIMIT 3`);
  assert.deepEqual(logs, []);
  assert.deepEqual(rows.map((r) => r._value), [0, 1, 2]);
});

test('generate(name=): once the shared query has ended the name is free: a later reader gets a fresh run', async () => {
  const { rows } = await query(`LET G = generate(name='once', query={ SELECT * FROM range(end=3) })
    LET First <= SELECT * FROM G
    LET Second <= SELECT * FROM G
    SELECT len(list=First) AS F, len(list=Second) AS S FROM scope()`);
  assert.deepEqual(rows, [{ F: 3, S: 3 }]);
});

test('generate(): a shared query that fails ends its readers, and the failure is in the log', async () => {
  const { rows, logs } = await query(`LET G = generate(query={ SELECT * FROM no_such_plugin() })
    SELECT * FROM combine(a={ SELECT * FROM G }, b={ SELECT * FROM G })`);
  assert.deepEqual(rows, []);
  assert.ok(logs.some((l) => l.includes('no_such_plugin')), logs.join('\n'));
});
