// Live events in Chromium against the web host with the app's collector: start
// Generic.Client.Stats with Frequency=1, see at least 3 new rows and the chart's point count
// grow within 5 s, pause and resume the view, stop it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { e2eSkip, openApp, type App, until } from './harness.ts';

const STATS = 'Generic.Client.Stats';

/** "12 rows in view" of the live view's status line. */
async function rowsInView(page: Page): Promise<number> {
  const text = (await page.getByRole('status').filter({ hasText: 'rows in view' }).textContent()) ?? '';
  return Number(/([\d,]+) rows in view/.exec(text)?.[1]?.replace(/,/g, '') ?? NaN);
}

/** The chart's point count, from its accessible name "Chart: N points". */
async function chartPoints(chart: Locator): Promise<number> {
  return Number(/: (\d+) points/.exec((await chart.getAttribute('aria-label')) ?? '')?.[1] ?? NaN);
}

describe('e2e: live events', { skip: e2eSkip() }, () => {
  let app: App;
  before(async () => {
    app = await openApp('events', {}, { collector: true });
  });
  after(async () => app?.close());

  test('start Generic.Client.Stats at Frequency=1: rows and chart points grow within 5 s; pause, resume, stop', { timeout: 60_000 }, async () => {
    const { page } = app;
    await page.getByRole('tab', { name: 'Live events' }).click();
    const item = page.getByRole('region', { name: STATS, exact: true });
    await item.getByText('stopped').waitFor();
    await app.screenshot('event-artifacts');

    await item.getByText('Parameters').click();
    await item.getByLabel('Frequency').fill('1');
    await item.getByRole('button', { name: 'Start', exact: true }).click();
    await item.getByText('running').waitFor({ timeout: 5000 });
    const events = readFileSync(join(app.dir, 'datastore', 'events.yaml'), 'utf8');
    assert.match(events, /- Generic\.Client\.Stats/);
    assert.match(events, /Frequency: "1"/);

    const live = page.getByRole('region', { name: `Live rows of ${STATS}` });
    const chart = live.getByRole('figure', { name: /^Chart: \d+ points$/ });
    await until(async () => (await rowsInView(page)) >= 1, 5000, 'the first row');
    await chart.getByLabel('CPUPercent').waitFor();
    assert.ok(await chart.getByLabel('CPUPercent').isChecked(), 'CPU% is plotted by default');
    assert.ok(await chart.getByLabel('RSS').isChecked(), 'RSS is plotted by default');
    assert.equal(await chart.getByLabel('CPU', { exact: true }).isChecked(), false);
    const rows0 = await rowsInView(page);
    const points0 = await chartPoints(chart);
    await app.screenshot('first-rows');
    const took = await until(async () => (await rowsInView(page)) >= rows0 + 3 && (await chartPoints(chart)) > points0, 5000, '3 new rows and more chart points');
    console.log(`# 3 new rows and ${(await chartPoints(chart)) - points0} more chart points in ${took} ms`);
    // The delay from a row's Timestamp (taken when it was produced) to its arrival in the page.
    const delays: string[] = [];
    for (let i = 0; i < 5; i++) {
      const before = await rowsInView(page);
      await until(async () => (await rowsInView(page)) > before, 3000, 'the next row');
      const status = (await page.getByRole('status').filter({ hasText: 'rows in view' }).textContent()) ?? '';
      delays.push(/last row shown (.*?) after its time/.exec(status)?.[1] ?? '?');
    }
    console.log(`# produced → in the page: ${delays.join(', ')}`);
    assert.ok((await live.getByRole('grid', { name: 'Live rows' }).getByRole('row').count()) > 0, 'the table shows rows');
    assert.ok((await chart.locator('canvas').count()) > 0, 'uPlot drew a canvas');
    await app.screenshot('rows-and-chart-growing');

    await item.getByText(/[1-9][\d,]* rows today/).waitFor({ timeout: 5000 });
    await live.getByRole('button', { name: 'Pause view' }).click();
    const frozen = await rowsInView(page);
    await page.getByText(/[1-9][\d,]* rows waiting \(collection goes on\)/).waitFor({ timeout: 5000 });
    assert.equal(await rowsInView(page), frozen, 'the view does not change while paused');
    await app.screenshot('view-paused');
    await live.getByRole('button', { name: 'Resume view' }).click();
    await until(async () => (await rowsInView(page)) > frozen, 3000, 'the waiting rows to join the view');

    await item.getByRole('button', { name: 'Stop', exact: true }).click();
    await item.getByText('stopped').waitFor({ timeout: 5000 });
    assert.doesNotMatch(readFileSync(join(app.dir, 'datastore', 'events.yaml'), 'utf8'), /Generic\.Client\.Stats/);
    const after = await rowsInView(page);
    await new Promise((r) => setTimeout(r, 2000));
    assert.ok((await rowsInView(page)) <= after + 1, 'no rows after Stop (one may have been in flight)');
    await app.screenshot('stopped');
    assert.deepEqual(app.errors, []);
  });
});
