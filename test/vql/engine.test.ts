// The library API end to end: registering plugins and functions, errors, streaming and
// cancellation, time builtins. Everything runs the real engine; no mocks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  collect, createRegistry, run, runBatches, toJSON, Session, parseScript, VDict, VTime,
  type LogLevel, type Registry,
} from '../../main/vql/index.ts';

function logger() {
  const lines: string[] = [];
  return { lines, log: (level: LogLevel, m: string) => lines.push(`${level}: ${m}`) };
}

async function rowsOf(query: string, opts: Parameters<typeof collect>[1] = {}): Promise<string> {
  return toJSON(await collect(query, opts));
}

test('registering a plugin and a function through the public API', async () => {
  const registry = createRegistry();
  registry.registerPlugin({
    name: 'greet',
    doc: 'Greets people',
    args: { names: { type: 'strings', required: true, doc: 'Who to greet' } },
    *run({ args }) {
      for (const n of args.names as string[]) yield { Name: n, Greeting: `hello ${n}` };
    },
  });
  registry.registerFunction({
    name: 'shout',
    doc: 'Upper-cases a string',
    args: { s: { type: 'string', required: true, doc: 'Text' } },
    run: ({ args }) => (args.s as string).toUpperCase(),
  });
  const out = await rowsOf("SELECT Name, shout(s=Greeting) AS Loud FROM greet(names=['ann', 'bob'])", { registry });
  assert.equal(out, '[{"Name":"ann","Loud":"HELLO ANN"},{"Name":"bob","Loud":"HELLO BOB"}]');
});

test('unknown and missing arguments are errors that name the callee and suggest', async () => {
  const { lines, log } = logger();
  const out = await rowsOf("SELECT format(fromat='%v', args=1) AS X FROM scope()", { log });
  assert.equal(out, '[{"X":false}]'); // format() returns false on an argument error (SPEC 7.2)
  assert.match(lines.join('\n'), /function format\(\): unknown argument `fromat` - did you mean `format`\?/);

  const l2 = logger();
  assert.equal(await rowsOf('SELECT * FROM range(ned=3)', { log: l2.log }), '[]');
  assert.match(l2.lines.join('\n'), /plugin range\(\): unknown argument `ned` - did you mean `end`\?/);

  const l3 = logger();
  await rowsOf('SELECT * FROM range(start=1)', { log: l3.log });
  assert.match(l3.lines.join('\n'), /plugin range\(\): missing required argument `end`/);

  const l4 = logger();
  await rowsOf('SELECT * FROM rnage(end=3)', { log: l4.log });
  assert.match(l4.lines.join('\n'), /Plugin rnage not found - did you mean `range`\?/);

  const l5 = logger();
  await rowsOf('SELECT * FROM format(format="x")', { log: l5.log });
  assert.match(l5.lines.join('\n'), /There is also a function called `format`/);
});

test('a runtime type error gives null, warns once per expression, and never throws', async () => {
  const { lines, log } = logger();
  assert.equal(
    await rowsOf("SELECT 1 + 'a' AS X, 'a' * 'b' AS Y, (1, 2)[NULL] AS Z, _value / 0 AS D FROM range(end=3)", { log }),
    '[{"X":null,"Y":null,"Z":null,"D":null},{"X":null,"Y":null,"Z":null,"D":null},{"X":null,"Y":null,"Z":null,"D":null}]',
  );
  assert.deepEqual(lines, [
    "warn: 1 + 'a' is NULL: unsupported operand types int + string (reported once per expression)",
    "warn: 'a' * 'b' is NULL: unsupported operand types string * string (reported once per expression)",
    'warn: _value / 0 is NULL: division by zero (reported once per expression)',
  ]);
});

test('a plugin that throws ends its query with an error naming the plugin; later statements run', async () => {
  const registry = createRegistry();
  registry.registerPlugin({
    name: 'explode',
    doc: 'Fails after one row',
    args: {},
    *run() {
      yield { A: 1 };
      throw new Error('disk on fire');
    },
  });
  const { lines, log } = logger();
  const out = await rowsOf('SELECT * FROM explode() SELECT 2 AS B FROM scope()', { registry, log });
  assert.equal(out, '[{"A":1},{"B":2}]');
  assert.match(lines.join('\n'), /error: plugin explode\(\): disk on fire/);
});

test('a function that throws gives null and logs its name', async () => {
  const registry = createRegistry();
  registry.registerFunction({ name: 'bad', doc: '', args: {}, run: () => { throw new Error('nope'); } });
  const { lines, log } = logger();
  assert.equal(await rowsOf('SELECT bad() AS X FROM scope()', { registry, log }), '[{"X":null}]');
  assert.match(lines.join('\n'), /bad\(\): nope/);
});

