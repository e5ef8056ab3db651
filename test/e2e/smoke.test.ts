// The app loads in Chromium from the web host, with its tabs, and without page errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { e2eSkip, openApp, type App } from './harness.ts';

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
});
