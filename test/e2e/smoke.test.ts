// The app loads in Chromium from the web host, with its tabs, and without page errors; and the
// README's overview picture (docs/screenshots/overview-1440x900.png): a console query's rows.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { e2eSkip, openApp, type App } from './harness.ts';
import { setEditorText } from './codemirror.ts';

describe('e2e: app shell', { skip: e2eSkip() }, () => {
  let app: App;
  before(async () => {
    app = await openApp('smoke');
  });
  after(async () => app?.close());

  test('the views are reachable as tabs, and the page has no errors', async () => {
    const { page } = app;
    for (const name of ['Console', 'Artifacts', 'Editor', 'Live events', 'Monitoring logs', 'Logs workbench', 'Packs']) {
      await page.getByRole('tab', { name }).click();
      assert.equal(await page.getByRole('tab', { name }).getAttribute('aria-selected'), 'true');
    }
    await app.screenshot('tabs');
    assert.deepEqual(app.errors, []);
  });

  test('the overview picture: a query in the console, its rows in the results table', { timeout: 60_000 }, async () => {
    const { page } = app;
    await page.getByRole('tab', { name: 'Console' }).click();
    const cell = page.getByRole('group', { name: 'Cell 1' });
    await setEditorText(
      cell.getByLabel('VQL'),
      "SELECT timestamp(epoch=1714550400 + _value * 97) AS Time,\n" +
        "       format(format='host-%02d', args=int(int=_value / 25)) AS Host,\n" +
        "       if(condition=_value > 380, then='failed', else='accepted') AS Result,\n" +
        '       _value / 1000 AS CPUPercent, 1000000 + _value * 4096 AS RSS\n' +
        'FROM range(end=500)',
    );
    await page.keyboard.press('Control+Enter');
    await cell.getByRole('status').filter({ hasText: 'Done' }).waitFor();
    assert.match((await cell.getByRole('status').textContent())!, /^Done · 500 rows · /);
    await cell.getByRole('grid', { name: 'Results' }).getByRole('gridcell', { name: 'host-00', exact: true }).first().waitFor();
    await app.docsShot('overview-1440x900');
    assert.deepEqual(app.errors, []);
  });
});
