// profile_goroutines() and profile_memory(): the thread's live stack, and the live heap by
// allocation stack, in Velociraptor's row shapes. The memory test allocates (and keeps) objects
// from a function of its own while the sampler watches, and finds that function in the stacks.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { threadId } from 'node:worker_threads';
import { profileRun, errors, type Row } from './helpers.ts';
import { memoryRows, type SamplingProfile } from '../../../main/host/profile/sampling.ts';
import { toJSON } from '../../../main/vql/index.ts';

const run = profileRun();
after(() => run.close());

type Frame = { Name: string; File: string; Line: number };

/** A one-column subquery gives its value when it has one row (as Velociraptor), a list otherwise. */
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);

test('profile_goroutines(): one row, this thread, with the stack the query runs on', async () => {
  const { rows, logs } = await run.query('SELECT * FROM profile_goroutines()');
  assert.deepEqual(logs, []);
  assert.equal(rows.length, 1);
  const r = rows[0]!;
  assert.deepEqual(Object.keys(r), ['ID', 'State', 'Name', 'CallStack']);
  assert.equal(r.ID, threadId);
  assert.equal(r.State, 'running');
  assert.equal(r.Name, 'main thread');
  const stack = r.CallStack as Frame[];
  assert.ok(stack.every((f) => typeof f.Name === 'string' && typeof f.File === 'string' && typeof f.Line === 'number'));
  assert.match(stack[0]!.File, /profile_goroutines\.ts$/, 'innermost frame first');
  assert.ok(stack.some((f) => f.File.endsWith('session.ts')), 'down to the session running the query');
});

test('profile_goroutines() as Generic.Client.Profile reads it: CallStack rows filtered by File', async () => {
  const { rows, logs } = await run.query(`
    SELECT *, { SELECT format(format='%v (%v:%v)', args=[Name, basename(path=File), Line]) FROM CallStack
                WHERE File =~ 'profile_goroutines' LIMIT 10 } AS CallStack
    FROM profile_goroutines() WHERE CallStack`);
  assert.deepEqual(errors(logs), []);
  assert.equal(rows.length, 1);
  assert.match(String(list(rows[0]!.CallStack)[0]), /^Object\.run \(profile_goroutines\.ts:\d+\)$/);
});

/** Keeps about 8 MB of objects made here while the query runs. */
function allocateWhileRunning(): { keep: unknown[]; stop: () => void } {
  const keep: unknown[] = [];
  const timer = setInterval(function keepAllocating() {
    for (let i = 0; i < 10_000; i++) keep.push({ i, text: `profile-memory-${i}` });
  }, 20);
  return { keep, stop: () => clearInterval(timer) };
}

test('profile_memory(): live bytes and objects by allocation stack, the largest first', async () => {
  const a = allocateWhileRunning();
  let rows: Row[];
  try {
    ({ rows } = await run.query('SELECT * FROM profile_memory()'));
  } finally {
    a.stop();
  }
  assert.ok(a.keep.length > 0);
  assert.ok(rows.length > 0);
  for (const r of rows) {
    assert.deepEqual(Object.keys(r), ['InUseBytes', 'InUseObjects', 'CallStack']);
    assert.ok(Number.isInteger(r.InUseBytes) && (r.InUseBytes as number) > 0);
    assert.ok(Number.isInteger(r.InUseObjects) && (r.InUseObjects as number) > 0);
  }
  const bytes = rows.map((r) => r.InUseBytes as number);
  assert.deepEqual(bytes, [...bytes].sort((x, y) => y - x));
  const mine = rows.filter((r) => (r.CallStack as Frame[]).some((f) => f.Name === 'keepAllocating'));
  assert.ok(mine.length > 0, 'the test\'s own allocations are found');
  const frame = (mine[0]!.CallStack as Frame[]).find((f) => f.Name === 'keepAllocating')!;
  assert.match(frame.File, /goroutines-memory\.test\.ts$/);
  assert.ok(frame.Line > 0);
});

test('profile_memory() as the artifact asks: ORDER BY InUseBytes DESC with a CallStack subquery', async () => {
  const a = allocateWhileRunning();
  try {
    const { rows, logs } = await run.query(`
      SELECT InUseBytes, InUseObjects, { SELECT format(format='%v (%v:%v)', args=[Name, basename(path=File), Line])
          FROM CallStack WHERE File =~ 'goroutines-memory' LIMIT 10 } AS CallStack
      FROM profile_memory() ORDER BY InUseBytes DESC`);
    assert.deepEqual(errors(logs), []);
    assert.ok(rows.some((r) => list(r.CallStack).some((s) => /^keepAllocating \(goroutines-memory\.test\.ts:\d+\)$/.test(String(s)))));
  } finally {
    a.stop();
  }
});

test('profile_memory() ends early without rows when cancelled', async () => {
  const controller = new AbortController();
  controller.abort();
  const { rows, logs } = await run.query('SELECT * FROM profile_memory()', controller.signal);
  assert.deepEqual(rows, []);
  assert.deepEqual(logs, []);
});

test('memoryRows(): bytes per node, samples counted per node, stacks innermost first without (root)', () => {
  const cf = (functionName: string, lineNumber: number) => ({ functionName, url: 'file:///src/a.js', lineNumber });
  const profile: SamplingProfile = {
    head: {
      id: 1, callFrame: cf('(root)', -1), selfSize: 0, children: [
        { id: 2, callFrame: cf('outer', 9), selfSize: 100, children: [
          { id: 3, callFrame: cf('', 19), selfSize: 300, children: [] },
        ] },
      ],
    },
    samples: [
      { size: 100, nodeId: 2, ordinal: 1 },
      { size: 150, nodeId: 3, ordinal: 2 },
      { size: 150, nodeId: 3, ordinal: 3 },
    ],
  };
  assert.deepEqual(JSON.parse(toJSON(memoryRows(profile))), [
    { InUseBytes: 300, InUseObjects: 2, CallStack: [{ Name: '(anonymous)', File: '/src/a.js', Line: 20 }, { Name: 'outer', File: '/src/a.js', Line: 10 }] },
    { InUseBytes: 100, InUseObjects: 1, CallStack: [{ Name: 'outer', File: '/src/a.js', Line: 10 }] },
  ]);
});
