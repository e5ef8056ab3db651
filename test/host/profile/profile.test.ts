// profile(): each argument that changes what comes out, on this process itself. File profiles are
// parsed as the tools that open them would (heap snapshot meta, CPU profile nodes, trace events,
// sampling heap profile); logs and queries are checked against what the test ran; metrics against
// what Node reports for the same process; the files go when the run ends.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { collect, createRegistry, toJSON } from '../../../main/vql/index.ts';
import { registerCollect } from '../../../main/host/collect/index.ts';
import { registerProfile } from '../../../main/host/profile/index.ts';
import { profileRun, errors, type Row } from './helpers.ts';

const run = profileRun();
after(() => run.close());

const line = (r: Row) => r.Line as Row;

test('heap=TRUE writes a V8 heap snapshot (JSON with its meta) and logs its size', async () => {
  const { rows, logs } = await run.query('SELECT * FROM profile(heap=TRUE)');
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.Type, 'heap');
  const path = rows[0]!.OSPath as string;
  assert.match(path, /\.heapsnapshot$/);
  assert.ok(path.startsWith(run.files.tempDir), 'in the run\'s temp folder');
  const snap = JSON.parse(readFileSync(path, 'utf8')) as { snapshot: { meta: { node_fields: string[] }; node_count: number } };
  assert.ok(snap.snapshot.meta.node_fields.includes('self_size'));
  assert.ok(snap.snapshot.node_count > 1000);
  assert.ok(logs.some((l) => /^info: profile: heap: wrote a [\d.]+ MB V8 heap snapshot/.test(l)), logs.join('\n'));
});

test('profile=TRUE writes a V8 CPU profile lasting `duration` seconds', async () => {
  const { rows, logs } = await run.query('SELECT * FROM profile(profile=TRUE, duration=1)');
  assert.deepEqual(errors(logs), []);
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.Type, 'profile');
  const p = JSON.parse(readFileSync(rows[0]!.OSPath as string, 'utf8')) as { nodes: Array<{ callFrame: { functionName: string } }>; startTime: number; endTime: number };
  assert.ok(p.nodes.length > 0);
  assert.equal(p.nodes[0]!.callFrame.functionName, '(root)');
  // Microseconds: it ran (at least) the second asked for; the default would be 30.
  const seconds = (p.endTime - p.startTime) / 1e6;
  assert.ok(seconds >= 0.9 && seconds < 30, `profiled ${seconds} s`);
});

test('a cancelled CPU profile ends early, without a row or an error', { timeout: 120_000 }, async () => {
  const controller = new AbortController();
  const pending = run.query('SELECT * FROM profile(profile=TRUE, duration=600)', controller.signal);
  setTimeout(() => controller.abort(), 200);
  const { rows, logs } = await pending;
  assert.deepEqual(rows, []);
  assert.deepEqual(errors(logs), []);
});

test('trace=TRUE writes Chrome trace events over `duration`', async () => {
  const { rows, logs } = await run.query('SELECT * FROM profile(trace=TRUE, duration=1)');
  assert.deepEqual(errors(logs), []);
  assert.equal(rows[0]!.Type, 'trace');
  const t = JSON.parse(readFileSync(rows[0]!.OSPath as string, 'utf8')) as { traceEvents: Array<{ ph: string; cat: string }> };
  assert.ok(t.traceEvents.length > 0);
  assert.ok(t.traceEvents.every((e) => typeof e.ph === 'string' && typeof e.cat === 'string'));
});

test('allocs=TRUE writes a V8 sampling heap profile of the allocations made meanwhile', async () => {
  const keep: unknown[] = [];
  const timer = setInterval(() => {
    for (let i = 0; i < 20_000; i++) keep.push({ i, s: `x${i}` });
  }, 10);
  try {
    const { rows, logs } = await run.query('SELECT * FROM profile(allocs=TRUE)');
    assert.deepEqual(errors(logs), []);
    assert.equal(rows[0]!.Type, 'allocs');
    assert.match(rows[0]!.OSPath as string, /\.heapprofile$/);
    const p = JSON.parse(readFileSync(rows[0]!.OSPath as string, 'utf8')) as { head: { callFrame: { functionName: string } }; samples: unknown[] };
    assert.equal(p.head.callFrame.functionName, '(root)');
    assert.ok(p.samples.length > 0);
  } finally {
    clearInterval(timer);
  }
});