test('self-referencing definitions hit the recursion guard instead of crashing', async () => {
  const { lines, log } = logger();
  assert.equal(await rowsOf('LET X = 1 + X SELECT X FROM scope()', { log }), '[{"X":null}]');
  assert.match(lines.join('\n'), /Stack overflow/);
});

/** A plugin that counts how many rows it produced and whether it was closed. */
function countingRegistry(): { registry: Registry; stats: { produced: number; closed: number } } {
  const stats = { produced: 0, closed: 0 };
  const registry = createRegistry();
  registry.registerPlugin({
    name: 'counting',
    doc: 'Counts forever',
    args: {},
    *run() {
      try {
        for (;;) yield { N: ++stats.produced };
      } finally {
        stats.closed++;
      }
    },
  });
  registry.registerPlugin({
    name: 'slow',
    doc: 'A row every 5 ms, forever',
    args: {},
    async *run({ signal }) {
      try {
        while (!signal.aborted) {
          await new Promise((r) => setTimeout(r, 5));
          yield { N: ++stats.produced };
        }
      } finally {
        stats.closed++;
      }
    },
  });
  return { registry, stats };
}

test('LIMIT stops an endless plugin without computing ahead', async () => {
  const { registry, stats } = countingRegistry();
  assert.equal(await rowsOf('SELECT N FROM counting() LIMIT 5', { registry }), '[{"N":1},{"N":2},{"N":3},{"N":4},{"N":5}]');
  assert.equal(stats.produced, 5, 'no row beyond the LIMIT was produced');
  assert.equal(stats.closed, 1, 'the plugin was closed');
});

test('LIMIT cancels every plugin in a foreach chain', { timeout: 10_000 }, async () => {
  const { registry, stats } = countingRegistry();
  const out = await collect('SELECT * FROM foreach(row={ SELECT N FROM slow() }, query={ SELECT N, _value FROM range(end=2) }) LIMIT 3', { registry });
  assert.equal(out.length, 3);
  assert.equal(stats.closed, 1);
  const before = stats.produced;
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(stats.produced, before, 'nothing runs after the query ended');
});

test('aborting the signal stops an endless clock query promptly', { timeout: 10_000 }, async () => {
  const controller = new AbortController();
  const started = Date.now();
  setTimeout(() => controller.abort(), 100);
  let rows = 0;
  for await (const batch of runBatches('SELECT * FROM clock(period=60)', { signal: controller.signal })) rows += batch.length;
  assert.equal(rows, 0);
  assert.ok(Date.now() - started < 5_000, 'ended long before the next 60 s tick');
});

test('aborting stops a nested foreach over an async plugin and closes it', { timeout: 10_000 }, async () => {
  const { registry, stats } = countingRegistry();
  const controller = new AbortController();
  let rows = 0;
  for await (const batch of runBatches('SELECT * FROM foreach(row={ SELECT N FROM slow() }, query={ SELECT N FROM scope() })', { registry, signal: controller.signal })) {
    rows += batch.length;
    if (rows >= 3) controller.abort();
  }
  assert.ok(rows >= 3);
  assert.equal(stats.closed, 1);
});

test('an endless query runs in constant memory', { timeout: 60_000 }, async () => {
  const { registry } = countingRegistry();
  let rows = 0;
  let heapAt1M = 0;
  for await (const batch of runBatches("SELECT N, format(format='n=%v', args=N) AS Text FROM counting() WHERE N > 0", { registry })) {
    rows += batch.length;
    if (rows >= 1_000_000 && heapAt1M === 0) heapAt1M = process.memoryUsage().heapUsed;
    if (rows >= 3_000_000) break;
  }
  const growth = process.memoryUsage().heapUsed - heapAt1M;
  // Buffering 2M more rows would take hundreds of MB; streaming stays flat.
  assert.ok(growth < 64 * 1024 * 1024, `heap grew ${(growth / 1048576).toFixed(1)} MB over 2M rows`);
});

test('foreach with workers returns every row', async () => {
  const out = await collect('SELECT * FROM foreach(row={ SELECT * FROM range(end=1000) }, query={ SELECT _value * 2 AS D FROM scope() }, workers=7)');
  assert.equal(out.length, 1000);
  const sum = out.reduce((a, r) => a + (r.get('D') as number), 0);
  assert.equal(sum, 999 * 1000);
});

