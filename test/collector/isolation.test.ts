// Event queries on worker threads of their own: one stuck in a synchronous step (a real busy
// loop, from test/helpers/stall-plugins.ts, loaded into the workers' engines) or out of memory
// does not stall the others nor the collector's timers; its worker is terminated, the log says
// which limit fired, and the query restarts. Rows crossing the thread are written exactly as on
// the collector's own thread. Real files, real workers, real clocks; the test waits for rows
// and log lines, never for fixed times.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Collector } from '../../main/collector/collector.ts';
import { toJSON } from '../../main/vql/index.ts';
import type { MonitorLogEntry } from '../../main/collector/monitor-log.ts';

const STALL_PLUGINS = fileURLToPath(new URL('../helpers/stall-plugins.ts', import.meta.url));

const CLOCK = `name: Test.Clock
type: CLIENT_EVENT
sources:
  - query: SELECT Unix, "tick" AS Kind FROM clock(ms=10)
`;
const STUCK = `name: Test.Stuck
type: CLIENT_EVENT
sources:
  - query: SELECT * FROM stall()
`;
const SPIN = `name: Test.Spin
type: CLIENT_EVENT
resources:
  cpu_limit: 30
sources:
  - query: SELECT * FROM spin()
`;
const HOG = `name: Test.Hog
type: CLIENT_EVENT
sources:
  - query: SELECT * FROM hog()
`;
// Every kind of value a row may hold, in the CSV cells Velociraptor writes (csv-cell.ts).
const KINDS = `name: Test.Kinds
type: CLIENT_EVENT
sources:
  - query: |
      SELECT 1 AS Int, 2.5 AS Float, 4 / 2 AS IntegralFloat, -0.0 AS NegZero, 9223372036854775807 AS Big,
             "plain" AS Str, "12" AS NumLike, " lead" AS Space, "true" AS BoolLike, "" AS Empty,
             "a,b" AS Comma, 'say "hi"' AS Quote, "line1\\nline2" AS Lines, "é ✓ 😀" AS Unicode,
             true AS Yes, NULL AS Nothing, unhex(string="ff00fe") AS Bytes, "hello" AS Utf8,
             timestamp(epoch=1700000000.123456) AS Time, dict(a=1, b=[1, 2.0, "x", dict(c=NULL)]) AS Dict,
             parse_json_array(data='[1, "two", 3.5, [], {}]') AS List, _value AS N, format(format="%x", args=_value) AS Hex,
             pathspec(parse="/usr/bin/ls") AS Path, basename(path="/a/b.txt") AS Base,
             parse_json(data='{"z": {"y": [1, {"x": null}]}, "float": 1.0}') AS Parsed
      FROM chain(a={ SELECT * FROM range(end=3) }, b={ SELECT * FROM clock(period=3600) WHERE FALSE })
`;

function setup(defs: Record<string, string>) {
  const root = mkdtempSync(join(tmpdir(), 'vql-isolation-'));
  const defsDir = join(root, 'defs');
  const datastore = join(root, 'ds');
  mkdirSync(defsDir, { recursive: true });
  for (const [name, text] of Object.entries(defs)) writeFileSync(join(defsDir, name), text);
  const logs: MonitorLogEntry[] = [];
  return { root, defs: defsDir, datastore, logs, echo: (e: MonitorLogEntry) => logs.push(e) };
}

function events(datastore: string, artifacts: string[]): void {
  mkdirSync(datastore, { recursive: true });
  writeFileSync(join(datastore, 'events.yaml'), `Events:\n  artifacts:\n${artifacts.map((a) => `  - ${a}`).join('\n')}\n  version: 1\n`);
}

async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** The text of every day file of a query (header included), in name order. */
function filesOf(c: Collector, query: string): string[] {
  const dir = c.store.dir(query);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.csv')).sort().map((f) => readFileSync(join(dir, f), 'utf8'));
}

/** Data lines written for a query (complete lines after the header). */
function linesOf(c: Collector, query: string): string[] {
  return filesOf(c, query).flatMap((t) => t.split('\n').slice(1, -1));
}

