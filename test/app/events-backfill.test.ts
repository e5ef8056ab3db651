// The live view's backfill (main/logs/backfill.ts, `events:backfill`): today's rows of an
// event artifact from its day files (parts and sources merged in time order, the newest kept),
// and, against a real collector, web host and page bridge, the exact seam with the live rows:
// every row once, none missing.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket as NodeWebSocket } from 'ws';
import { backfill, checkBackfillRequest, MAX_BACKFILL_ROWS } from '../../main/logs/backfill.ts';
import { AppCollector } from '../../main/app/collector-host.ts';
import { AppService } from '../../main/app/service.ts';
import { MonitoringStore } from '../../main/collector/store.ts';
import { dayName } from '../../main/collector/paths.ts';
import { VDict } from '../../main/vql/values/types.ts';
import { startWebHost } from '../../main/web/host.ts';
import { WS_PROTOCOL, WS_TOKEN_PROTOCOL } from '../../main/web/ws-protocol.ts';
import { socketBridge } from '../../renderer/lib/socket-bridge.ts';
import { LiveFeed } from '../../renderer/lib/events/live-feed.ts';

const root = mkdtempSync(join(tmpdir(), 'vql-backfill-'));
after(() => rmSync(root, { recursive: true, force: true }));

const NOON = Date.parse('2024-03-01T12:00:00Z');
const row = (o: Record<string, unknown>) => VDict.fromObject(o);
const parse = (rows: string[]) => rows.map((r) => JSON.parse(r) as Record<string, unknown>);

async function until<T>(cond: () => T | Promise<T>, ms: number, what: string): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('today\'s rows up to `through`: parts and sources merged by _ts, the newest `limit`, other days left out', async () => {
  const datastore = join(root, 'files');
  const day = (ms: number) => new MonitoringStore({ datastore, clientId: 'C.0123456789abcdef', now: () => new Date(ms) });
  const today = day(NOON);
  await today.append('Test.Art', [row({ N: 1, _ts: 100 }), row({ N: 2, _ts: 102 })]);
  // A schema change: part 1 of the same day.
  await today.append('Test.Art', [row({ N: 3, Extra: 'x', _ts: 101 }), row({ N: 4, Extra: 'y', _ts: 103 })]);
  // A source of the artifact: its own directory.
  await today.append('Test.Art/Second', [row({ N: 5, _ts: 102 }), row({ N: 6, _ts: 200 })]);
  await today.close();
  const yesterday = day(NOON - 86_400_000);
  await yesterday.append('Test.Art', [row({ N: 0, _ts: 50 })]);
  await yesterday.close();
  const dir = today.dir('Test.Art');
  const through = Math.floor(NOON / 1000);
  const src = { dir, running: false, flush: async () => assert.fail('nothing runs: no flush'), now: () => NOON };

  const all = await backfill(src, 100);
  assert.equal(all.day, '2024-03-01');
  assert.equal(all.through, through);
  // Ties (_ts 102) in part order: the artifact's own parts first, then the source's.
  assert.deepEqual(parse(all.rows).map((r) => r['N']), [1, 3, 2, 5, 4, 6]);
  assert.equal(all.total, 6);
  assert.deepEqual(all.notes, []);

  const newest = await backfill(src, 2);
  assert.deepEqual(parse(newest.rows).map((r) => r['N']), [4, 6]);
  assert.equal(newest.total, 6, 'the day holds more than the limit kept');
  assert.deepEqual((await backfill(src, 0)).rows, []);

  // One source alone.
  const second = await backfill({ ...src, dir: join(dir, 'Second') }, 100);
  assert.deepEqual(parse(second.rows).map((r) => r['N']), [5, 6]);

  // Rows after `through` are not the backfill's (live rows bring them).
  const early = await backfill({ ...src, now: () => 101_500 + 86_400_000 * 0 }, 100);
  assert.equal(early.through, 101);
  assert.equal(early.day, '1970-01-01', 'the day of `through`');
  assert.deepEqual(early.rows, [], 'no day file that day');
  const missing = await backfill({ ...src, dir: join(datastore, 'nothing-here') }, 10);
  assert.deepEqual([missing.rows, missing.total], [[], 0]);
});

