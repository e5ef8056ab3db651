// The monitoring chart's choices over a table opened by the engine (renderer/lib/chart/timeline.ts):
// the time axis, the columns that can be averaged, what shows first, and uPlot's arrays and x
// range from a `table:timeline` reply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { averageable, bucketText, defaultLines, ROWS_SERIES, timeAxis, timelinePlot, timelineRange } from '../../renderer/lib/chart/timeline.ts';
import type { TableColumn, TableTimeline } from '../../main/ipc/contract.ts';

const col = (name: string, type: TableColumn['type']): TableColumn => ({ name, type, sqlType: type === 'number' ? 'DOUBLE' : 'VARCHAR' });

test('the time axis: a timestamp named like the row\'s time, else _ts, else the first timestamp; none without one', () => {
  assert.equal(timeAxis([col('_ts', 'timestamp'), col('Start', 'timestamp'), col('Timestamp', 'timestamp')]), 'Timestamp');
  assert.equal(timeAxis([col('Start', 'timestamp'), col('_ts', 'timestamp')]), '_ts');
  assert.equal(timeAxis([col('Time', 'text'), col('Start', 'timestamp')]), 'Start', 'a text column named Time is not a time');
  assert.equal(timeAxis([col('N', 'number')]), null);
});

test('number columns are averaged (not _row); CPU% and RSS show first, else the row counts', () => {
  assert.deepEqual(averageable([col('_row', 'number'), col('Pid', 'number'), col('Name', 'text'), col('_ts', 'timestamp'), col('Ok', 'bool')]), ['Pid']);
  assert.deepEqual(defaultLines(['CPU', 'RSS', 'CPUPercent']), ['CPUPercent', 'RSS']);
  assert.deepEqual(defaultLines(['Pid', 'Ppid']), [ROWS_SERIES]);
});

test('uPlot\'s data: bars at the middle of their buckets, counts and averages in the order asked, rows counted', () => {
  const tl: TableTimeline = { column: '_ts', start: 1_000_000, bucketMs: 60_000, counts: [2, 0, 3], series: [{ column: 'RSS', avg: [10, null, 30] }] };
  const p = timelinePlot(tl, ['RSS', ROWS_SERIES, 'Gone']);
  assert.deepEqual(p.xs, [1030, 1090, 1150]);
  assert.deepEqual(p.ys, [[10, null, 30], [2, 0, 3], [null, null, null]]);
  assert.equal(p.rows, 5);
  assert.deepEqual(timelineRange(tl), [1000, 1180]);
  // One bar of 1 ms (a single row): a minute around it, not a stretched axis.
  assert.deepEqual(timelineRange({ column: '_ts', start: 5_000_000, bucketMs: 1, counts: [1] }), [5000.0005 - 30, 5000.0005 + 30]);
});

test('bucket widths as a person says them', () => {
  assert.deepEqual([1, 500, 1000, 15 * 60_000, 3_600_000, 6 * 3_600_000, 86_400_000, 7 * 86_400_000, 30 * 86_400_000].map(bucketText),
    ['1 millisecond', '500 milliseconds', '1 second', '15 minutes', '1 hour', '6 hours', '1 day', '1 week', '30 days']);
});
