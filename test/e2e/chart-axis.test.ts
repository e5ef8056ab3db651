// The charts' time axes read like the grid, in Chromium against the web host: Chromium runs with
// TZ=America/New_York so that local time differs from UTC. The monitoring logs chart's tick
// labels are the start of the grid's text for the same instant, in UTC (the default) and in
// local time after the header's Times setting is changed (which the grid follows too, and which
// a reload keeps); the live view's chart of Generic.Client.Stats does the same for live rows. A
// chart of two rows (one series flat, the other two close values) gets y ranges of some height
// with distinct tick labels. Each tick is also checked against Intl's own zone data.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { MonitoringStore } from '../../main/collector/store.ts';
import { VDict } from '../../main/vql/values/types.ts';
import { e2eSkip, openApp, type App } from './harness.ts';

const ZONE = 'America/New_York';
const T0 = Date.parse('2024-05-01T08:00:00Z') / 1000;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$/;

/** The wall time of `ms` in `zone`, by Intl (not by the app's code): `2024-05-01T04:00:00.000`. */
function wall(ms: number, zone: string): string {
  const f = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3, hourCycle: 'h23' });
  const p = Object.fromEntries(f.formatToParts(ms).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}.${p.fractionalSecond}`;
}

/** The chart's tick labels as drawn (Plot.svelte writes them on its box): [epoch seconds, label]. */
async function ticks(figure: Locator): Promise<Array<[number, string]>> {
  const box = figure.locator('.plot');
  await box.and(figure.locator('[data-x-ticks]')).waitFor();
  return JSON.parse((await box.getAttribute('data-x-ticks'))!) as Array<[number, string]>;
}

/** Every tick reads `time\ndate` (or a date) in `zone`; its date-and-time is the start of `grid(t)` when the grid has that instant. Returns how many ticks matched a grid row. */
function checkTicks(list: Array<[number, string]>, zone: string, grid: Map<number, string>): number {
  assert.ok(list.length >= 2, `ticks: ${JSON.stringify(list)}`);
  let date = '';
  let matched = 0;
  for (const [t, label] of list) {
    const [time, own] = label.split('\n');
    const whole = /^\d{4}-\d\d-\d\d$/.test(time!) ? time! : `${(date = own ?? date)}T${time}`;
    const truth = wall(t * 1000, zone);
    assert.ok(truth.startsWith(whole), `tick at ${new Date(t * 1000).toISOString()} reads ${JSON.stringify(label)}, the wall time in ${zone} is ${truth}`);
    const text = grid.get(t * 1000);
    if (text !== undefined) {
      assert.ok(text.startsWith(whole), `tick ${JSON.stringify(label)} and the grid's ${text} name the same instant alike`);
      matched++;
    }
  }
  assert.ok(list[0]![1].includes('-'), 'the first tick carries the date');
  return matched;
}

/** The Timestamp cells of the rows on screen: instant (ms) → text, checked to be what the text says. */
async function gridTimes(grid: Locator, column: number, zone: string): Promise<Map<number, string>> {
  const texts = await grid.locator('[role=row]').evaluateAll((rs, c) => rs.map((r) => r.querySelectorAll('[role="gridcell"]')[c]?.textContent?.trim() ?? '').filter(Boolean), column);
  const out = new Map<number, string>();
  for (const text of texts) {
    assert.match(text, ISO, 'the grid writes times in ISO 8601');
    const ms = Date.parse(text);
    assert.ok(wall(ms, zone) === text.slice(0, 23), `${text} is the wall time in ${zone}`);
    out.set(ms, text);
  }
  assert.ok(out.size > 0, 'time cells on screen');
  return out;
}

