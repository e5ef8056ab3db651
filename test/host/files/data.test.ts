import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandEnv } from '../../../main/host/files/data.ts';
import { query, value } from './query-runner.ts';

test('array, to_dict, items', async () => {
  assert.deepEqual(await value(`array(b=1, a=2)`), [1, 2]);
  assert.deepEqual(await value(`array(_=[1, 2], extra=3)`), [1, 2, 3]);
  assert.deepEqual(await value(`array(_={ SELECT _value FROM range(end=2) })`), [{ _value: 0 }, { _value: 1 }]);
  assert.deepEqual(await value(`to_dict(item={ SELECT format(format='k%v', args=_value) AS _key, _value FROM range(end=2) })`), { k0: 0, k1: 1 });
  assert.deepEqual(await value(`to_dict(item=dict(A=1))`), { A: 1 });
  assert.deepEqual(await value(`items(item=dict(X=1, Y='a'))`), [{ _key: 'X', _value: 1 }, { _key: 'Y', _value: 'a' }]);
  const { rows } = await query(`SELECT * FROM items(item=['a', 'b'])`);
  assert.deepEqual(rows, [{ _key: 0, _value: 'a' }, { _key: 1, _value: 'b' }]);
});

test('filter, all, any', async () => {
  assert.deepEqual(await value(`filter(list=(1, 'two', 3, '', 0), condition='x=>x')`), [1, 'two', 3]);
  assert.deepEqual(await value(`filter(list=(1, 'two', 3, '', 0), regex='.+')`), [1, 'two', 3, 0]);
  assert.deepEqual(await value(`filter(list={ SELECT _value AS V FROM range(end=5) }, condition='x=>x.V > 2')`), [{ V: 3 }, { V: 4 }]);
  assert.equal(await value(`all(items=('Hello', 'World'), regex='o')`), true);
  assert.equal(await value(`all(items=('Hello', 'World'), regex='H')`), false);
  assert.equal(await value(`all(items=[], regex='H')`), true);
  assert.equal(await value(`any(items=('Hello', 'World'), regex='^W')`), true);
  assert.equal(await value(`any(items={ SELECT * FROM range(end=3) }, filter='x=>x._value = 7')`), false);
  assert.equal(await value(`any(items=[])`), false);
});

test('set and expand', async () => {
  assert.deepEqual(await value(`set(item=dict(A=1, B=2), field='A', value=3)`), { A: 3, B: 2 });
  process.env.VQL_TEST_VAR = 'val';
  assert.equal(expandEnv('%VQL_TEST_VAR%/$VQL_TEST_VAR/${VQL_TEST_VAR}/%NOPE_X%/$NOPE_X.'), 'val/val/val/%NOPE_X%/.');
  assert.equal(await value(`expand(path='$VQL_TEST_VAR/x')`), 'val/x');
});

test('log: returns TRUE, formats, levels, dedup', async () => {
  const { rows, logs } = await query(`
    SELECT log(message='n=%v', args=_value, dedup=-1) AS A, log(message='same') AS B, log(message='warned', level='WARN') AS C
    FROM range(end=3)`);
  assert.deepEqual(rows.map((r) => r.A), [true, true, true]);
  assert.deepEqual(logs.filter((l) => l.includes('n=')), ['info: n=0', 'info: n=1', 'info: n=2']);
  assert.equal(logs.filter((l) => l.includes('same')).length, 1, 'repeats are suppressed for 60 seconds');
  assert.equal(logs.filter((l) => l.startsWith('warn: warned')).length, 1);
});

test('lru, memoize, cache', async () => {
  const { rows } = await query(`
    LET C <= lru(size=2)
    LET _ <= SELECT set(item=C, field=_value, value=_value * 10) FROM range(end=3)
    SELECT get(item=C, member='0') AS Gone, C.\`2\` AS Two FROM scope()`);
  assert.deepEqual(rows.at(-1), { Gone: null, Two: 20 });
  const { rows: m } = await query(`
    LET AllData <= SELECT 'A' AS Key, 'B' AS Value FROM scope()
    LET Mem <= memoize(query={ SELECT * FROM AllData }, key='Key')
    SELECT get(item=Mem, member='A') AS A, Mem.Nope AS N FROM scope()`);
  assert.deepEqual(m.at(-1), { A: { Key: 'A', Value: 'B' }, N: null });
  const { rows: c, logs } = await query(`
    LET _ <= cache(name='Once', lambda='x=>log(message="ran %v", args=x, dedup=-1) && (x + 5)')
    SELECT cache(name='Once', key=5) AS C5, cache(name='Once', key=5) AS C5b, cache(func=_value * 2, key=_value = 1) AS F FROM range(end=3)`);
  assert.deepEqual(c.map((r) => [r.C5, r.C5b, r.F]), [[10, 10, 0], [10, 10, 2], [10, 10, 0]]);
  assert.deepEqual(logs.filter((l) => l.includes('ran')), ['info: ran 5']);
});

