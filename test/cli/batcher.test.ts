// Unit tests for the CLI's row batcher (VELOCIRAPTOR.md 2.3): at most `size` rows per batch,
// shipped when the next row would exceed it; the max_wait timer ships whatever accumulated and
// re-arms after every shipment; an empty tick ships nothing; close() ships the rest.
// Time is simulated with node:test's mock timers, so nothing here really waits.
import { test, mock, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { Batcher } from '../../main/cli/batcher.ts';

beforeEach(() => {
  mock.timers.enable({ apis: ['setTimeout'] });
});

afterEach(() => {
  mock.timers.reset();
});

/** A batcher over numbers that records every shipped batch. */
function recorder(maxWaitMs = 1000, size?: number) {
  const shipped: number[][] = [];
  const b = new Batcher<number>((rows) => shipped.push(rows), maxWaitMs, size);
  return { b, shipped };
}

function pushRange(b: Batcher<number>, from: number, to: number): void {
  for (let i = from; i < to; i++) b.push(i);
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

test('the size trigger ships a full batch only when the 11th row arrives', () => {
  const { b, shipped } = recorder();
  pushRange(b, 0, 10);
  assert.deepEqual(shipped, [], 'ten rows fit in one batch: nothing shipped yet');
  b.push(10);
  assert.deepEqual(shipped, [range(0, 10)]);
  pushRange(b, 11, 20);
  assert.deepEqual(shipped, [range(0, 10)], 'rows 10..19 are the second (full, unshipped) batch');
  b.push(20);
  assert.deepEqual(shipped, [range(0, 10), range(10, 20)]);
  b.close();
  assert.deepEqual(shipped, [range(0, 10), range(10, 20), [20]]);
});

test('25 rows then close ship 10, 10 and 5', () => {
  const { b, shipped } = recorder();
  pushRange(b, 0, 25);
  b.close();
  assert.deepEqual(shipped.map((s) => s.length), [10, 10, 5]);
  assert.deepEqual(shipped.flat(), range(0, 25), 'rows keep their order');
});

test('a custom size is honoured', () => {
  const { b, shipped } = recorder(1000, 3);
  pushRange(b, 0, 7);
  assert.deepEqual(shipped, [[0, 1, 2], [3, 4, 5]]);
  b.close();
  assert.deepEqual(shipped, [[0, 1, 2], [3, 4, 5], [6]]);
});

test('the timer ships a partial batch after max_wait', () => {
  const { b, shipped } = recorder(1000);
  pushRange(b, 0, 3);
  mock.timers.tick(999);
  assert.deepEqual(shipped, [], 'not before max_wait');
  mock.timers.tick(1);
  assert.deepEqual(shipped, [[0, 1, 2]]);
  // The timer re-arms: the next partial batch ships one max_wait later.
  pushRange(b, 3, 5);
  mock.timers.tick(999);
  assert.deepEqual(shipped, [[0, 1, 2]]);
  mock.timers.tick(1);
  assert.deepEqual(shipped, [[0, 1, 2], [3, 4]]);
  b.close();
  assert.deepEqual(shipped, [[0, 1, 2], [3, 4]], 'close with nothing pending ships nothing');
});

test('an empty timer tick ships nothing, and the timer keeps running', () => {
  const { b, shipped } = recorder(1000);
  mock.timers.tick(1000);
  mock.timers.tick(1000);
  mock.timers.tick(1000);
  assert.deepEqual(shipped, [], 'no empty batches');
  b.push(1);
  mock.timers.tick(1000);
  assert.deepEqual(shipped, [[1]], 'the timer re-armed after the empty ticks');
  b.close();
});

test('a size-triggered shipment re-arms the timer', () => {
  const { b, shipped } = recorder(1000);
  mock.timers.tick(600);
  pushRange(b, 0, 11); // ships 0..9 at t=600 and re-arms: next tick at t=1600
  assert.deepEqual(shipped, [range(0, 10)]);
  mock.timers.tick(400); // t=1000: the original deadline, which must no longer fire
  assert.deepEqual(shipped, [range(0, 10)]);
  mock.timers.tick(599); // t=1599
  assert.deepEqual(shipped, [range(0, 10)]);
  mock.timers.tick(1); // t=1600
  assert.deepEqual(shipped, [range(0, 10), [10]]);
  b.close();
});

test('close ships the rest and stops the timer', () => {
  const { b, shipped } = recorder(1000);
  pushRange(b, 0, 4);
  b.close();
  assert.deepEqual(shipped, [[0, 1, 2, 3]]);
  mock.timers.tick(5000);
  assert.deepEqual(shipped, [[0, 1, 2, 3]], 'no shipment after close');
});

test('close with no rows ships nothing', () => {
  const { b, shipped } = recorder(1000);
  b.close();
  mock.timers.tick(5000);
  assert.deepEqual(shipped, []);
});

test('flush ships what is pending without waiting', () => {
  const { b, shipped } = recorder(1000);
  pushRange(b, 0, 2);
  b.flush();
  assert.deepEqual(shipped, [[0, 1]]);
  b.flush();
  assert.deepEqual(shipped, [[0, 1]], 'flushing nothing ships nothing');
  b.close();
});

test('each shipment is a fresh array', () => {
  const { b, shipped } = recorder(1000, 2);
  pushRange(b, 0, 5);
  b.close();
  assert.deepEqual(shipped, [[0, 1], [2, 3], [4]]);
  assert.notEqual(shipped[0], shipped[1]);
});
