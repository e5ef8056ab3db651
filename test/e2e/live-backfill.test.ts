// The live view starts from today's log, in Chromium against the web host and the app's
// collector: Generic.Client.Stats collects for a few seconds, the page is reloaded (a new
// connection, an empty view), and View shows the rows already in today's day file at once,
// then live rows after them; floats in the grid are rounded and CPUPercent reads as a percent
// (the full value in the cell's tooltip); after a restart of the host the view opens again by
// itself. At 1440x900 and 1024x700, with screenshots.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { join } from 'node:path';
import { startWebHost } from '../../main/web/host.ts';
import { e2eSkip, openApp, rendererDir, type App, until } from './harness.ts';

const STATS = 'Generic.Client.Stats';
const SIZES = [{ width: 1440, height: 900 }, { width: 1024, height: 700 }] as const;

async function statusText(page: Page): Promise<string> {
  return (await page.getByRole('status').filter({ hasText: 'rows in view' }).textContent()) ?? '';
}
const num = (re: RegExp, text: string) => Number(re.exec(text)?.[1]?.replace(/,/g, '') ?? NaN);

describe('e2e: the live view starts from today\'s log', { skip: e2eSkip() }, () => {
  let app: App;
  before(async () => {
    app = await openApp('live-backfill', {}, { collector: true });
  });
  after(async () => app?.close());

  test('rows collected before the page opened show at once; numbers read well', { timeout: 90_000 }, async () => {
    const { page } = app;
    await page.setViewportSize(SIZES[0]);
    await page.getByRole('tab', { name: 'Live events' }).click();
    const item = () => page.getByRole('region', { name: STATS, exact: true });
    await item().getByText('Parameters').click();
    await item().getByLabel('Frequency').fill('1');
    await item().getByRole('button', { name: 'Start', exact: true }).click();
    await item().getByText('running').waitFor({ timeout: 5000 });
    await until(async () => num(/([\d,]+) rows today/, (await item().textContent()) ?? '') >= 5, 20_000, '5 rows in today\'s day file');

    // A fresh page: nothing of the earlier view is in it.
    await page.reload();
    await page.getByRole('tab', { name: 'Live events' }).click();
    const t0 = Date.now();
    await item().getByRole('button', { name: 'View', exact: true }).click();
    const live = page.getByRole('region', { name: `Live rows of ${STATS}` });
    await page.getByText(/[\d,]+ from today's log/).waitFor({ timeout: 5000 });
    const took = Date.now() - t0;
    const first = await statusText(page);
    const fromLog = num(/([\d,]+) from today's log/, first);
    console.log(`# View → ${fromLog} rows from today's log in ${took} ms: ${first.replace(/\s+/g, ' ').trim()}`);
    assert.ok(fromLog >= 5, `at least the 5 rows collected before: ${first}`);
    assert.ok(num(/([\d,]+) rows in view/, first) >= fromLog);
    const grid = live.getByRole('grid', { name: 'Live rows' });
    assert.ok((await grid.getByRole('row').count()) > fromLog / 2, 'the table shows them');
    for (const size of SIZES) {
      await page.setViewportSize(size);
      await app.screenshot(`backfilled-${size.width}x${size.height}`);
    }
    await page.setViewportSize(SIZES[0]);

    // Live rows join after the backfill, none twice: rows in view = from the log + received live.
    await until(async () => num(/([\d,]+) received live/, await statusText(page)) >= 2, 10_000, 'two live rows');
    const later = await statusText(page);
    assert.equal(num(/([\d,]+) rows in view/, later), num(/([\d,]+) from today's log/, later) + num(/([\d,]+) received live/, later));

    // Numbers: CPUPercent as a percent, floats rounded; the full value in the tooltip.
    const cells = grid.getByRole('gridcell');
    const percent = cells.filter({ hasText: /^\d+(\.\d{1,4})?%$/ }).first();
    await percent.waitFor({ timeout: 10_000 });
    const title = (await percent.getAttribute('title')) ?? '';
    assert.match(title, /^\d+(\.\d+)?(e-\d+)?$/, 'the tooltip holds the stored fraction');
    assert.ok(Math.abs(Number(title) * 100 - Number((await percent.textContent())!.replace('%', ''))) < 0.01 + Number(title) * 100 * 1e-3);
    const texts = await cells.allTextContents();
    const long = texts.filter((t) => /^-?\d+\.\d{5,}%?$/.test(t));
    assert.deepEqual(long, [], 'no float shows more than 4 decimals');
    for (const size of SIZES) {
      await page.setViewportSize(size);
      await app.screenshot(`live-after-backfill-${size.width}x${size.height}`);
    }
    await page.setViewportSize(SIZES[0]);

    // `vql serve` restarted on the same port with the same token: the view opens again by itself
    // (the new connection has no subscription yet), from the log, and live rows follow.
    const { port, token } = app.host;
    await app.host.close();
    await page.getByRole('alert').filter({ hasText: 'Disconnected' }).waitFor({ timeout: 5000 });
    const again = await startWebHost({ port, token, staticDir: rendererDir, userArtifacts: join(app.dir, 'artifacts'), collector: app.collector, log: () => undefined });
    try {
      await page.getByRole('status').filter({ hasText: 'Reconnected' }).waitFor({ timeout: 15_000 });
      await until(async () => num(/([\d,]+) received live/, await statusText(page)) >= 2, 10_000, 'live rows after reconnecting');
      const reopened = await statusText(page);
      assert.ok(num(/([\d,]+) from today's log/, reopened) > fromLog, `today's log again, with the rows since: ${reopened}`);
      await item().getByText('running').waitFor();
      await app.screenshot('after-reconnect');
      await item().getByRole('button', { name: 'Stop', exact: true }).click();
      await item().getByText('stopped').waitFor({ timeout: 5000 });
    } finally {
      await again.close();
    }
    // Chromium logs the refused reconnection attempts, and a request cut by the host closing, as
    // console errors; nothing else may fail.
    assert.deepEqual(app.errors.filter((e) => !/ERR_CONNECTION_REFUSED|ERR_CONNECTION_RESET|WebSocket connection to/.test(e)), []);
  });
});
