// The status line of a run, for every state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, statusText } from '../../renderer/lib/run/status.ts';
import type { RunState } from '../../renderer/lib/state/queries.ts';

const S = (over: Partial<RunState>): RunState => ({ status: 'idle', rows: 0, ms: 0, startedAt: 0, logs: [], ...over });

test('durations read as ms, seconds, then minutes', () => {
  assert.deepEqual([formatDuration(41.4), formatDuration(2345), formatDuration(185_000)], ['41 ms', '2.3 s', '3 min 05 s']);
});

test('each state has its line: rows, time, and errors with line and column', () => {
  assert.equal(statusText(S({}), 0), 'Not run yet');
  assert.equal(statusText(S({ status: 'starting' }), 0), 'Starting…');
  assert.equal(statusText(S({ status: 'running', rows: 1 }), 1500), 'Running · 1 row · 1.5 s');
  assert.equal(statusText(S({ status: 'done', rows: 100000, ms: 900 }), 5), 'Done · 100,000 rows · 900 ms');
  assert.equal(statusText(S({ status: 'cancelled', rows: 3, ms: 3100 }), 0), 'Stopped · 3 rows · 3.1 s');
  const error = { code: 'ParseError', message: 'bad', span: { start: 0, end: 1, line: 2, column: 7 } };
  assert.equal(statusText(S({ status: 'failed', error }), 0), 'Error · line 2, column 7: bad');
  assert.equal(statusText(S({ status: 'failed', rows: 4, error: { code: 'E', message: 'boom' } }), 0), 'Error · boom (4 rows before the error)');
});
