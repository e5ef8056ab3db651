// The live event view's requests over a real AppCollector (real Collector, temp datastore,
// the built-in Generic.Client.Stats): start, pushed rows, status, the events file, stop.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppService } from '../../main/app/service.ts';
import { AppCollector } from '../../main/app/collector-host.ts';
import { parseEventsText } from '../../main/collector/events-file.ts';
import type { EventArtifactStatus, Push } from '../../main/ipc/contract.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A service whose pushes are recorded. */
function service(root: string, collector: AppCollector) {
  const pushes: Array<{ channel: keyof Push; args: unknown[] }> = [];
  const s = new AppService({
    userArtifacts: join(root, 'artifacts'),
    collector,
    push: (channel, ...args) => pushes.push({ channel, args }),
  });
  const rows = (artifact: string) => pushes.filter((p) => p.channel === 'events:rows' && p.args[0] === artifact).flatMap((p) => (p.args[1] as string[]).map((r) => JSON.parse(r) as Record<string, unknown>));
  const statuses = () => pushes.filter((p) => p.channel === 'events:status').map((p) => p.args[0] as EventArtifactStatus[]);
  return { s, pushes, rows, statuses };
}

/**
 * How long a test waits for an event (a pushed row, a status) before it fails. The events come
 * in a second or two; the margin is for a loaded 2-core machine (a worker thread and the
 * collector starting while other test files run), and a passing run never waits it out.
 */
const WAIT_MS = 30_000;

async function until<T>(cond: () => T | Promise<T>, ms: number, what: string): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs `fn` with a fresh datastore and its AppCollector, closed afterwards. */
async function withCollector(fn: (c: { root: string; datastore: string; collector: AppCollector }) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'vql-app-events-'));
  dirs.push(root);
  const datastore = join(root, 'ds');
  const collector = await AppCollector.open({ datastore, userArtifacts: join(root, 'artifacts'), maxWaitMs: 200, statusMs: 300 });
  try {
    await fn({ root, datastore, collector });
  } finally {
    await collector.close();
  }
}

/** Waits until events:status has an artifact status matching `pred`, and returns it. */
function statusWhere(s: AppService, pred: (st: EventArtifactStatus) => boolean, what: string): Promise<EventArtifactStatus> {
  return until(async () => {
    const r = await s.invoke('events:status');
    return r.ok ? r.value.find(pred) : undefined;
  }, WAIT_MS, what);
}

const STATS = 'Generic.Client.Stats';

test('start Generic.Client.Stats with Frequency=1: rows are pushed, status runs with rows today, the events file says so, stop', { timeout: 120_000 }, async () => {
  await withCollector(async ({ root, datastore, collector }) => {
    const a = service(root, collector);
    assert.deepEqual(await a.s.invoke('events:status'), { ok: true, value: [] });
    assert.deepEqual(await a.s.invoke('events:subscribe', STATS), { ok: true, value: true });
    const t0 = Date.now();
    const started = await a.s.invoke('events:start', { artifact: STATS, parameters: { Frequency: '1' } });
    assert.ok(started.ok, JSON.stringify(started));
    assert.equal(started.value[0]!.artifact, STATS);
    assert.deepEqual(started.value[0]!.parameters, { Frequency: '1' });

    // The events file is the configuration the UI set (vql monitor reads the same file).
    const load = parseEventsText(readFileSync(join(datastore, 'events.yaml'), 'utf8'));
    assert.deepEqual(load.config?.artifacts, [STATS]);
    assert.deepEqual(Object.fromEntries(load.config!.parameters.get(STATS)!), { Frequency: '1' });

    const rows = await until(() => (a.rows(STATS).length >= 2 ? a.rows(STATS) : null), WAIT_MS, 'two pushed rows');
    console.log(`# first two rows pushed ${Date.now() - t0} ms after events:start`);
    assert.ok(typeof rows[0]!.RSS === 'number' && (rows[0]!.RSS as number) > 0, 'RSS');
    assert.ok(typeof rows[0]!.Timestamp === 'number', 'Timestamp');
    assert.ok(typeof rows[0]!._ts === 'number', '_ts');

    const running = await until(() => a.statuses().find((s) => s[0]?.state === 'running' && s[0].rowsToday >= 1)?.[0], WAIT_MS, 'a pushed status with rows today');
    assert.equal(running.artifact, STATS);
    const st = await a.s.invoke('events:status');
    assert.ok(st.ok && st.value[0]!.rowsToday >= 1 && st.value[0]!.rowsPerSecond > 0, JSON.stringify(st));

    const stopped = await a.s.invoke('events:stop', STATS);
    assert.deepEqual(stopped, { ok: true, value: [] });
    assert.deepEqual(parseEventsText(readFileSync(join(datastore, 'events.yaml'), 'utf8')).config?.artifacts, []);
    const n = a.rows(STATS).length;
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(a.rows(STATS).length, n, 'no rows after stop');
    a.s.cancelAll();
  });
});

