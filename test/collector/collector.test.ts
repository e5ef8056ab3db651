// The collector in-process: real files, real artifacts, real clocks (short periods).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Collector } from '../../main/collector/collector.ts';
import { readDayFile } from '../../main/collector/csv-file.ts';
import { createHostRegistry } from '../../main/host/index.ts';
import type { MonitorLogEntry } from '../../main/collector/monitor-log.ts';

const TICK = `name: Test.Tick
type: CLIENT_EVENT
parameters:
  - name: Ms
    type: int
    default: "100"
sources:
  - query: SELECT Unix, "tick" AS Kind FROM clock(ms=Ms)
`;
const TOCK = TICK.replace('Test.Tick', 'Test.Tock').replace('"tick"', '"tock"');
const CLIENT = `name: Test.Client
sources:
  - query: SELECT 1 AS X FROM scope()
`;

function setup(extra: Record<string, string> = {}) {
  const root = mkdtempSync(join(tmpdir(), 'vql-collector-'));
  const defs = join(root, 'defs');
  const datastore = join(root, 'ds');
  mkdirSync(defs, { recursive: true });
  for (const [name, text] of Object.entries({ 'tick.yaml': TICK, 'tock.yaml': TOCK, 'client.yaml': CLIENT, ...extra })) {
    writeFileSync(join(defs, name), text);
  }
  const logs: MonitorLogEntry[] = [];
  return { root, defs, datastore, logs, echo: (e: MonitorLogEntry) => logs.push(e) };
}

function events(datastore: string, artifacts: string[], params = ''): void {
  mkdirSync(datastore, { recursive: true });
  writeFileSync(join(datastore, 'events.yaml'), `Events:\n  artifacts:\n${artifacts.map((a) => `  - ${a}`).join('\n')}\n  version: 1\n${params}`);
}

async function until(cond: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Every row written for a query name, across its day files. */
async function rowsOf(c: Collector, query: string): Promise<number> {
  const dir = c.store.dir(query);
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const f of readdirSync(dir)) if (f.endsWith('.csv')) n += (await readDayFile(join(dir, f))).length;
  return n;
}

test('rows of an event artifact land in the day file, with _ts and without _Source', { timeout: 20_000 }, async () => {
  const s = setup();
  events(s.datastore, ['Test.Tick']);
  const c = new Collector({ datastore: s.datastore, definitions: [s.defs], echo: s.echo, maxWaitMs: 200, watch: false });
  await c.start();
  await until(async () => (await rowsOf(c, 'Test.Tick')) >= 3, 10_000, 'three rows');
  await c.stop();
  const dir = c.store.dir('Test.Tick');
  const file = readdirSync(dir).find((f) => /^\d{4}-\d\d-\d\d\.csv$/.test(f));
  assert.ok(file, `a day file in ${dir}`);
  assert.equal(file, `${new Date().toISOString().slice(0, 10)}.csv`);
  const rows = await readDayFile(join(dir, file));
  assert.deepEqual(rows[0]!.keys(), ['Unix', 'Kind', '_ts']);
  assert.equal(rows[0]!.get('Kind'), 'tick');
  assert.match(dir, /clients[/\\]C\.[0-9a-f]{16}[/\\]monitoring[/\\]Test\.Tick$/);
  assert.ok(s.logs.some((e) => e.event === 'start') && s.logs.some((e) => e.event === 'stop'));
});

test('bad configuration: unknown artifact, a CLIENT artifact, an unknown parameter; the rest runs', { timeout: 20_000 }, async () => {
  const s = setup();
  events(s.datastore, ['Test.Tick', 'Test.Nope', 'Test.Client'], '  parameters:\n    Test.Tick:\n      Ms: 100\n');
  const c = new Collector({ datastore: s.datastore, definitions: [s.defs], echo: s.echo, maxWaitMs: 200, watch: false });
  await c.start();
  await until(async () => (await rowsOf(c, 'Test.Tick')) >= 1, 10_000, 'Test.Tick rows');
  const errors = s.logs.filter((e) => e.level === 'error').map((e) => e.message).join('\n');
  assert.match(errors, /unknown artifact Test\.Nope/);
  assert.match(errors, /Test\.Client is a CLIENT artifact: only event artifacts/);
  // Each says where it is in the events file (lines 4 and 5: `  - Test.Nope`, `  - Test.Client`).
  assert.match(errors, /events\.yaml:4:5: error: unknown artifact Test\.Nope \(did you mean Test\.Tock\?\); the other artifacts run/);
  assert.match(errors, /events\.yaml:5:5: error: Test\.Client is a CLIENT artifact/);
  await c.stop();
});

test('an unknown parameter and a misspelt name with parameters say file:line:column and did-you-mean', { timeout: 20_000 }, async () => {
  const s = setup();
  events(s.datastore, ['Test.Tick', 'Test.Tokc'], '  parameters:\n    Test.Tick:\n      Mss: 100\n    Test.Tokc:\n      Ms: 50\n');
  const c = new Collector({ datastore: s.datastore, definitions: [s.defs], echo: s.echo, maxWaitMs: 200, watch: false });
  await c.start();
  const errors = s.logs.filter((e) => e.level === 'error').map((e) => e.message).join('\n');
  assert.match(errors, /events\.yaml:8:7: error: Test\.Tick has no parameter Mss \(did you mean Ms\?\); its parameters: Ms/);
  assert.match(errors, /events\.yaml:4:5: error: unknown artifact Test\.Tokc \(did you mean Test\.Tock\?\)/);
  assert.deepEqual(c.status(), [], 'neither runs');
  await c.stop();
});

