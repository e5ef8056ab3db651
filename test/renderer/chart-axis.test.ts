// The charts' axes and the time zone setting (renderer/lib/chart/axis.ts,
// renderer/lib/settings/time-zone.ts): times read the same in the grid and under the chart, in
// UTC and in local time (the local zone is set through TZ, checked against Intl's own zone
// data), and value ranges with one, two or all-equal values are never of zero height.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MIN_TIME_SPAN, niceStep, tickUnit, timeRange, timeTickLabels, valueRange } from '../../renderer/lib/chart/axis.ts';
import { loadZone, readZoneFrom, saveZone, shownZone, TIME_ZONE_KEY, timeParts, timeText, zoneLabel, type TimeZoneMode } from '../../renderer/lib/settings/time-zone.ts';
import { displayText } from '../../renderer/lib/table/number-text.ts';
import { cellDisplay } from '../../renderer/lib/workbench/cells.ts';
import { cellText } from '../../renderer/lib/table/cell-text.ts';
import { axisLabels } from '../../renderer/lib/chart/series.ts';
import { columnWidth } from '../../renderer/lib/table/widths.ts';

const NY = 'America/New_York';
const MAY1 = Date.parse('2024-05-01T08:00:00Z');

/** The wall time of `ms` in `zone` by Intl (an oracle independent of the code under test): `2024-05-01T04:00:00`. */
function wall(ms: number, zone: string): string {
  const f = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  const p = Object.fromEntries(f.formatToParts(ms).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
}

/** The grid text of `ms` is written by `label` (`time\ndate`, or a date) with `date` known. */
function labelIsPrefix(label: string, grid: string, date: string): boolean {
  const [time, own] = label.split('\n');
  return /^\d{4}-\d\d-\d\d$/.test(time!) ? grid.startsWith(time!) : grid.startsWith(`${own ?? date}T${time}`);
}

describe('time zone setting', () => {
  let saved: string | undefined;
  before(() => {
    saved = process.env.TZ;
    process.env.TZ = NY;
  });
  after(() => {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
    readZoneFrom(() => 'utc');
  });

  test('UTC is ISO 8601 with Z, local time the same form with the offset of that instant (summer and winter)', () => {
    assert.equal(timeText(MAY1, 'utc'), '2024-05-01T08:00:00.000Z');
    assert.equal(timeText(MAY1, 'local'), '2024-05-01T04:00:00.000-04:00');
    const jan = Date.parse('2024-01-01T03:30:00.250Z');
    assert.equal(timeText(jan, 'local'), '2023-12-31T22:30:00.250-05:00', 'the day before, in winter time');
    for (const ms of [MAY1, jan, Date.parse('2024-03-10T06:59:59Z'), Date.parse('2024-03-10T07:00:00Z'), Date.parse('2024-11-03T05:30:00Z'), Date.parse('2024-11-03T06:30:00Z')]) {
      const text = timeText(ms, 'local');
      assert.equal(text.slice(0, 19), wall(ms, NY), `wall time of ${new Date(ms).toISOString()}`);
      assert.equal(Date.parse(text), ms, `${text} names the same instant`);
    }
    assert.equal(timeText(Number.NaN, 'local'), 'NaN');
    assert.deepEqual(timeParts(MAY1, 'utc'), { date: '2024-05-01', time: '08:00:00.000', offset: 'Z' });
    assert.equal(zoneLabel('utc'), 'UTC');
    assert.equal(zoneLabel('local', MAY1), 'local, UTC-04:00');
    assert.equal(zoneLabel('local', Date.parse('2024-01-05T00:00:00Z')), 'local, UTC-05:00', 'winter');
    assert.equal(zoneLabel('local', Date.parse('2024-03-09T12:00:00Z'), Date.parse('2024-03-11T12:00:00Z')), 'local, UTC-05:00/-04:00', 'across the change to summer time');
  });

  test('the grids show times in the zone of the setting; copy, filter and export text stays UTC', () => {
    let mode: TimeZoneMode = 'utc';
    readZoneFrom(() => mode);
    const col = { name: 'Timestamp', type: 'timestamp' as const };
    assert.equal(displayText(MAY1, col), '2024-05-01T08:00:00.000Z');
    assert.equal(cellDisplay(MAY1, { ...col, sqlType: 'TIMESTAMP' }), '2024-05-01T08:00:00.000Z');
    mode = 'local';
    assert.equal(shownZone(), 'local');
    assert.equal(displayText(MAY1, col), '2024-05-01T04:00:00.000-04:00', 'live grid');
    assert.equal(cellDisplay(MAY1, { ...col, sqlType: 'TIMESTAMP' }), '2024-05-01T04:00:00.000-04:00', 'workbench grid');
    assert.equal(cellText(MAY1, 'timestamp'), '2024-05-01T08:00:00.000Z', 'the value\'s text is still UTC');
    assert.equal(displayText(0.5, { name: 'CPU', type: 'number' }), '0.5', 'numbers are not times');
  });

  test('stored in localStorage; a foreign or unreadable value reads as UTC', () => {
    const map = new Map<string, string>();
    const store = { getItem: (k: string) => map.get(k) ?? null, setItem: (k: string, v: string) => void map.set(k, v) };
    assert.equal(loadZone(store), 'utc');
    saveZone(store, 'local');
    assert.equal(map.get(TIME_ZONE_KEY), 'local');
    assert.equal(loadZone(store), 'local');
    map.set(TIME_ZONE_KEY, 'Mars/Olympus');
    assert.equal(loadZone(store), 'utc');
    const refusing = { getItem: () => { throw new Error('denied'); }, setItem: () => { throw new Error('denied'); } };
    assert.equal(loadZone(refusing), 'utc');
    saveZone(refusing, 'local'); // warns, does not throw
    assert.equal(loadZone(null), 'utc');
  });
});

describe('time axis labels', () => {
  let saved: string | undefined;
  before(() => {
    saved = process.env.TZ;
    process.env.TZ = NY;
  });
  after(() => {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  });

  test('the unit follows the step', () => {
    assert.equal(tickUnit(86_400), 'day');
    assert.equal(tickUnit(7 * 86_400), 'day');
    assert.equal(tickUnit(3600), 'minute');
    assert.equal(tickUnit(300), 'minute');
    assert.equal(tickUnit(15), 'second');
    assert.equal(tickUnit(90), 'second', 'a minute and a half needs the seconds');
    assert.equal(tickUnit(0.25), 'millisecond');
  });

  test('each label is the start of the grid text of its instant, in UTC and in local time', () => {
    const t0 = MAY1 / 1000;
    const cases: Array<[number[], number]> = [
      [[0, 300, 600, 900].map((d) => t0 + d), 300],
      [[0, 15, 30, 45].map((d) => t0 + d), 15],
      [[0, 0.25, 0.5].map((d) => t0 + d), 0.25],
      // Over midnight in both zones: the date shows again under the tick of the new day.
      [[0, 6, 12, 18, 24].map((h) => t0 + h * 3600), 6 * 3600],
      [[0, 1, 2].map((d) => Date.parse('2024-05-01T00:00:00Z') / 1000 + d * 86_400), 86_400],
    ];
    for (const mode of ['utc', 'local'] as const) {
      for (const [splits, incr] of cases) {
        const labels = timeTickLabels(splits, incr, mode);
        assert.equal(labels.length, splits.length);
        let date = '';
        labels.forEach((label, i) => {
          const grid = timeText(splits[i]! * 1000, mode);
          date = label.split('\n')[1] ?? date;
          assert.ok(labelIsPrefix(label, grid, date), `${mode} ${incr}s: tick ${JSON.stringify(label)} starts ${grid}`);
        });
        assert.match(labels[0]!, tickUnit(incr) === 'day' ? /^\d{4}-\d\d-\d\d$/ : /\n\d{4}-\d\d-\d\d$/, 'the first tick carries the date');
        assert.equal(new Set(labels).size, labels.length, `${mode} ${incr}s: no two ticks alike: ${labels.join(' | ')}`);
      }
    }
    assert.deepEqual(timeTickLabels([t0, t0 + 300], 300, 'utc'), ['08:00\n2024-05-01', '08:05']);
    assert.deepEqual(timeTickLabels([t0, t0 + 300], 300, 'local'), ['04:00\n2024-05-01', '04:05']);
    // 18:00 UTC and 00:00 UTC the next day are 14:00 and 20:00 in New York: one date, not two.
    const evening = timeTickLabels([t0 + 10 * 3600, t0 + 16 * 3600, t0 + 22 * 3600], 6 * 3600, 'local');
    assert.deepEqual(evening, ['14:00\n2024-05-01', '20:00', '02:00\n2024-05-02']);
    assert.deepEqual(timeTickLabels([t0 + 10 * 3600, t0 + 16 * 3600, t0 + 22 * 3600], 6 * 3600, 'utc'), ['18:00\n2024-05-01', '00:00\n2024-05-02', '06:00']);
  });

  test('a short or single-instant x range is widened to a minute around the data', () => {
    assert.deepEqual(timeRange(1000, 1000), [1000 - MIN_TIME_SPAN / 2, 1000 + MIN_TIME_SPAN / 2]);
    assert.deepEqual(timeRange(1000, 1010), [1005 - MIN_TIME_SPAN / 2, 1005 + MIN_TIME_SPAN / 2]);
    assert.deepEqual(timeRange(1000, 5000), [1000, 5000]);
    assert.deepEqual(timeRange(null, null, 500), [500 - MIN_TIME_SPAN, 500]);
  });
});

describe('value ranges', () => {
  /** The tick values a range gives with its own 1-2-5 step (as uPlot picks them, about 4 steps). */
  const ticks = ([lo, hi]: [number, number]) => {
    const step = niceStep((hi - lo) / 4);
    const out: number[] = [];
    for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(v);
    return out;
  };

  test('niceStep is 1, 2 or 5 times a power of ten, at least the step asked for', () => {
    assert.equal(niceStep(0.3), 0.5);
    assert.equal(niceStep(1), 1);
    assert.equal(niceStep(0.1 + 0.2 - 0.2), 0.1);
    assert.equal(niceStep(130), 200);
    assert.equal(niceStep(6e6), 1e7);
    assert.equal(niceStep(0), 1);
  });

  test('one value, two values, all equal values, none: never a zero-height range, values inside with room', () => {
    const cases: Array<[number | null, number | null, boolean]> = [
      [5, 5, false], [0, 0, false], [1.5, 1.5, false], [-2, -2, false], [0.0118, 0.0118, false], [60e6, 60e6, false],
      [60_000_000, 60_001_000, false], [1.18, 1.19, false], [0.1, 0.3, false], [-5, 3, false], [1714550400, 1714550401, false],
      [1, 1, true], [3, 7, true], [0, 0, true], [2, 2, true],
    ];
    for (const [min, max, fromZero] of cases) {
      const [lo, hi] = valueRange(min, max, fromZero);
      const what = `${min}..${max}${fromZero ? ' (counts)' : ''} → ${lo}..${hi}`;
      assert.ok(hi > lo, `${what}: has height`);
      assert.ok(lo <= min! && hi >= max!, `${what}: holds the values`);
      if (max! > min!) assert.ok(hi > max! && (lo < min! || lo === 0), `${what}: room around the values`);
      else if (!fromZero) assert.ok(hi > max! && lo < min! || lo === 0, `${what}: room around a flat line`);
      if (min! >= 0) assert.ok(lo >= 0, `${what}: no negative bound for values that are all zero or more`);
      if (fromZero) assert.equal(lo, 0, `${what}: counts start at 0`);
      // At least two distinct tick labels: a flat or tight series still reads.
      const labels = axisLabels(ticks([lo, hi]));
      assert.ok(new Set(labels).size >= 2 && new Set(labels).size === labels.length, `${what}: ticks ${labels.join(' ')}`);
    }
    assert.deepEqual(valueRange(null, null), [0, 1]);
    assert.deepEqual(valueRange(5, 5), [4.6, 5.4]);
    assert.deepEqual(valueRange(3, 7, true), [0, 8]);
    assert.deepEqual(valueRange(7, 3), valueRange(3, 7), 'bounds given in either order');
  });
});

test('axis labels of ticks close together on a large value stay distinct (a smaller unit)', () => {
  assert.deepEqual(axisLabels([1714550399.5, 1714550400, 1714550400.5]), ['1714550399.5', '1714550400.0', '1714550400.5']);
  assert.deepEqual(axisLabels([60_000_000, 60_000_500, 60_001_000]), ['60000.0k', '60000.5k', '60001.0k']);
  assert.deepEqual(axisLabels([241_000_000, 241_500_000, 242_000_000]), ['241.0M', '241.5M', '242.0M'], 'the unit kept when 3 decimals do');
});

test('a time column is wide enough for either zone\'s text, so switching the setting does not cut the offset', () => {
  const utc = ['2024-05-01T08:00:00.000Z'];
  const local = ['2024-05-01T04:00:00.000-04:00'];
  assert.equal(columnWidth('Timestamp', 'timestamp', utc), columnWidth('Timestamp', 'timestamp', local));
  assert.ok(columnWidth('Timestamp', 'timestamp', utc) >= local[0]!.length * 7.6 + 16);
});