test('async workers really run concurrently', { timeout: 10_000 }, async () => {
  const t0 = Date.now();
  const out = await collect('SELECT * FROM foreach(row={ SELECT * FROM range(end=10) }, query={ SELECT sleep(ms=200) AS Slept FROM scope() }, workers=10)');
  assert.equal(out.length, 10);
  assert.ok(Date.now() - t0 < 1500, 'ten 200 ms sleeps overlapped');
});

test('clock rows carry the time members event artifacts use', { timeout: 10_000 }, async () => {
  const before = Date.now();
  const [row] = await collect('SELECT Unix, UnixNano, UnixMilli, String, Year FROM clock(ms=20) LIMIT 1');
  assert.ok(row);
  const unix = row.get('Unix') as number;
  assert.ok(Math.abs(unix * 1000 - before) < 5000);
  assert.equal(typeof row.get('UnixNano'), 'bigint', 'nanoseconds exceed 2^53: an exact int64');
  assert.ok(Math.abs((row.get('UnixMilli') as number) - before) < 5000);
  assert.match(row.get('String') as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  assert.equal(row.get('Year'), new Date().getUTCFullYear());
});

test('clock(start=) emits at the start time first', { timeout: 10_000 }, async () => {
  const start = Math.floor(Date.now() / 1000);
  const rows = await collect(`SELECT Unix FROM clock(start=${start}, period=3600) LIMIT 1`);
  assert.equal(rows.length, 1);
  assert.ok((rows[0]!.get('Unix') as number) >= start);
});

test('timestamp(), now() and sleep()', async () => {
  const [r] = await collect("SELECT timestamp(epoch=1723428985) AS T, timestamp(epoch='2024-08-12T02:16:25Z') AS S, timestamp(winfiletime=133679025850000000) AS W, now() AS N, sleep(ms=1) AS Slept FROM scope()");
  assert.ok(r);
  assert.ok(r.get('T') instanceof VTime);
  assert.equal(toJSON(r.get('T')), '"2024-08-12T02:16:25Z"');
  assert.equal(toJSON(r.get('S')), '"2024-08-12T02:16:25Z"');
  assert.equal(toJSON(r.get('W')), '"2024-08-12T02:16:25Z"');
  assert.ok(Math.abs((r.get('N') as number) - Date.now() / 1000) < 5);
  assert.equal(r.get('Slept'), true);
});

test('a session keeps LET bindings and aggregate state across statements', async () => {
  const session = new Session({ registry: createRegistry(), vars: { Greeting: 'hi' } });
  const script = parseScript('LET X = SELECT count() AS C FROM range(end=3) SELECT * FROM X SELECT * FROM X SELECT Greeting FROM scope()');
  const results: string[] = [];
  for (const st of script.statements) {
    const rows: unknown[] = [];
    for await (const b of session.execute(st)) rows.push(...b);
    results.push(toJSON(rows));
  }
  // Running a stored query again keeps counting (SPEC 11.1).
  assert.deepEqual(results, ['[]', '[{"C":1},{"C":2},{"C":3}]', '[{"C":4},{"C":5},{"C":6}]', '[{"Greeting":"hi"}]']);
});

test('run() yields ordered dict rows', async () => {
  const rows: VDict[] = [];
  for await (const r of run('SELECT 2 AS B, 1 AS A FROM scope()')) rows.push(r);
  assert.deepEqual(rows[0]!.keys(), ['B', 'A']);
});

test('EXPLAIN traces rows but does not change them', async () => {
  const { lines, log } = logger();
  assert.equal(await rowsOf('EXPLAIN SELECT _value AS X FROM range(end=3) WHERE X > 0', { log }), '[{"X":1},{"X":2}]');
  const text = lines.join('\n');
  assert.match(text, /EXPLAIN: running SELECT _value AS X FROM range\(end=3\) WHERE X > 0/);
  assert.match(text, /EXPLAIN: rejected by WHERE/);
  assert.match(text, /EXPLAIN: emit \{"X":2\}/);
});

test('GROUP BY with aggregates, ORDER BY DESC and LIMIT', async () => {
  // `%` lexes but has no grammar use (SPEC 3.3): a parse error, raised before anything runs.
  await assert.rejects(collect('SELECT _value % 3 AS K FROM range(end=10)'), { code: 'ParseError' });
  assert.equal(
    await rowsOf('SELECT _value > 4 AS High, count() AS C, sum(item=_value) AS S FROM range(end=10) GROUP BY High ORDER BY S DESC LIMIT 1'),
    '[{"High":true,"C":5,"S":35}]',
  );
});
