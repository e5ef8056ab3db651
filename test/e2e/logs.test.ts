// The monitoring log browser in Chromium: day files written by the collector's store are listed
// with their row counts; one day, then a range of two days (with a schema-change part), open
// through the table engine on the host as one table in time order, in the log workbench's grid
// (the page holds only the rows on screen), with the chart fed by the engine's aggregate over
// the grid's view (bars of rows, averages of the checked columns): a filter narrows both.
// Screenshots at 1440x900 and 1024x700 go to test-results/e2e/logs/.
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
    await app.page.setViewportSize({ width: 1440, height: 900 });
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

  const rows = () => app.page.getByRole('region', { name: 'Log rows' });
  const grid = () => rows().getByRole('grid', { name: 'Log rows' });
  /** The load of the range ended (the summary says how long it took) with `n` rows. */
  const waitLoaded = (n: number) => app.page.waitForFunction((want) => {
    const region = document.querySelector('[aria-label="Log rows"]');
    const t = region?.querySelector('[aria-label="Table summary"]')?.textContent?.replace(/\s+/g, ' ') ?? '';
    return t.includes(`· ${want} rows ·`) && t.includes('loaded in');
  }, n, { timeout: 30_000 });
  const waitCount = (text: string) => app.page.waitForFunction((t) => document.querySelector('[aria-label="Log rows"] [aria-label="Row count"]')?.textContent?.trim() === t, text, { timeout: 30_000 });

  test('lists the days with row counts and opens one day, then a range, in time order with the chart', { timeout: 90_000 }, async () => {
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
    await waitLoaded(3);
    await waitCount('3 of 3 rows');
    await rows().getByRole('figure', { name: 'Chart: 3 rows' }).waitFor();
    assert.match((await rows().getByLabel('Table summary').textContent())!.replace(/\s+/g, ' ').trim(), /^Test\.Logged 2024-03-01\.\.2024-03-01 \(C\.[0-9a-f]+\) · monitoring log \(csv\) · 3 rows · 5 columns · loaded in/);
    await app.screenshot('one-day');

    await day2.click({ modifiers: ['Shift'] });
    assert.equal(await day1.getAttribute('aria-pressed'), 'true');
    assert.equal(await day2.getAttribute('aria-pressed'), 'true');
    await page.getByText('6 rows in the chosen days').waitFor();
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await waitLoaded(6);
    await waitCount('6 of 6 rows');
    const chart = rows().getByRole('figure', { name: 'Chart: 6 rows' });
    await chart.waitFor();
    // Generic.Client.Stats' lines first: CPU% and RSS averaged per bar; the bars (rows) on demand.
    assert.ok(await chart.getByLabel('CPUPercent').isChecked());
    assert.ok(await chart.getByLabel('RSS').isChecked());
    assert.equal(await chart.getByLabel('Rows').isChecked(), false);
    assert.match((await chart.locator('legend').textContent())!, /Against Timestamp, per \d+ (minutes?|hours?)/);
    assert.equal(await chart.locator('canvas').count(), 1, 'the plot is drawn');
    // One table across the days and the schema-change part, in time order.
    const names = await grid().getByRole('columnheader').evaluateAll((hs) => hs.slice(2).map((h) => h.getAttribute('aria-label')));
    assert.deepEqual(names, ['Timestamp', 'CPU', 'RSS', 'CPUPercent', '_ts', 'Note']);
    await grid().locator('[role=row][data-row="6"]').waitFor();
    const cells = await grid().locator('[role=row][data-row]').evaluateAll((rs) => rs.map((r) => Array.from(r.querySelectorAll('[role="gridcell"]'), (c) => c.textContent!.trim())));
    assert.deepEqual(cells.map((r) => r[2]), ['2024-03-01T10:00:00.000Z', '2024-03-01T10:00:01.000Z', '2024-03-01T10:00:02.000Z', '2024-03-02T10:00:00.000Z', '2024-03-02T10:00:01.000Z', '2024-03-02T10:00:02.000Z']);
    assert.equal(cells[5]![7], 'schema change', 'the schema-change part is in the table');
    assert.ok((await grid().getByRole('row').count()) < 60, 'only the rows on screen are in the page');
    await app.screenshot('range');

    // The chart follows the grid's view: a filter narrows the bars' rows.
    await chart.getByLabel('Rows').check();
    await grid().getByLabel('Filter Note', { exact: true }).fill('schema');
    await waitCount('1 of 6 rows');
    await rows().getByRole('figure', { name: 'Chart: 1 rows' }).waitFor();
    await app.screenshot('filtered-1440');
    await app.page.setViewportSize({ width: 1024, height: 700 });
    const box = (await grid().boundingBox())!;
    assert.ok(box.width >= 500 && box.height >= 150, `the grid has room at 1024x700: ${JSON.stringify(box)}`);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 1024, `the page is ${width}px wide`);
    await app.screenshot('filtered-1024');
    await app.page.setViewportSize({ width: 1440, height: 900 });
    assert.deepEqual(app.errors, []);
  });

  test('the grid\'s tools work on the logs: group by, value counts, the SQL box over `data`', { timeout: 60_000 }, async () => {
    await rows().getByRole('button', { name: /^Clear filters/ }).click();
    await waitCount('6 of 6 rows');
    await rows().getByRole('button', { name: 'Panel' }).click();
    const side = rows().getByRole('complementary', { name: 'Side panel' });
    await side.getByRole('tab', { name: 'Group by' }).click();
    await side.getByLabel('Group by column').selectOption('Note');
    const tree = side.getByRole('tree', { name: 'Groups' });
    await tree.getByRole('treeitem').first().waitFor();
    const groups = await tree.getByRole('treeitem').evaluateAll((li) => li.map((l) => `${l.querySelector('.value')!.textContent} ${l.querySelector('.count')!.textContent}`));
    assert.deepEqual(groups, ['(empty) 5', 'schema change 1']);
    await rows().getByRole('button', { name: 'SQL' }).click();
    const sql = rows().getByLabel('SQL query');
    await sql.fill("SELECT count(*) AS n, count(Note) AS noted FROM data");
    await rows().getByRole('button', { name: 'Run' }).click();
    await rows().getByRole('grid', { name: /SQL result/ }).getByText('6', { exact: true }).waitFor();
    await app.screenshot('tools');
    await rows().getByRole('button', { name: 'Close', exact: true }).click();
    await rows().getByText(/Pick an artifact and a day/).waitFor();
    assert.deepEqual(app.errors, []);
  });
});
