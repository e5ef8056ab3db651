// The chart's choices over any TableSource: the time column, numeric columns, default series,
// and the points (sorted by time); plus the live view's and log browser's small models.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RowSource } from '../../renderer/lib/table/source.ts';
import { RingSource } from '../../renderer/lib/events/ring-source.ts';
import { axisLabels, chartData, compactNumber, defaultSeries, detectTimeColumn, numericColumns, toEpochSeconds } from '../../renderer/lib/chart/series.ts';
import { eventItems, formValues, rateText, sameParameters, stateText } from '../../renderer/lib/events/status.ts';
import { byMonth, formatBytes, pickDay, rowsIn } from '../../renderer/lib/events/days.ts';
import type { ArtifactSummary, EventArtifactStatus } from '../../main/ipc/contract.ts';

function source(objects: Array<Record<string, unknown>>): RowSource {
  const s = new RowSource();
  s.append(objects);
  return s;
}
const name = (s: RowSource | RingSource, i: number) => (i < 0 ? null : s.columns[i]!.name);

test('epoch seconds from seconds, ms, µs, ns, ISO text and table timestamps', () => {
  assert.equal(toEpochSeconds(1_700_000_000), 1_700_000_000);
  assert.equal(toEpochSeconds(1_700_000_000_123), 1_700_000_000.123);
  assert.equal(toEpochSeconds(1_700_000_000_123_456), 1_700_000_000.123456);
  assert.equal(toEpochSeconds(1_700_000_000_123_456_789), 1_700_000_000.1234567);
  assert.equal(toEpochSeconds('2024-03-01T10:00:00Z'), 1_709_287_200);
  assert.equal(toEpochSeconds('1709287200'), 1_709_287_200);
  assert.equal(toEpochSeconds(1_709_287_200_000, true), 1_709_287_200);
  for (const v of ['', 'hello', null, true, {}, NaN]) assert.ok(Number.isNaN(toEpochSeconds(v as never)), String(v));
});

test('time column: a time-like name with time values, else a timestamp-typed column, else _ts', () => {
  // Generic.Client.Stats: Timestamp (float seconds) wins over _ts.
  const stats = source([{ Timestamp: 1_709_287_200.5, CPU: 1.2, RSS: 61_000_000, CPUPercent: null, _ts: 1_709_287_200 }]);
  assert.equal(name(stats, detectTimeColumn(stats)), 'Timestamp');
  // A column named Time holding small counters is not a time; _ts is used.
  const counters = source([{ Time: 3, N: 1, _ts: 1_709_287_200 }]);
  assert.equal(name(counters, detectTimeColumn(counters)), '_ts');
  assert.equal(detectTimeColumn(source([{ EventTime: '2024-03-01T10:00:00Z', Pid: 4 }])), 0);
  const typed = { columns: [{ name: 'A', type: 'number' as const }, { name: 'When', type: 'timestamp' as const }], rowCount: 1, cell: (_r: number, c: number) => (c === 1 ? 1_709_287_200_000 : 5), subscribe: () => () => {} };
  assert.equal(detectTimeColumn(typed), 1);
  assert.equal(detectTimeColumn(source([{ FileDate: '2024-03-01', N: 1 }])), 0, 'a name with date in it, read as a date');
  assert.equal(detectTimeColumn(source([{ N: 1, Name: 'x' }])), -1);
});

test('numeric columns and the default series: CPU% and RSS for Generic.Client.Stats', () => {
  const stats = new RingSource(10);
  stats.append([
    { Timestamp: 1_709_287_200, CPU: 1.2, RSS: 61_000_000, CPUPercent: null, _ts: 1_709_287_200 },
    { Timestamp: 1_709_287_201, CPU: 1.25, RSS: 61_100_000, CPUPercent: 0.05, _ts: 1_709_287_201 },
  ]);
  const t = detectTimeColumn(stats);
  const numeric = numericColumns(stats, t).map((i) => stats.columns[i]!.name);
  assert.deepEqual(numeric, ['CPU', 'RSS', 'CPUPercent']);
  assert.deepEqual(defaultSeries(numeric), ['CPUPercent', 'RSS']);
  assert.deepEqual(defaultSeries(['Bytes', 'Count']), ['Bytes']);
  assert.deepEqual(defaultSeries([]), []);
  const mixed = source([{ T: 1_709_287_200, A: 1, B: 'x' }, { T: 1_709_287_201, A: 'y', B: 2 }]);
  assert.deepEqual(numericColumns(mixed, 0), [], 'a column with any text is not numeric');
});