test('a malformed record is skipped and noted; the request is checked', async () => {
  const store = new MonitoringStore({ datastore: join(root, 'bad'), clientId: 'C.0123456789abcdef', now: () => new Date(NOON) });
  await store.append('Test.Bad', [row({ N: 1, _ts: 100 })]);
  await store.close();
  const dir = store.dir('Test.Bad');
  writeFileSync(join(dir, '2024-03-01.csv'), 'N,_ts\n1,100\n"2,100\n3,101\n');
  const r = await backfill({ dir, running: false, flush: async () => undefined, now: () => NOON }, 10);
  assert.ok(r.notes.length >= 1, 'the skipped record is noted');
  assert.match(r.notes[0]!, /2024-03-01\.csv/);

  assert.deepEqual(checkBackfillRequest({ artifact: 'A.B' }), { artifact: 'A.B', limit: MAX_BACKFILL_ROWS });
  assert.deepEqual(checkBackfillRequest({ artifact: 'A.B/S', limit: 10 ** 9 }), { artifact: 'A.B/S', limit: MAX_BACKFILL_ROWS });
  assert.match(checkBackfillRequest({ artifact: '' }) as string, /invalid artifact name/);
  assert.match(checkBackfillRequest({ artifact: 'A', limit: -1 }) as string, /whole number/);
  assert.match(checkBackfillRequest(null as never) as string, /needs \{artifact/);
});

test('events:backfill over a real collector, without one, and for a bad request', { timeout: 30_000 }, async () => {
  const none = new AppService({ userArtifacts: join(root, 'none-artifacts'), push: () => undefined, isolation: 'inline' });
  const r = await none.invoke('events:backfill', { artifact: 'Generic.Client.Stats' });
  assert.equal(!r.ok && r.error.code, 'NoCollector');
  const collector = await AppCollector.open({ datastore: join(root, 'svc-ds'), userArtifacts: join(root, 'svc-artifacts') });
  try {
    const s = new AppService({ userArtifacts: join(root, 'svc-artifacts'), collector, push: () => undefined, isolation: 'inline' });
    const empty = await s.invoke('events:backfill', { artifact: 'Generic.Client.Stats' });
    assert.ok(empty.ok);
    assert.deepEqual([empty.value.rows, empty.value.total, empty.value.day], [[], 0, dayName(new Date(empty.value.through * 1000))]);
    const bad = await s.invoke('events:backfill', { artifact: '/x' });
    assert.equal(!bad.ok && bad.error.code, 'BadRequest');
  } finally {
    await collector.close();
  }
});

test('the seam: backfill then live rows show every row once, none missing, while rows keep coming', { timeout: 60_000 }, async () => {
  const artifacts = join(root, 'seam-artifacts');
  mkdirSync(artifacts, { recursive: true });
  // N counts the rows: 1, 2, 3... 50 a second.
  writeFileSync(join(artifacts, 'Custom.Ticks.yaml'), 'name: Custom.Ticks\ntype: CLIENT_EVENT\nsources:\n  - query: SELECT count() AS N FROM clock(ms=20)\n');
  const collector = await AppCollector.open({ datastore: join(root, 'seam-ds'), userArtifacts: artifacts, maxWaitMs: 300 });
  const host = await startWebHost({ userArtifacts: artifacts, collector, isolation: 'inline', log: () => undefined });
  const bridge = socketBridge(() => new NodeWebSocket(`ws://127.0.0.1:${host.port}/ws`, [WS_PROTOCOL, `${WS_TOKEN_PROTOCOL}${host.token}`]) as unknown as WebSocket);
  const feed = new LiveFeed(bridge, 10_000);
  try {
    const started = await bridge.invoke('events:start', { artifact: 'Custom.Ticks', parameters: {} });
    assert.ok(started.ok, JSON.stringify(started));
    // Rows on disk before the view opens: the backfill has something to bring.
    await until(async () => {
      const r = await bridge.invoke('events:status');
      return r.ok && (r.value[0]?.rowsToday ?? 0) >= 30;
    }, 20_000, '30 rows written');
    const sub = await feed.view('Custom.Ticks');
    assert.deepEqual(sub, { ok: true, value: true });
    const info = feed.backfill!;
    assert.ok(info && !info.error, JSON.stringify(info));
    assert.ok(info.rows >= 30, `${info.rows} rows from the log`);
    const n = feed.source.columns.findIndex((c) => c.name === 'N');
    const values = () => Array.from({ length: feed.source.rowCount }, (_, r) => feed.source.cell(r, n) as number);
    const firstLive = feed.source.received;
    await until(() => feed.source.received >= firstLive + 50, 20_000, '50 live rows after the backfill');
    const seen = values();
    assert.equal(seen[0], 1, 'from the first row of the day');
    for (let i = 1; i < seen.length; i++) assert.equal(seen[i], seen[i - 1]! + 1, `row ${i}: ${seen[i - 1]} then ${seen[i]} (a duplicate or a gap at the seam)`);
    assert.equal(feed.source.backfilled, info.rows);
    assert.equal(feed.source.rowCount, info.rows + feed.source.received);
    console.log(`# seam: ${info.rows} rows from the log, then ${feed.source.received} live, N = 1..${seen.at(-1)} in order`);
  } finally {
    feed.dispose();
    bridge.close();
    await host.close();
    await collector.close();
  }
});

test('after the host comes back (same port, same token), the live view opens again by itself: from the log, then live', { timeout: 60_000 }, async () => {
  const artifacts = join(root, 'again-artifacts');
  mkdirSync(artifacts, { recursive: true });
  writeFileSync(join(artifacts, 'Custom.Ticks.yaml'), 'name: Custom.Ticks\ntype: CLIENT_EVENT\nsources:\n  - query: SELECT count() AS N FROM clock(ms=20)\n');
  // The collector outlives the hosts, as the datastore outlives `vql serve` restarts.
  const collector = await AppCollector.open({ datastore: join(root, 'again-ds'), userArtifacts: artifacts, maxWaitMs: 300 });
  const token = 'cd'.repeat(32);
  let host = await startWebHost({ token, userArtifacts: artifacts, collector, isolation: 'inline', log: () => undefined });
  const port = host.port;
  const bridge = socketBridge(() => new NodeWebSocket(`ws://127.0.0.1:${port}/ws`, [WS_PROTOCOL, `${WS_TOKEN_PROTOCOL}${token}`]) as unknown as WebSocket, { delays: [20, 50, 100] });
  const feed = new LiveFeed(bridge, 10_000);
  try {
    assert.ok((await bridge.invoke('events:start', { artifact: 'Custom.Ticks', parameters: {} })).ok);
    await feed.view('Custom.Ticks');
    await until(() => feed.source.received >= 20, 20_000, '20 live rows');
    await host.close();
    await until(() => bridge.connection.status.state === 'lost', 30_000, 'the loss');
    // Rows go on being collected (and written) while the page is away.
    const before = feed.source.rowCount;
    await until(async () => ((await collector.status())[0]?.rowsToday ?? 0) > before + 5, 20_000, 'rows written while the page is away');
    host = await startWebHost({ port, token, userArtifacts: artifacts, collector, isolation: 'inline', log: () => undefined });
    await until(() => bridge.connection.status.state === 'open', 20_000, 'the reconnection');
    await until(() => feed.backfill !== null && feed.source.received >= 20, 20_000, 'the view opened again, with live rows');
    const n = feed.source.columns.findIndex((c) => c.name === 'N');
    const seen = Array.from({ length: feed.source.rowCount }, (_, r) => feed.source.cell(r, n) as number);
    assert.equal(seen[0], 1);
    for (let i = 1; i < seen.length; i++) assert.equal(seen[i], seen[i - 1]! + 1, `row ${i}: ${seen[i - 1]} then ${seen[i]}`);
    assert.ok(feed.backfill!.rows > before, `the rows collected while away are in view (${feed.backfill!.rows} from the log, ${before} before)`);
  } finally {
    feed.dispose();
    bridge.close();
    await host.close();
    await collector.close();
  }
});
