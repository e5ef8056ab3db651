// The live view's capped ring buffer (a TableSource) and the feed that fills it from pushes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RingSource } from '../../renderer/lib/events/ring-source.ts';
import { LiveFeed } from '../../renderer/lib/events/live-feed.ts';
import type { Bridge } from '../../main/ipc/contract.ts';

const rows = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => ({ N: from + i }));
const column = (s: RingSource, name: string) => {
  const c = s.columns.findIndex((x) => x.name === name);
  return Array.from({ length: s.rowCount }, (_, r) => s.cell(r, c));
};

test('keeps the last capacity rows, oldest first, and counts what it evicted', () => {
  const s = new RingSource(5);
  let notified = 0;
  s.subscribe(() => notified++);
  s.append(rows(0, 3));
  assert.deepEqual(column(s, 'N'), [0, 1, 2]);
  s.append(rows(3, 8));
  assert.deepEqual(column(s, 'N'), [3, 4, 5, 6, 7]);
  assert.equal(s.dropped, 3);
  s.append(rows(8, 20)); // a batch bigger than the buffer
  assert.deepEqual(column(s, 'N'), [15, 16, 17, 18, 19]);
  assert.equal(s.received, 20);
  assert.equal(notified, 3, 'one notification per batch');
  assert.equal(s.cell(5, 0), null);
  assert.equal(s.cell(-1, 0), null);
});

test('columns appear in first-seen order; a column typed by its first non-null value', () => {
  const s = new RingSource(10);
  s.append([{ A: 1, CPUPercent: null }, { A: 2, CPUPercent: 0.5, B: 'x' }, { A: 3, C: { k: 1 }, D: true }]);
  assert.deepEqual(s.columns.map((c) => [c.name, c.type]), [['A', 'number'], ['CPUPercent', 'number'], ['B', 'text'], ['C', 'json'], ['D', 'bool']]);
  assert.deepEqual(column(s, 'B'), [null, 'x', null]);
});

test('pause freezes the view while rows wait (capped, the overflow counted as missed); resume shows them', () => {
  const s = new RingSource(4);
  s.append(rows(0, 2));
  s.pause();
  s.append(rows(2, 5));
  assert.deepEqual(column(s, 'N'), [0, 1], 'the view does not change while paused');
  assert.equal(s.pending, 3);
  s.append(rows(5, 8));
  assert.equal(s.pending, 4);
  assert.equal(s.missed, 2, 'the two oldest waiting rows fell out');
  s.resume();
  assert.deepEqual(column(s, 'N'), [4, 5, 6, 7]);
  assert.equal(s.pending, 0);
  s.append(rows(8, 9), 3); // the sender skipped 3 rows
  assert.equal(s.missed, 5);
  assert.equal(s.received, 12);
  const g = s.generation;
  s.clear();
  assert.equal(s.rowCount, 0);
  assert.equal(s.generation, g + 1);
  assert.equal(s.received, 0);
});

/** A Bridge that records what the feed does and lets the test push. */
function fakeBridge() {
  const sent: unknown[][] = [];
  const invoked: unknown[][] = [];
  let listener: ((...a: unknown[]) => void) | null = null;
  const bridge = {
    invoke: async (...a: unknown[]) => (invoked.push(a), { ok: true, value: a[0] === 'events:backfill' ? { rows: [], total: 0, through: 0, day: '2023-11-14', notes: [] } : true }),
    send: (...a: unknown[]) => void sent.push(a),
    subscribe: (_ch: string, fn: (...a: unknown[]) => void) => ((listener = fn), () => (listener = null)),
  } as unknown as Bridge;
  return { bridge, sent, invoked, push: (...a: unknown[]) => listener?.(...a), listening: () => listener !== null };
}

test('the feed subscribes to one artifact at a time and keeps only its rows', async () => {
  const f = fakeBridge();
  const feed = new LiveFeed(f.bridge, 100, () => 1_700_000_000_500);
  await feed.view('A');
  assert.deepEqual(f.invoked, [['events:subscribe', 'A'], ['events:backfill', { artifact: 'A', limit: 100 }]]);
  f.push('A', [JSON.stringify({ Timestamp: 1_700_000_000.2, X: 1 }), 'not json'], 0);
  f.push('B', [JSON.stringify({ X: 2 })]);
  assert.equal(feed.source.rowCount, 2);
  assert.deepEqual(feed.source.cell(1, feed.source.columns.findIndex((c) => c.name === '_raw')), 'not json');
  f.push('A', [JSON.stringify({ Timestamp: 1_700_000_000.2, X: 3 })], 7);
  assert.equal(feed.source.missed, 7);
  assert.equal(feed.delayMs, 300);
  await feed.view('B');
  assert.deepEqual(f.sent, [['events:unsubscribe', 'A']]);
  assert.equal(feed.source.rowCount, 0, 'another artifact starts empty');
  feed.dispose();
  assert.deepEqual(f.sent[1], ['events:unsubscribe', 'B']);
  assert.equal(f.listening(), false);
});
