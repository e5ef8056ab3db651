// The monitoring log browser in Chromium: day files written by the collector's store are listed
// with their row counts; one day, then a range of two days (with a schema-change part), open
// as one table in time order with the chart.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { MonitoringStore } from '../../main/collector/store.ts';
import { VDict } from '../../main/vql/values/types.ts';
import { e2eSkip, openApp, type App } from './harness.ts';

const T0 = Date.parse('2024-03-01T10:00:00Z') / 1000;
const stat = (i: number, day: number) => VDict.fromObject({ Timestamp: T0 + day * 86_400 + i, CPU: 1 + i / 10, RSS: 60_000_000 + i * 1000, CPUPercent: i / 100, _ts: T0 + day * 86_400 + i });

describe('e2e: monitoring logs', { skip: e2eSkip() }, () => {
  let app: App;
  before(async () => {
    app = await openApp('logs', {}, { collector: true });
    let now = new Date('2024-03-01T10:00:00Z');
    const store = new MonitoringStore({ datastore: join(app.dir, 'datastore'), now: () => now });
    await store.append('Test.Logged', [stat(0, 0), stat(1, 0), stat(2, 0)]);
    now = new Date('2024-03-02T10:00:00Z');
    await store.append('Test.Logged', [stat(0, 1), stat(1, 1)]);
    const changed = stat(2, 1);
    changed.set('Note', 'schema change');
    await store.append('Test.Logged', [changed]);
    await store.close();
  });
  after(async () => app?.close());

  test('lists the days with row counts and opens one day, then a range, in time order with the chart', { timeout: 60_000 }, async () => {
    const { page } = app;
    await page.getByRole('tab', { name: 'Monitoring logs' }).click();
    await page.getByRole('button', { name: /^Test\.Logged/ }).click();
    const days = page.getByRole('navigation', { name: 'Days of Test.Logged' });
    const day1 = days.getByRole('button', { name: /2024-03-01\s*3 rows/ });
    const day2 = days.getByRole('button', { name: /2024-03-02\s*3 rows/ });
    await day1.waitFor();
    await day2.waitFor();
    await page.getByText('March 2024').waitFor();
    await app.screenshot('days');

    await day1.click();
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    const rows = page.getByRole('region', { name: 'Log rows' });
    await rows.getByText(/^Done · 3 rows/).waitFor({ timeout: 5000 });
    await rows.getByRole('figure', { name: 'Chart: 3 points' }).waitFor();
    await app.screenshot('one-day');

    await day2.click({ modifiers: ['Shift'] });
    assert.equal(await day1.getAttribute('aria-pressed'), 'true');
    assert.equal(await day2.getAttribute('aria-pressed'), 'true');
    await page.getByText('6 rows in the chosen days').waitFor();
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await rows.getByText(/^Done · 6 rows/).waitFor({ timeout: 5000 });
    const chart = rows.getByRole('figure', { name: 'Chart: 6 points' });
    await chart.waitFor();
    assert.ok(await chart.getByLabel('CPUPercent').isChecked());
    assert.ok(await chart.getByLabel('RSS').isChecked());
    const grid = rows.getByRole('grid', { name: 'Log rows' });
    assert.ok((await grid.getByRole('row').count()) > 0);
    assert.ok(await grid.getByText('schema change').count(), 'the schema-change part is in the table');
    await app.screenshot('range');
    assert.deepEqual(app.errors, []);
  });
});