test('a first start with an events file that does not load: failOnBadEventsFile throws; without it, nothing runs until it is fixed', { timeout: 20_000 }, async () => {
  const s = setup();
  mkdirSync(s.datastore, { recursive: true });
  writeFileSync(join(s.datastore, 'events.yaml'), 'Events:\n  artifacts: [Test.Tick\n');
  const strict = new Collector({ datastore: s.datastore, definitions: [s.defs], echo: s.echo, maxWaitMs: 200, watch: false, failOnBadEventsFile: true });
  await assert.rejects(strict.start(), (e: Error) => e.name === 'EventsFileError' && /events\.yaml:\d+:\d+: error: YAML/.test(e.message));
  const logged = s.logs.filter((e) => e.level === 'error').map((e) => e.message).join('\n');
  assert.doesNotMatch(logged, /previous configuration keeps running/, 'there is none at a first start');
  assert.match(logged, /no event artifact runs until the file is fixed/);
  // The lock was released: the app's collector (not strict) starts and waits for a fix.
  const app = new Collector({ datastore: s.datastore, definitions: [s.defs], echo: s.echo, maxWaitMs: 200, watch: false });
  await app.start();
  assert.deepEqual(app.status(), []);
  await app.stop();
});

test('a malformed events file is reported and the previous configuration keeps running', { timeout: 20_000 }, async () => {
  const s = setup();
  events(s.datastore, ['Test.Tick']);
  const c = new Collector({ datastore: s.datastore, definitions: [s.defs], echo: s.echo, maxWaitMs: 200, watch: false });
  await c.start();
  writeFileSync(join(s.datastore, 'events.yaml'), 'Events:\n  artifacts: [Test.Tick\n');
  await c.reload();
  assert.ok(s.logs.some((e) => e.level === 'error' && /events\.yaml:\d+:\d+/.test(e.message) && /previous configuration keeps running/.test(e.message)));
  assert.deepEqual(c.status().map((q) => q.artifact), ['Test.Tick']);
  const before = await rowsOf(c, 'Test.Tick');
  await until(async () => (await rowsOf(c, 'Test.Tick')) > before, 10_000, 'more rows after the bad reload');
  await c.stop();
});

test('no redeploy: editing the events file starts and stops only what changed', { timeout: 30_000 }, async () => {
  const s = setup();
  events(s.datastore, ['Test.Tick']);
  const c = new Collector({ datastore: s.datastore, definitions: [s.defs], echo: s.echo, maxWaitMs: 200 });
  await c.start();
  await until(async () => (await rowsOf(c, 'Test.Tick')) >= 1, 10_000, 'Test.Tick rows');
  const tickStarts = () => s.logs.filter((e) => e.artifact === 'Test.Tick' && /started/.test(e.message)).length;
  assert.equal(tickStarts(), 1);
  events(s.datastore, ['Test.Tick', 'Test.Tock']); // the watcher notices
  await until(async () => (await rowsOf(c, 'Test.Tock')) >= 1, 10_000, 'Test.Tock rows after the edit');
  assert.equal(tickStarts(), 1, 'Test.Tick was not restarted');
  // Changing Test.Tock's definition restarts Test.Tock only.
  writeFileSync(join(s.defs, 'tock.yaml'), TOCK.replace('"tock"', '"tock2"'));
  await until(() => s.logs.filter((e) => e.artifact === 'Test.Tock' && /started/.test(e.message)).length >= 2, 10_000, 'Test.Tock restart');
  assert.equal(tickStarts(), 1);
  // A definition that no longer loads is reported; the previous one keeps running.
  writeFileSync(join(s.defs, 'tick.yaml'), TICK.replace('sources:', 'sourcez:'));
  await until(() => s.logs.some((e) => e.level === 'error' && /unknown field 'sourcez'/.test(e.message)), 10_000, 'the load error');
  const n = await rowsOf(c, 'Test.Tick');
  await until(async () => (await rowsOf(c, 'Test.Tick')) > n, 10_000, 'Test.Tick still running');
  await c.stop();
});