test('goroutine=TRUE dumps the running queries, resources and stack; debug=2 prints whole query texts', async () => {
  const long = 'x'.repeat(400);
  const q = (debug: number) => `SELECT * FROM profile(goroutine=TRUE, debug=${debug}) WHERE '${long}END'`;
  const short = await run.query(q(1));
  assert.equal(short.rows[0]!.Type, 'goroutine');
  const text1 = readFileSync(short.rows[0]!.OSPath as string, 'utf8');
  assert.match(text1, /running queries: 1\nquery 1 \[running [\d.]+ s, since /);
  assert.match(text1, /SELECT \* FROM profile\(goroutine=TRUE, debug=1\)/);
  assert.ok(!text1.includes(`${long}END`), 'debug=1 shortens the query');
  assert.match(text1, /active resources: \d+/);
  assert.match(text1, /stack of the main thread \(in profile\(\)\):\n {4}goroutineDump \(/);
  const full = await run.query(q(2));
  assert.ok(readFileSync(full.rows[0]!.OSPath as string, 'utf8').includes(`${long}END`), 'debug=2 prints all of it');
});

test('block and mutex have no Node.js counterpart: no row, one log line each saying so', async () => {
  const { rows, logs } = await run.query('SELECT * FROM profile(block=TRUE, mutex=TRUE)');
  assert.deepEqual(rows, []);
  assert.equal(logs.length, 2, logs.join('\n'));
  assert.match(logs[0]!, /^info: profile: block: Go's blocking profile has no Node\.js counterpart/);
  assert.match(logs[1]!, /^info: profile: mutex: Go's mutex contention profile has no Node\.js counterpart/);
});

test('logs=TRUE lists the recent log lines of the engine\'s queries', async () => {
  await run.query("SELECT log(message='profile-test-marker %v', args=42) FROM scope()");
  const { rows } = await run.query('SELECT * FROM profile(logs=TRUE)');
  assert.ok(rows.every((r) => r.Type === 'logs' && typeof r.Line === 'string'));
  const mine = rows.find((r) => String(r.Line).includes('profile-test-marker 42'));
  assert.ok(mine, rows.map((r) => r.Line).join('\n'));
  assert.match(String(mine.Line), /^\[INFO\] \d{4}-\d\d-\d\dT[\d:.]+Z profile-test-marker 42$/);
});

test('queries=TRUE lists the finished queries with a Duration and the running one (itself) without', async () => {
  await run.query("SELECT 'finished-marker' FROM scope()");
  const { rows } = await run.query('SELECT * FROM profile(queries=TRUE)');
  assert.ok(rows.every((r) => r.Type === 'queries'));
  const done = rows.find((r) => String(line(r).Query).includes('finished-marker'));
  assert.ok(done);
  assert.ok((line(done).Duration as number) > 0);
  assert.match(String(line(done).Start), /^\d{4}-\d\d-\d\dT/);
  const running = rows.filter((r) => line(r).Duration === 0);
  assert.deepEqual(running.map((r) => line(r).Query), ['SELECT * FROM profile(queries=TRUE)']);
  // As the artifact's RunningQueries source asks.
  const viaArtifact = await run.query('SELECT Line.Start AS Timestamp, Line.Query AS Query FROM profile(queries=TRUE) WHERE NOT Line.Duration');
  assert.equal(viaArtifact.rows.length, 1);
  assert.match(String(viaArtifact.rows[0]!.Query), /WHERE NOT Line\.Duration$/);
});

test('metrics=TRUE gives one {name, value} row per process metric, as Node sees them', async () => {
  const { rows } = await run.query('SELECT * FROM profile(metrics=TRUE)');
  assert.ok(rows.every((r) => r.Type === 'metrics' && typeof line(r).name === 'string' && typeof line(r).value === 'number'));
  const m = new Map(rows.map((r) => [line(r).name as string, line(r).value as number]));
  assert.equal(m.size, rows.length, 'names are unique');
  assert.equal(m.get('nodejs_heap_size_limit_bytes'), getHeapStatistics().heap_size_limit);
  assert.ok(m.get('process_resident_memory_bytes')! > m.get('nodejs_heap_size_used_bytes')!);
  assert.ok(m.get('process_uptime_seconds')! > 0);
  assert.ok(m.get('nodejs_eventloop_lag_seconds')! >= 0);
  assert.ok(m.get('vql_queries_running')! >= 1, 'this query runs');
  for (const name of ['process_cpu_user_seconds_total', 'nodejs_eventloop_utilization', 'nodejs_active_resources_total', 'vql_queries_total']) {
    assert.ok(m.has(name), name);
  }
  if (process.platform === 'linux') assert.ok(m.get('process_open_fds')! > 2);
});

test('type=REGEX adds the snapshot profiles whose names match; a bad regex is an error naming type', async () => {
  const some = await run.query("SELECT * FROM profile(type='^(met|que)')");
  assert.deepEqual([...new Set(some.rows.map((r) => r.Type))], ['queries', 'metrics']);
  const all = await run.query("SELECT * FROM profile(type='.+')");
  assert.deepEqual([...new Set(all.rows.map((r) => r.Type))].sort(), ['goroutine', 'logs', 'metrics', 'queries']);
  const both = await run.query("SELECT Type FROM profile(type='metrics', block=TRUE, heap=FALSE) GROUP BY Type");
  assert.deepEqual(both.rows.map((r) => r.Type), ['metrics']);
  const bad = await run.query("SELECT * FROM profile(type='(')");
  assert.deepEqual(bad.rows, []);
  assert.equal(bad.logs.length, 1);
  assert.match(bad.logs[0]!, /^error: profile: type: invalid regex "\(": /);
});

test('no argument: no row', async () => {
  const { rows, logs } = await run.query('SELECT * FROM profile()');
  assert.deepEqual(rows, []);
  assert.deepEqual(logs, []);
});

test('the profile files go with the run\'s temp folder when the run ends', async () => {
  const own = profileRun();
  const { rows } = await own.query('SELECT * FROM profile(goroutine=TRUE)');
  const path = rows[0]!.OSPath as string;
  assert.ok(existsSync(path));
  assert.deepEqual(readdirSync(own.files.tempDir).length, 1);
  await own.close();
  assert.ok(!existsSync(path));
  assert.ok(!existsSync(own.files.tempDir));
});

test('a profile that cannot be written is an error naming it; the next profiles still come', async () => {
  const registry = createRegistry();
  // The run's temp folder would be inside a file: it cannot be made.
  const blocker = join(tmpdir(), `vql-profile-blocker-${process.pid}`);
  writeFileSync(blocker, '');
  try {
    registerCollect(registry, { files: { tempDir: join(blocker, 'temp'), uploadDir: null } });
    registerProfile(registry, {});
    const logs: string[] = [];
    const rows = JSON.parse(toJSON(await collect('SELECT * FROM profile(goroutine=TRUE, heap=TRUE, metrics=TRUE)', { registry, log: (l, m) => logs.push(`${l}: ${m}`) }))) as Row[];
    assert.deepEqual([...new Set(rows.map((r) => r.Type))], ['metrics']);
    assert.equal(errors(logs).length, 2, logs.join('\n'));
    assert.match(errors(logs)[0]!, /^error: profile: goroutine: .*ENOTDIR/);
    assert.match(errors(logs)[1]!, /^error: profile: heap: .*ENOTDIR/);
  } finally {
    rmSync(blocker, { force: true });
  }
});