test('two connections share one collector: one starts, the other sees it and its rows; closing one keeps the other', { timeout: 120_000 }, async () => {
  await withCollector(async ({ root, collector }) => {
    const a = service(root, collector);
    const b = service(root, collector);
    assert.ok((await b.s.invoke('events:status')).ok);
    assert.ok((await b.s.invoke('events:subscribe', STATS)).ok);
    assert.ok((await a.s.invoke('events:start', { artifact: STATS, parameters: { Frequency: '1' } })).ok);
    await until(() => b.statuses().some((s) => s[0]?.artifact === STATS), WAIT_MS, 'b gets the status push');
    a.s.cancelAll(); // a's window closes: the collector keeps running for b
    await until(() => b.rows(STATS).length >= 2, WAIT_MS, 'b gets rows');
    const st = await b.s.invoke('events:status');
    assert.ok(st.ok && st.value[0]!.state === 'running');
    assert.deepEqual((await b.s.invoke('events:stop', STATS)), { ok: true, value: [] });
    b.s.send('events:unsubscribe', STATS);
    b.s.cancelAll();
  });
});

test('a bad event query shows failed with its error; the others keep running; bad requests are refused', { timeout: 120_000 }, async () => {
  await withCollector(async ({ root, datastore, collector }) => {
    const a = service(root, collector);
    const bad = 'name: Custom.Bad\ntype: CLIENT_EVENT\nsources:\n  - query: SELECT * FROM nosuchplugin()\n';
    assert.ok((await a.s.invoke('artifacts:save', bad)).ok);
    assert.ok((await a.s.invoke('events:start', { artifact: 'Custom.Bad' })).ok);
    assert.ok((await a.s.invoke('events:start', { artifact: STATS, parameters: { Frequency: '1' } })).ok);
    const failed = await statusWhere(a.s, (s) => s.artifact === 'Custom.Bad' && s.state === 'failed', 'Custom.Bad failed');
    assert.match(failed.error ?? '', /nosuchplugin/);
    await until(async () => {
      const r = await a.s.invoke('events:status');
      return r.ok && r.value.find((s) => s.artifact === STATS)!.rowsToday >= 1;
    }, WAIT_MS, 'Stats still writes rows');

    const client = await a.s.invoke('events:start', { artifact: 'Generic.Client.Info' });
    assert.equal(client.ok ? 'ok' : client.error.code, 'NotAnEventArtifact');
    const unknownParam = await a.s.invoke('events:start', { artifact: STATS, parameters: { Frequncy: '1' } });
    assert.ok(!unknownParam.ok && /no parameter Frequncy.*Frequency/.test(unknownParam.error.message), JSON.stringify(unknownParam));
    const missing = await a.s.invoke('events:start', { artifact: 'Generic.Client.Stat' });
    assert.ok(!missing.ok && missing.error.code === 'NotFound' && /did you mean Generic\.Client\.Stats/.test(missing.error.message), JSON.stringify(missing));

    // A hand edit naming a parameter the artifact does not have: that artifact shows failed, with why.
    const file = join(datastore, 'events.yaml');
    writeFileSync(file, 'Events:\n  artifacts:\n  - Generic.Client.Stats\n  version: 9\n  parameters:\n    Generic.Client.Stats:\n      Nope: 1\n');
    const byHand = await statusWhere(a.s, (s) => s.artifact === STATS && s.state === 'failed', 'the hand edit to be reloaded');
    assert.match(byHand.error ?? '', /has no parameter Nope/);

    // An events file broken by hand is reported with its position and never overwritten.
    const broken = 'Events:\n  artifacts: [Generic.Client.Stats\n';
    writeFileSync(file, broken);
    const r = await a.s.invoke('events:start', { artifact: STATS });
    assert.ok(!r.ok && r.error.code === 'EventsFileInvalid' && /events\.yaml:\d+:\d+/.test(r.error.message), JSON.stringify(r));
    assert.equal(readFileSync(file, 'utf8'), broken);
    a.s.cancelAll();
  });
});