test('a query stuck in a synchronous step does not stall the others; the watchdog ends it, says so and restarts it', { timeout: 90_000 }, async () => {
  const s = setup({ 'clock.yaml': CLOCK, 'stuck.yaml': STUCK });
  events(s.datastore, ['Test.Clock', 'Test.Stuck']);
  const c = new Collector({ datastore: s.datastore, definitions: [s.defs], echo: s.echo, maxWaitMs: 100, watch: false, pluginModules: [STALL_PLUGINS], watchdogMs: 2000 });
  assert.ok(c.isolation, 'event queries run on worker threads');
  await c.start();
  try {
    // Test.Stuck's first row is written: its worker is now in the busy loop.
    await until(() => linesOf(c, 'Test.Stuck').length >= 1, 60_000, 'the stuck query\'s first row');
    const clockAtStall = linesOf(c, 'Test.Clock').length;
    const statusAtStall = JSON.parse(readFileSync(join(s.datastore, 'monitor-status.json'), 'utf8')).updated as string;
    // While it is stuck, the clock's rows keep landing in the file (flushes run on this thread).
    await until(() => linesOf(c, 'Test.Clock').length > clockAtStall + 20, 30_000, 'clock rows written while the other query is stuck');
    assert.ok(!s.logs.some((e) => e.artifact === 'Test.Stuck' && e.event === 'budget'), 'the watchdog has not fired yet: the clock grew during the stall');
    // The watchdog fires, naming the artifact and the limit.
    await until(() => s.logs.some((e) => e.artifact === 'Test.Stuck' && e.limit === 'heartbeat'), 60_000, 'the watchdog line');
    const line = s.logs.find((e) => e.artifact === 'Test.Stuck' && e.limit === 'heartbeat')!;
    assert.equal(line.level, 'error');
    assert.equal(line.event, 'budget');
    assert.equal(line.budget, 2000);
    assert.ok(typeof line.measured === 'number' && line.measured > 2000, `measured ${String(line.measured)}`);
    assert.match(line.message, /^Test\.Stuck: its worker thread showed no sign of life for \d+\.\d s \(limit 2 s\): stuck in one long step; its worker thread was terminated and the query restarts after its backoff$/);
    // It restarts after its backoff: a second first row.
    await until(() => s.logs.some((e) => e.artifact === 'Test.Stuck' && /restarts in 1 s \(restart 1\)/.test(e.message)), 30_000, 'the restart line');
    await until(() => linesOf(c, 'Test.Stuck').length >= 2, 60_000, 'the restarted query\'s first row');
    assert.ok(!s.logs.some((e) => e.artifact === 'Test.Clock' && (e.level === 'error' || /restarts/.test(e.message))), 'the clock was never restarted');
    // The status file kept being written by this thread's timer.
    await until(() => JSON.parse(readFileSync(join(s.datastore, 'monitor-status.json'), 'utf8')).updated !== statusAtStall, 30_000, 'a status update');
    const st = c.status().find((q) => q.artifact === 'Test.Stuck')!;
    assert.match(st.lastError ?? '', /no sign of life/);
  } finally {
    // Stop ends the stuck worker too (it cannot see the cancel message: terminated after 1 s).
    const before = linesOf(c, 'Test.Clock').length;
    await c.stop();
    assert.ok(linesOf(c, 'Test.Clock').length >= before, 'stop lost no written row');
    rmSync(s.root, { recursive: true, force: true });
  }
});

test('a query over its worker heap limit is terminated, the log names the memory limit, it restarts; the others go on', { timeout: 90_000 }, async () => {
  const s = setup({ 'clock.yaml': CLOCK, 'hog.yaml': HOG });
  events(s.datastore, ['Test.Clock', 'Test.Hog']);
  const c = new Collector({ datastore: s.datastore, definitions: [s.defs], echo: s.echo, maxWaitMs: 100, watch: false, pluginModules: [STALL_PLUGINS], queryMemoryMb: 64, watchdogMs: 30_000 });
  await c.start();
  try {
    await until(() => s.logs.some((e) => e.artifact === 'Test.Hog' && e.limit === 'memory'), 60_000, 'the memory limit line');
    const line = s.logs.find((e) => e.artifact === 'Test.Hog' && e.limit === 'memory')!;
    assert.equal(line.budget, 64);
    assert.match(line.message, /^Test\.Hog: its worker thread ran out of its 64 MB heap limit; its worker thread was terminated and the query restarts after its backoff$/);
    const clock = linesOf(c, 'Test.Clock').length;
    await until(() => linesOf(c, 'Test.Clock').length > clock, 30_000, 'clock rows after the other query died');
    await until(() => s.logs.some((e) => e.artifact === 'Test.Hog' && /restarts in 1 s/.test(e.message)), 30_000, 'the restart line');
    await until(() => linesOf(c, 'Test.Hog').length >= 2, 60_000, 'the restarted query\'s first row');
  } finally {
    await c.stop();
    rmSync(s.root, { recursive: true, force: true });
  }
});