describe('e2e: chart time axes read like the grid', { skip: e2eSkip() }, () => {
  let app: App;
  let page: Page;
  before(async () => {
    const saved = process.env.TZ;
    process.env.TZ = ZONE; // Chromium takes the environment at launch
    try {
      app = await openApp('chart-axis', {}, { collector: true });
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
    page = app.page;
    const store = new MonitoringStore({ datastore: join(app.dir, 'datastore'), now: () => new Date(T0 * 1000) });
    // A row a minute for half an hour: every tick on a whole minute has a row in the grid.
    await store.append('Test.Axis', Array.from({ length: 31 }, (_, i) => VDict.fromObject({ Timestamp: T0 + i * 60, CPU: 1 + (i % 5) / 10 })));
    // Two rows: CPUPercent flat, RSS two close values.
    await store.append('Test.Two', [
      VDict.fromObject({ Timestamp: T0, CPUPercent: 0.015, RSS: 60_000_000 }),
      VDict.fromObject({ Timestamp: T0 + 60, CPUPercent: 0.015, RSS: 60_001_000 }),
    ]);
    await store.close();
  });
  after(async () => app?.close());

  const rows = () => page.getByRole('region', { name: 'Log rows' });
  const logGrid = () => rows().getByRole('grid', { name: 'Log rows' });
  async function openDay(artifact: string, n: number): Promise<Locator> {
    await page.getByRole('tab', { name: 'Monitoring logs' }).click();
    await page.getByRole('button', { name: new RegExp(`^${artifact.replace('.', '\\.')}`) }).click();
    await page.getByRole('navigation', { name: `Days of ${artifact}` }).getByRole('button', { name: new RegExp(`2024-05-01\\s*${n} rows`) }).click();
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    const figure = rows().getByRole('figure', { name: `Chart: ${n} rows` });
    await figure.waitFor({ timeout: 30_000 });
    await logGrid().locator('[role=row][data-row]').first().waitFor();
    return figure;
  }

  test('monitoring logs: ticks in UTC, then in local time, as the grid writes them; the setting is kept', { timeout: 90_000 }, async () => {
    assert.equal(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone), ZONE, 'Chromium runs in New York time');
    const figure = await openDay('Test.Axis', 31);
    const zone = page.getByLabel('Time zone');
    assert.equal(await zone.inputValue(), 'utc', 'UTC by default');
    // The Timestamp column is the grid's third (after the tag and row number columns).
    let grid = await gridTimes(logGrid(), 2, 'UTC');
    assert.ok([...grid.values()].every((t) => t.endsWith('Z')));
    let matched = checkTicks(await ticks(figure), 'UTC', grid);
    assert.equal(await figure.locator('.plot').getAttribute('data-x-label'), 'Time (UTC)');
    assert.ok(matched >= 2, `ticks fall on rows of the grid (${matched})`);
    await app.screenshot('logs-utc');

    await zone.selectOption('local');
    await page.waitForFunction(() => /-04:00$/.test(document.querySelector('[aria-label="Log rows"] [role=row][data-row] [role=gridcell]:nth-child(3)')?.textContent?.trim() ?? ''));
    grid = await gridTimes(logGrid(), 2, ZONE);
    assert.ok([...grid.values()].every((t) => t.endsWith('-04:00')), 'the grid follows the setting');
    await page.waitForFunction(() => /^04:/.test(JSON.parse(document.querySelector('[aria-label^="Chart"] .plot')?.getAttribute('data-x-ticks') ?? '[[0,""]]')[0][1]));
    matched = checkTicks(await ticks(figure), ZONE, grid);
    assert.equal(await figure.locator('.plot').getAttribute('data-x-label'), 'Time (local, UTC-04:00)', 'the offset of May, not of today');
    assert.ok(matched >= 2, `ticks fall on rows of the grid (${matched})`);
    await app.screenshot('logs-local');

    await page.reload();
    assert.equal(await page.getByLabel('Time zone').inputValue(), 'local', 'the setting survives a reload');
    assert.equal(await page.evaluate(() => localStorage.getItem('vql-workbench.timeZone')), 'local');
    const again = await openDay('Test.Axis', 31);
    checkTicks(await ticks(again), ZONE, await gridTimes(logGrid(), 2, ZONE));
    await page.getByLabel('Time zone').selectOption('utc');
    await page.waitForFunction(() => /Z$/.test(document.querySelector('[aria-label="Log rows"] [role=row][data-row] [role=gridcell]:nth-child(3)')?.textContent?.trim() ?? ''));
    assert.deepEqual(app.errors, []);
  });

  test('a two-row chart: y ranges of some height around the values, distinct tick labels', { timeout: 60_000 }, async () => {
    const figure = await openDay('Test.Two', 2);
    assert.ok(await figure.getByLabel('CPUPercent').isChecked());
    assert.ok(await figure.getByLabel('RSS').isChecked());
    const box = figure.locator('.plot');
    await box.and(figure.locator('[data-y-ranges]')).waitFor();
    const ranges = JSON.parse((await box.getAttribute('data-y-ranges'))!) as Array<[number, number]>;
    const labels = JSON.parse((await box.getAttribute('data-y-ticks'))!) as string[][];
    const values = [[0.015, 0.015], [60_000_000, 60_001_000]];
    ranges.forEach(([lo, hi], i) => {
      const [a, b] = values[i]!;
      assert.ok(hi > lo, `series ${i}: range ${lo}..${hi} has height`);
      assert.ok(lo < a! && hi > b!, `series ${i}: ${lo}..${hi} leaves room around ${a}..${b}`);
      assert.ok(lo >= 0, `series ${i}: no negative bound for values above zero`);
      assert.ok(hi - lo < 10 * Math.max(b! - a!, Math.abs(b!) * 0.05), `series ${i}: the values fill a good part of ${lo}..${hi}`);
    });
    assert.ok(labels[0]!.every((l) => l.endsWith('%')), `CPUPercent reads as a percent, as in the grid: ${labels[0]}`);
    for (const [i, l] of labels.entries()) {
      assert.ok(l.length >= 2 && new Set(l).size === l.length, `axis ${i}: distinct tick labels ${l.join(' ')}`);
    }
    console.log(`# two-row chart: y ranges ${JSON.stringify(ranges)}, ticks ${JSON.stringify(labels)}`);
    await app.screenshot('two-rows');
    // The bars of counts (1 and 1) start at zero.
    await figure.getByLabel('Rows').check();
    await page.waitForFunction(() => (JSON.parse(document.querySelector('[aria-label^="Chart"] .plot')?.getAttribute('data-y-ranges') ?? '[]') as unknown[]).length === 3);
    const withBars = JSON.parse((await box.getAttribute('data-y-ranges'))!) as Array<[number, number]>;
    const bars = withBars[withBars.length - 1]!;
    assert.ok(bars[0] === 0 && bars[1] > 1, `counts of 1: range ${bars}`);
    assert.deepEqual(app.errors, []);
  });

  test('live view: the chart of live rows labels its ticks in the grid\'s zone and form', { timeout: 90_000 }, async () => {
    const STATS = 'Generic.Client.Stats';
    await page.getByRole('tab', { name: 'Live events' }).click();
    const item = page.getByRole('region', { name: STATS, exact: true });
    await item.getByText('Parameters').click();
    await item.getByLabel('Frequency').fill('1');
    await item.getByRole('button', { name: 'Start', exact: true }).click();
    await item.getByRole('button', { name: 'View', exact: true }).click();
    const live = page.getByRole('region', { name: `Live rows of ${STATS}` });
    const figure = live.locator('figure[data-points]');
    await page.waitForFunction(() => Number(document.querySelector('figure[data-points]')?.getAttribute('data-points')) >= 3, undefined, { timeout: 30_000 });
    const grid = live.getByRole('grid', { name: 'Live rows' });
    const column = await grid.getByRole('columnheader').evaluateAll((hs) => hs.findIndex((h) => /^Timestamp\b/.test(h.textContent?.trim() ?? '')));
    assert.ok(column >= 0, 'a Timestamp column');

    for (const [mode, zone] of [['utc', 'UTC'], ['local', ZONE]] as const) {
      await page.getByLabel('Time zone').selectOption(mode);
      await page.waitForFunction(([c, utc]) => {
        const t = document.querySelector(`[aria-label="Live rows"] [role=row] [role=gridcell]:nth-child(${c + 1})`)?.textContent?.trim() ?? '';
        return utc ? t.endsWith('Z') : /[+-]\d\d:\d\d$/.test(t);
      }, [column, mode === 'utc'] as const);
      const times = await gridTimes(grid, column, zone);
      const list = await ticks(figure);
      checkTicks(list, zone, times);
      // The rows are today's: the ticks' date is the grid's date.
      const dates = new Set([...times.values()].map((t) => t.slice(0, 10)));
      const tickDates = list.map(([, l]) => l.split('\n')[1]).filter(Boolean);
      assert.ok(tickDates.every((d) => dates.has(d!) || tickDates.length > 1), `tick dates ${tickDates} are the grid's ${[...dates]}`);
      if (mode === 'utc') {
        // The manual's picture: a chart of some length.
        await page.waitForFunction(() => Number(document.querySelector('figure[data-points]')?.getAttribute('data-points')) >= 12, undefined, { timeout: 30_000 });
        await app.docsShot('live-chart-1440x900');
      }
      await app.screenshot(`live-${mode}`);
    }
    await page.getByLabel('Time zone').selectOption('utc');
    await item.getByRole('button', { name: 'Stop', exact: true }).click();
    await item.getByText('stopped').waitFor({ timeout: 5000 });
    assert.deepEqual(app.errors, []);
  });
});