test('chart points are the rows with a time, sorted by it; non-numbers are gaps', () => {
  const s = source([
    { T: 1_709_287_202, V: 3 },
    { T: 'soon', V: 9 },
    { T: 1_709_287_200, V: 1 },
    { T: 1_709_287_201, V: 'n/a' },
  ]);
  const d = chartData(s, 0, [1]);
  assert.deepEqual(d.xs, [1_709_287_200, 1_709_287_201, 1_709_287_202]);
  assert.deepEqual(d.ys, [[1, null, 3]]);
  assert.equal(d.points, 3);
  // Two days of rows a second apart: the night between them is a break, not a line.
  const days = source([0, 1, 2, 86_400, 86_401].map((dt) => ({ T: 1_709_287_200 + dt, V: dt })));
  const g = chartData(days, 0, [1]);
  assert.equal(g.points, 5);
  assert.deepEqual(g.ys[0], [0, 1, 2, null, 86_400, 86_401]);
  assert.equal(compactNumber(61_234_567), '61.2M');
  assert.equal(compactNumber(0.25), '0.25');
  assert.equal(compactNumber(12_345), '12.3k');
  assert.deepEqual(axisLabels([241_000_000, 241_500_000, 242_000_000]), ['241.0M', '241.5M', '242.0M']);
  assert.deepEqual(axisLabels([0.03, 0.035, 0.04]), ['0.030', '0.035', '0.040']);
  assert.deepEqual(axisLabels([0, 10, 20]), ['0', '10', '20']);
});

test('event items, state text, rates and the form values from the events file', () => {
  const summary = (n: string, type: string): ArtifactSummary => ({ name: n, type, description: '', builtIn: true, file: '' });
  const st = (artifact: string, extra: Partial<EventArtifactStatus> = {}): EventArtifactStatus => ({ artifact, parameters: {}, state: 'running', rowsToday: 0, rowsPerSecond: 0, ...extra });
  const items = eventItems([summary('B.Ev', 'client_event'), summary('A.Client', 'client'), summary('A.Ev', 'CLIENT_EVENT')], [st('B.Ev'), st('Gone.Ev', { state: 'failed', error: 'no longer loads' })]);
  assert.deepEqual(items.map((i) => [i.name, i.status?.state ?? '-']), [['A.Ev', '-'], ['B.Ev', 'running'], ['Gone.Ev', 'failed']]);
  assert.equal(stateText(undefined), 'stopped');
  assert.equal(stateText(st('X', { state: 'paused', limit: 'ops_per_second' })), 'paused by ops_per_second');
  assert.equal(stateText(st('X', { state: 'backoff' })), 'restarting after a backoff');
  assert.equal(rateText(0.987), '0.99 rows/s');
  assert.equal(rateText(12_345.6), '12,346 rows/s');
  const params = [{ name: 'Frequency', type: 'int', default: '10', description: '' }, { name: 'Verbose', type: 'bool', default: 'N', description: '' }];
  assert.deepEqual(formValues(params, { Frequency: '1' }), { Frequency: '1', Verbose: false });
  assert.deepEqual(formValues(params), { Frequency: '10', Verbose: false });
  assert.ok(sameParameters({ A: '1' }, { A: '1' }) && !sameParameters({ A: '1' }, {}) && !sameParameters({ A: '1' }, { A: '2' }));
});

test('the log timeline: months newest first, picking a day or a range, sizes', () => {
  const days = [{ day: '2024-02-28', rows: 5, bytes: 10 }, { day: '2024-03-01', rows: 3, bytes: 10 }, { day: '2024-03-04', rows: 1, bytes: 10 }];
  assert.deepEqual(byMonth(days).map((m) => [m.label, m.rows, m.days.map((d) => d.day)]), [['March 2024', 4, ['2024-03-04', '2024-03-01']], ['February 2024', 5, ['2024-02-28']]]);
  let r = pickDay(null, '2024-03-01', true);
  assert.deepEqual(r, { from: '2024-03-01', to: '2024-03-01' });
  r = pickDay(r, '2024-03-04', true);
  assert.deepEqual(r, { from: '2024-03-01', to: '2024-03-04' });
  r = pickDay(r, '2024-02-28', true);
  assert.deepEqual(r, { from: '2024-02-28', to: '2024-03-04' });
  assert.equal(rowsIn(days, r), 9);
  assert.deepEqual(pickDay(r, '2024-03-01', false), { from: '2024-03-01', to: '2024-03-01' });
  assert.equal(formatBytes(812), '812 B');
  assert.equal(formatBytes(3_100_000), '3.1 MB');
});