test('the CPU budget measures each query\'s own thread: the busy one is paused, the clock beside it is not', { timeout: 90_000 }, async () => {
  const s = setup({ 'clock.yaml': CLOCK, 'spin.yaml': SPIN });
  events(s.datastore, ['Test.Clock', 'Test.Spin']);
  const c = new Collector({ datastore: s.datastore, definitions: [s.defs], echo: s.echo, maxWaitMs: 100, watch: false, pluginModules: [STALL_PLUGINS], budgets: { windowMs: 1000 } });
  await c.start();
  try {
    await until(() => s.logs.some((e) => e.artifact === 'Test.Spin' && e.limit === 'cpu'), 60_000, 'the CPU budget line');
    const line = s.logs.find((e) => e.artifact === 'Test.Spin' && e.limit === 'cpu')!;
    assert.equal(line.budget, 30);
    assert.ok((line.measured as number) > 30);
    assert.match(line.message, /^CPU budget of 30% exceeded: measured \d+\.\d% by its worker thread over 1 s; pausing Test\.Spin for 2 s$/);
    await until(() => c.status().find((q) => q.artifact === 'Test.Spin')?.state === 'paused', 30_000, 'Test.Spin paused');
    // The clock (idle most of the time) is never the one paused, however busy the process is.
    const clock = linesOf(c, 'Test.Clock').length;
    await until(() => linesOf(c, 'Test.Clock').length > clock + 20, 30_000, 'the clock writing on');
    assert.ok(!s.logs.some((e) => e.artifact === 'Test.Clock' && e.event === 'budget'));
  } finally {
    await c.stop();
    rmSync(s.root, { recursive: true, force: true });
  }
});

/** Runs Test.Kinds once with `isolation`, at a fixed clock; returns its files and its live rows as JSON. */
async function kindsRun(isolation: 'worker' | 'inline'): Promise<{ files: string[]; live: string[] }> {
  const s = setup({ 'kinds.yaml': KINDS });
  events(s.datastore, ['Test.Kinds']);
  const now = () => new Date('2024-03-01T12:00:00Z');
  const c = new Collector({ datastore: s.datastore, definitions: [s.defs], echo: s.echo, maxWaitMs: 100, watch: false, isolation, now });
  assert.equal(c.isolation !== null, isolation === 'worker');
  const sub = c.subscribe('Test.Kinds');
  const live: string[] = [];
  await c.start();
  void (async () => {
    for await (const b of sub) for (const r of b.rows) live.push(toJSON(r));
  })();
  try {
    await until(() => live.length >= 3 || s.logs.some((e) => e.level === 'error'), 60_000, 'three live rows');
    assert.deepEqual(s.logs.filter((e) => e.level === 'error'), []);
    // Its 3 rows, then it waits (an event query does not end): the files hold exactly those.
    await until(() => c.status()[0]!.rowsWritten >= 3, 30_000, 'three rows written');
    return { files: filesOf(c, 'Test.Kinds'), live };
  } finally {
    await c.stop();
    rmSync(s.root, { recursive: true, force: true });
  }
}

test('rows crossing the thread are written byte for byte as on the collector\'s own thread (CSV cells and live JSON)', { timeout: 90_000 }, async () => {
  const inline = await kindsRun('inline');
  const worker = await kindsRun('worker');
  assert.equal(inline.files.length, 1, `one day file: ${inline.files.join('\n---\n')}`);
  // The day file: same header, same cells, same quoting, byte for byte.
  assert.deepEqual(worker.files, inline.files);
  assert.deepEqual(worker.live, inline.live);
  assert.equal(inline.live.length, 3);
  // The file really holds the kinds it should (so the comparison above compares something).
  const text = inline.files[0]!;
  const cells = [',~ 12~,', ',~  lead~,', ',~ true~,', ',~a,b~,', ',~say ~~hi~~~,', ',base64:/wD+,', ',9223372036854775807,', ',-0,', ',2,', ',~{\n ~~b~~: [\n  1,\n  2,\n'];
  for (const cell of cells.map((c) => c.replaceAll('~', '"'))) assert.ok(text.includes(cell), `the CSV holds ${cell}:\n${text}`);
  assert.match(text, /,2023-11-14T22:13:20\.\d+Z,/);
});

test('an event artifact in the collector finds its tools and local folder in the collector\'s datastore (worker threads too)', { timeout: 90_000 }, async () => {
  const s = setup({
    'tool.yaml': `name: Test.Tool.Event
type: CLIENT_EVENT
tools:
  - name: EventTool
sources:
  - query: SELECT Tool_EventTool_PATH AS Path, _LocalFolder AS Local FROM clock(ms=200)
`,
  });
  events(s.datastore, ['Test.Tool.Event']);
  mkdirSync(join(s.datastore, 'tools'), { recursive: true });
  writeFileSync(join(s.datastore, 'tools', 'EventTool'), 'a tool');
  const c = new Collector({ datastore: s.datastore, definitions: [s.defs], echo: s.echo, maxWaitMs: 100, watch: false });
  assert.ok(c.isolation, 'event queries run on worker threads');
  await c.start();
  try {
    await until(() => linesOf(c, 'Test.Tool.Event').length >= 1, 60_000, `the first row (log: ${JSON.stringify(s.logs)})`);
    assert.deepEqual(linesOf(c, 'Test.Tool.Event')[0]!.split(',').slice(0, 2), [join(s.datastore, 'tools', 'EventTool'), join(s.datastore, 'local')]);
  } finally {
    await c.stop();
    rmSync(s.root, { recursive: true, force: true });
  }
});