test('without a collector the events and store requests say so', async () => {
  const root = mkdtempSync(join(tmpdir(), 'vql-app-events-'));
  dirs.push(root);
  const s = new AppService({ userArtifacts: join(root, 'artifacts'), push: () => {} });
  const r = await s.invoke('events:status');
  assert.ok(!r.ok && r.error.code === 'NoCollector');
  const o = await s.invoke('table:open', { kind: 'logs', client: 'C.0123456789abcdef', artifact: 'X', from: '2024-01-01', to: '2024-01-01' });
  assert.ok(!o.ok && o.error.code === 'NoCollector');
});

test('a query over its rows/s budget shows paused, naming the limit', { timeout: 120_000 }, async () => {
  await withCollector(async ({ root, collector }) => {
    const a = service(root, collector);
    const fast = 'name: Custom.Fast\ntype: CLIENT_EVENT\nresources:\n  ops_per_second: 10\nsources:\n  - query: SELECT * FROM foreach(row={ SELECT * FROM clock(ms=50) }, query={ SELECT _value AS N FROM range(end=100) })\n';
    assert.ok((await a.s.invoke('artifacts:save', fast)).ok);
    assert.ok((await a.s.invoke('events:start', { artifact: 'Custom.Fast' })).ok);
    const paused = await statusWhere(a.s, (s) => s.state === 'paused', 'Custom.Fast paused');
    assert.equal(paused.limit, 'ops_per_second');
    assert.match(paused.error ?? '', /budget of 10 rows\/s/);
    a.s.cancelAll();
  });
});

test('a producer faster than the view: pushes stay small and say how many rows the view missed', { timeout: 120_000 }, async () => {
  await withCollector(async ({ root, collector }) => {
    const a = service(root, collector);
    const flood = 'name: Custom.Flood\ntype: CLIENT_EVENT\nsources:\n  - query: SELECT * FROM foreach(row={ SELECT * FROM clock(ms=10) }, query={ SELECT _value AS N FROM range(end=5000) })\n';
    assert.ok((await a.s.invoke('artifacts:save', flood)).ok);
    assert.ok((await a.s.invoke('events:subscribe', 'Custom.Flood')).ok);
    assert.ok((await a.s.invoke('events:start', { artifact: 'Custom.Flood' })).ok);
    const missed = () => a.pushes.filter((p) => p.channel === 'events:rows').reduce((n, p) => n + Number(p.args[2] ?? 0), 0);
    await until(() => missed() > 0, WAIT_MS, 'a missed count');
    assert.ok((await a.s.invoke('events:stop', 'Custom.Flood')).ok);
    const pushes = a.pushes.filter((p) => p.channel === 'events:rows');
    assert.ok(pushes.every((p) => (p.args[1] as string[]).length <= 2000), 'at most 2000 rows a push');
    const shown = a.rows('Custom.Flood').length;
    const r = await a.s.invoke('store:artifacts', (await a.s.invoke('store:clients') as { value: string[] }).value[0]!);
    const written = r.ok ? r.value.find((x) => x.artifact === 'Custom.Flood')!.days[0]!.rows : 0;
    assert.ok(written >= shown + missed(), `the files have every row: ${written} written, ${shown} shown + ${missed()} missed`);
    a.s.cancelAll();
  });
});