test('switch, column_filter, batch', async () => {
  const { rows } = await query(`SELECT * FROM switch(b={ SELECT 1 AS X FROM scope() WHERE FALSE }, a={ SELECT 2 AS X FROM scope() }, c={ SELECT 3 AS X FROM scope() })`);
  assert.deepEqual(rows, [{ X: 2 }]);
  const { rows: cf } = await query(`SELECT * FROM column_filter(query={ SELECT 1 AS A, 2 AS B, 3 AS AB, 4 AS aa FROM scope() }, include='a', exclude='b')`);
  assert.deepEqual(cf, [{ A: 1, aa: 4 }]);
  const { rows: b } = await query(`SELECT len(list=rows) AS N FROM batch(query={ SELECT * FROM range(end=7) }, batch_size=3)`);
  assert.deepEqual(b.map((r) => r.N), [3, 3, 1]);
});

test('query(): VQL text in a fresh scope with env and copy_env (the caller\'s with inherit), stored queries, exit, timeouts', async () => {
  const { rows } = await query(`
    LET Outer = 'outer'
    LET Other = 'other'
    SELECT * FROM query(query="LET Y = X + 1 SELECT Outer, Other, X, Y FROM scope()", env=dict(X=1), copy_env='Other')`);
  assert.deepEqual(rows, [{ Outer: null, Other: 'other', X: 1, Y: 2 }], 'a fresh scope: only env and copy_env');
  const { rows: inherited } = await query(`
    LET Outer = 'outer'
    SELECT * FROM query(query="SELECT Outer FROM scope()", inherit=TRUE)`);
  assert.deepEqual(inherited, [{ Outer: 'outer' }]);
  const { rows: timed } = await query(`SELECT * FROM query(query="SELECT Unix FROM clock(ms=20)", timeout=1)`);
  assert.ok(timed.length > 0 && timed.length < 200, `rows until the timeout: ${timed.length}`);
  const { rows: stalled, logs: stallLogs } = await query(`SELECT * FROM query(query="SELECT * FROM clock(period=3600)", progress_timeout=0.2)`);
  assert.ok(stalled.length <= 1);
  assert.ok(stallLogs.some((l) => /progress_timeout/.test(l)), stallLogs.join('\n'));
  const { rows: runas, logs: runasLogs } = await query(`SELECT * FROM query(query="SELECT 1 FROM scope()", runas='admin')`);
  assert.deepEqual(runas, []);
  assert.ok(runasLogs.some((l) => /runas .*not supported/.test(l)));
  const { rows: e } = await query(`SELECT * FROM query(query={ SELECT _value AS V FROM range(end=100) }, exit='x=>x.V >= 3')`);
  assert.deepEqual(e, [{ V: 0 }, { V: 1 }, { V: 2 }]);
  const { rows: bad, logs } = await query(`SELECT * FROM query(query='SELECT FROM')`);
  assert.deepEqual(bad, []);
  assert.ok(logs.some((l) => l.startsWith('error: query')));
});

test('delay and combine', async () => {
  const start = Date.now();
  const { rows } = await query(`SELECT * FROM delay(query={ SELECT _value FROM range(end=3) }, delay=0.2)`);
  assert.deepEqual(rows.map((r) => r._value), [0, 1, 2]);
  const took = Date.now() - start;
  assert.ok(took >= 190 && took < 1000, `rows are held ~0.2 s each, concurrently (took ${took} ms)`);
  const { rows: c } = await query(`SELECT * FROM combine(a={ SELECT 'a' AS X FROM scope() }, b={ SELECT 'b' AS X FROM scope() }) ORDER BY X`);
  assert.deepEqual(c, [{ X: 'a' }, { X: 'b' }]);
  const { rows: l } = await query(`SELECT * FROM combine(a={ SELECT * FROM range(end=1000000) }) LIMIT 2`);
  assert.equal(l.length, 2);
});

test('sample: rows n, 2n, 3n...; n below 1 is an error', async () => {
  const { rows } = await query(`SELECT * FROM sample(query={ SELECT _value FROM range(start=1, end=11) }, n=3)`);
  assert.deepEqual(rows.map((r) => r._value), [3, 6, 9]);
  assert.deepEqual((await query(`SELECT * FROM sample(query={ SELECT _value FROM range(start=1, end=4) }, n=1)`)).rows.length, 3);
  const bad = await query(`SELECT * FROM sample(query={ SELECT 1 FROM scope() }, n=0)`);
  assert.deepEqual(bad.rows, []);
  assert.ok(bad.logs.some((l) => /sample: argument n: must be 1 or more/.test(l)), bad.logs.join('\n'));
});

test('dedup: a row whose key was seen within the timeout is dropped; keys compare by value; size bounds what is remembered', async () => {
  const rows = `foreach(row=[dict(A=1, B=1), dict(A=2, B=2), dict(A=1, B=3), dict(A=dict(x=1), B=4), dict(A=dict(x=1), B=5), dict(B=6), dict(B=7)])`;
  const kept = await query(`SELECT B FROM dedup(query={ SELECT * FROM ${rows} }, key='A')`);
  assert.deepEqual(kept.rows.map((r) => r.B), [1, 2, 4, 6]);
  // timeout=0: nothing is remembered.
  assert.deepEqual((await query(`SELECT B FROM dedup(query={ SELECT * FROM ${rows} }, key='A', timeout=0)`)).rows.length, 7);
  // size=1: A=2 pushes A=1 out, so the second A=1 passes.
  const small = await query(`SELECT B FROM dedup(query={ SELECT * FROM ${rows} }, key='A', size=1)`);
  assert.deepEqual(small.rows.map((r) => r.B), [1, 2, 3, 4, 6]);
});
