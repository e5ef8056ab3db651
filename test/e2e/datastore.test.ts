// A Velociraptor server datastore in the Monitoring logs tab, in Chromium: "Open datastore…"
// (the host-side file picker in folder mode) opens a datastore folder built in Velociraptor's
// current layout (JSONL day files with .json.tidx, client_info/snapshot.json for hostnames;
// test/logs/fixtures.ts), read-only, without the app's collector: the client shows with its
// hostname, the artifacts with their days and row counts (from the index), and a range of two
// days opens through the table engine as one table in time order with the chart; a From/To
// time on the days narrows the range (read through the index). Nothing is written into it.
// The manual's picture: docs/screenshots/logs-datastore-1440x900.png.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { at, jsonlDayPath, writeJsonlDay, writeSnapshot, tree } from '../logs/fixtures.ts';
import { e2eSkip, openApp, type App } from './harness.ts';

const C = 'C.4f5e52adf0a337a9';

describe('e2e: a Velociraptor datastore in the monitoring logs', { skip: e2eSkip() }, () => {
  let app: App;
  let root: string;
  before(async () => {
    app = await openApp('datastore');
    await app.page.setViewportSize({ width: 1440, height: 900 });
    root = join(app.dir, 'velociraptor');
    writeSnapshot(root, { [C]: 'WIN-DESK-01.corp.example' });
    for (const [d, day] of ['2021-12-06', '2021-12-07'].entries()) {
      // Generic.Client.Stats every 10 minutes: CPU and RSS that move through the day.
      writeJsonlDay(jsonlDayPath(root, C, 'Generic.Client.Stats', day), C, Array.from({ length: 144 }, (_, i) => ({
        ts: at(day, i * 600 + 7),
        rows: [{ Timestamp: at(day, i * 600), CPU: Math.round((20 + 15 * Math.sin((i + d * 144) / 9) + (i % 7)) * 10) / 10, RSS: 180_000_000 + ((i * 7919) % 40) * 1_000_000, CPUPercent: Math.round((2 + Math.sin(i / 5)) * 100) / 100 }],
      })));
    }
    writeJsonlDay(jsonlDayPath(root, C, 'Windows.Events.ProcessCreation', '2021-12-07'), C, [
      { ts: at('2021-12-07', 30), rows: [{ Name: 'cmd.exe', Pid: 4242, CommandLine: 'cmd /c whoami', Parent: { Name: 'explorer.exe', Pid: 812 } }] },
    ]);
  });
  after(async () => app?.close());

  const rows = () => app.page.getByRole('region', { name: 'Log rows' });
  const waitLoaded = (n: number) => app.page.waitForFunction((want) => {
    const t = document.querySelector('[aria-label="Log rows"] [aria-label="Table summary"]')?.textContent?.replace(/\s+/g, ' ') ?? '';
    return t.includes(`· ${want} rows ·`) && t.includes('loaded in');
  }, n, { timeout: 30_000 });

  test('Open datastore… lists the client by hostname and its artifacts; a two-day range opens in time order; a time range narrows it', { timeout: 120_000 }, async () => {
    const before = tree(root);
    const { page } = app;
    await page.getByRole('tab', { name: 'Monitoring logs' }).click();
    await page.getByRole('button', { name: 'Open datastore…' }).click();
    const picker = page.getByRole('dialog', { name: 'Open a datastore folder' });
    await picker.getByRole('textbox', { name: 'Path' }).fill(root);
    await picker.getByRole('button', { name: 'Go' }).click();
    await picker.getByRole('listbox', { name: `Files in ${root}` }).waitFor();
    await picker.getByRole('button', { name: 'Choose this folder' }).click();
    await page.getByText(`Client WIN-DESK-01.corp.example (${C})`).waitFor();
    await page.getByText('(read-only)').waitFor();

    await page.getByRole('button', { name: /^Generic\.Client\.Stats/ }).click();
    const days = page.getByRole('navigation', { name: 'Days of Generic.Client.Stats' });
    const day1 = days.getByRole('button', { name: /2021-12-06\s*144 rows/ });
    await day1.waitFor();
    await day1.click();
    await days.getByRole('button', { name: /2021-12-07\s*144 rows/ }).click({ modifiers: ['Shift'] });
    await page.getByText('288 rows in the chosen days').waitFor();
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await waitLoaded(288);
    await rows().getByRole('figure', { name: /^Chart: 288 rows/ }).waitFor();
    await app.docsShot('logs-datastore-1440x900');
    await app.screenshot('range');

    // The first rows are the first day's, in time order; ClientId and _Source as written.
    const sql = await page.evaluate(() => document.querySelector('[aria-label="Log rows"] [aria-label="Table summary"]')?.textContent ?? '');
    assert.match(sql, /288 rows/);

    // From 12:00 on the first day to 06:00 on the last: 72 + 36 rows, read through the index.
    await page.getByRole('textbox', { name: 'From time (UTC)' }).fill('12:00');
    await page.getByRole('textbox', { name: 'To time (UTC)' }).fill('06:00');
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await waitLoaded(108);
    await app.screenshot('time-range');
    assert.deepEqual(tree(root), before, 'nothing is written into the datastore');
  });
});