test('a failing query is restarted with backoff and the failure names the artifact; others go on', { timeout: 30_000 }, async () => {
  const s = setup({
    'boom.yaml': 'name: Test.Boom\ntype: CLIENT_EVENT\nsources:\n  - query: SELECT * FROM boom()\n',
  });
  const registry = createHostRegistry();
  let runs = 0;
  registry.registerPlugin({
    name: 'boom',
    doc: 'fails after a row',
    args: {},
    async *run() {
      runs++;
      yield { N: runs };
      throw new Error('sensor unplugged');
    },
  });
  events(s.datastore, ['Test.Boom', 'Test.Tick']);
  const c = new Collector({ datastore: s.datastore, definitions: [s.defs], echo: s.echo, maxWaitMs: 200, watch: false, registry });
  await c.start();
  await until(() => runs >= 2, 15_000, 'a restart');
  const failure = s.logs.find((e) => e.level === 'error' && /Test\.Boom/.test(e.message) && /sensor unplugged/.test(e.message));
  assert.ok(failure, 'the failure is logged with the artifact name');
  assert.ok(s.logs.some((e) => e.artifact === 'Test.Boom' && /restarts in 1 s/.test(e.message)));
  assert.ok((await rowsOf(c, 'Test.Tick')) >= 1, 'the other query ran');
  assert.ok((await rowsOf(c, 'Test.Boom')) >= 1, 'rows before the failure were written');
  await c.stop();
});

test('the rows/s budget pauses a fast query without dropping rows', { timeout: 30_000 }, async () => {
  const s = setup({
    'fast.yaml': 'name: Test.Fast\ntype: CLIENT_EVENT\nresources:\n  ops_per_second: 500\nsources:\n  - query: SELECT * FROM foreach(row={SELECT * FROM clock(ms=100)}, query={SELECT _value FROM range(end=400)})\n',
  });
  events(s.datastore, ['Test.Fast']);
  const c = new Collector({ datastore: s.datastore, definitions: [s.defs], echo: s.echo, maxWaitMs: 200, watch: false });
  await c.start();
  await until(() => s.logs.some((e) => e.event === 'budget'), 15_000, 'a budget line');
  const line = s.logs.find((e) => e.event === 'budget')!;
  assert.equal(line.limit, 'rows_per_second');
  assert.match(line.message, /exceeded its budget of 500 rows\/s \(\d+ rows in \d+ ms\): paused for \d+ ms, no row is dropped/);
  await c.stop();
  const q = c.status();
  void q;
  const written = await rowsOf(c, 'Test.Fast');
  assert.ok(written > 0 && written % 400 === 0, `whole foreach batches were written (${written})`);
});

test('subscribers get live batches; one that falls behind is told how many rows it missed', { timeout: 20_000 }, async () => {
  const s = setup();
  events(s.datastore, ['Test.Tick'], '  parameters:\n    Test.Tick:\n      Ms: 20\n');
  const c = new Collector({ datastore: s.datastore, definitions: [s.defs], echo: s.echo, maxWaitMs: 200, watch: false });
  const live = c.subscribe('Test.Tick');
  const slow = c.subscribe('Test.Tick', 2);
  await c.start();
  let got = 0;
  for await (const b of live) {
    got += b.rows.length;
    assert.equal(b.rows[0]!.get('Kind'), 'tick');
    if (got >= 5) break;
  }
  await new Promise((r) => setTimeout(r, 500)); // the slow one does not read meanwhile
  let missed = 0;
  for await (const b of slow) {
    missed += b.missed;
    break;
  }
  assert.ok(missed > 0, 'the slow subscriber was told it missed rows');
  await c.stop();
  assert.ok((await rowsOf(c, 'Test.Tick')) >= got, 'the files still got every row');
});

test('a full datastore: a clear error, the collector stays up, and resumes when there is space', { timeout: 60_000 }, async (t) => {
  const s = setup();
  const mnt = join(s.root, 'mnt');
  mkdirSync(mnt);
  const { spawnSync } = await import('node:child_process');
  const { openSync, writeSync, closeSync, rmSync } = await import('node:fs');
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt]).status !== 0) {
    return t.skip('cannot mount a small tmpfs here (needs root): full-disk behaviour is covered by the store tests');
  }
  try {
    const ds = join(mnt, 'ds');
    events(ds, ['Test.Tick'], '  parameters:\n    Test.Tick:\n      Ms: 50\n');
    const c = new Collector({ datastore: ds, definitions: [s.defs], echo: s.echo, maxWaitMs: 200, watch: false });
    await c.start();
    await until(async () => (await rowsOf(c, 'Test.Tick')) >= 1, 10_000, 'first rows');
    // Fill the file system.
    const filler = join(mnt, 'filler');
    const fd = openSync(filler, 'w');
    const chunk = Buffer.alloc(64 * 1024, 1);
    try {
      for (;;) writeSync(fd, chunk);
    } catch (e) {
      assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
    }
    closeSync(fd);
    await until(() => s.logs.some((e) => e.event === 'storage' && e.level === 'error'), 20_000, 'a storage error');
    const err = s.logs.find((e) => e.event === 'storage' && e.level === 'error')!;
    assert.match(err.message, /Test\.Tick/);
    assert.match(err.message, /ENOSPC|no space/i);
    const before = c.status()[0]!.rowsWritten;
    rmSync(filler);
    await until(() => c.status()[0]!.rowsWritten > before + 5, 40_000, 'writes resume');
    const written = c.status()[0]!.rowsWritten;
    await c.stop();
    assert.ok((await rowsOf(c, 'Test.Tick')) >= written, 'every written row is in the files');
  } finally {
    spawnSync('umount', ['-l', mnt]);
  }
});
