// In-app help in Chromium against the web host: `?` opens the keyboard shortcut sheet (and does
// not when typed into a text field or an editor), Esc closes it, the header's Shortcuts button
// opens it too; shortcuts it lists do what it says (Ctrl+Enter runs a console cell; ↓ selects
// a row of the results and Esc clears it); each view has an "About" note naming its manual
// page. Screenshots: the sheet for the manual (docs/screenshots/help-shortcuts-1440x900.png),
// the notes at 1440x900 and 1024x700.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { e2eSkip, openApp, type App } from './harness.ts';
import { editorText, setEditorText } from './codemirror.ts';

const T = { timeout: 60_000 };

describe('e2e: in-app help', { skip: e2eSkip() }, () => {
  let app: App;
  before(async () => {
    app = await openApp('help', {}, { collector: true });
  });
  after(async () => app?.close());
  const sheet = () => app.page.getByRole('dialog', { name: 'Keyboard shortcuts' });

  test('? opens the shortcut sheet, Esc closes it; the Shortcuts button opens it too', T, async () => {
    const { page } = app;
    await page.getByRole('tab', { name: 'Console' }).click();
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('?');
    await sheet().waitFor();
    // It lists the app's keys by where they work, the desktop menu's apart.
    for (const group of ['Anywhere', 'Console and VQL editors', 'Artifact editor', 'Results tables (console cells, live events)', 'Log workbench and monitoring logs grid', 'Desktop app menu']) {
      await sheet().getByRole('region', { name: group }).waitFor();
    }
    const row = (group: string, keys: string) => sheet().getByRole('region', { name: group }).getByRole('row').filter({ has: page.getByRole('rowheader', { name: keys, exact: true }) });
    assert.equal(await row('Console and VQL editors', 'Ctrl+Enter').getByRole('cell').textContent(), 'Run the console cell');
    assert.equal(await row('Results tables (console cells, live events)', 'Esc').getByRole('cell').textContent(), 'Clear the selection');
    assert.match((await sheet().getByRole('region', { name: 'Desktop app menu' }).getByRole('heading').textContent())!, /desktop app only/);
    await app.docsShot('help-shortcuts-1440x900');
    await page.keyboard.press('Escape');
    await sheet().waitFor({ state: 'hidden' });

    // The tab list holds the views' tabs only; the help controls are buttons beside it (a11y).
    const tablist = page.getByRole('tablist', { name: 'Views' });
    assert.deepEqual(await tablist.locator(':scope > *').evaluateAll((els) => els.map((e) => e.getAttribute('role'))), Array(7).fill('tab'));
    assert.equal(await tablist.getByRole('button').count(), 0);
    await page.getByRole('button', { name: 'Shortcuts' }).click();
    await sheet().waitFor();
    await sheet().getByRole('button', { name: 'Close' }).click();
    await sheet().waitFor({ state: 'hidden' });
    assert.deepEqual(app.errors, []);
  });

  test('? typed into a text field or an editor is a question mark, not the sheet', T, async () => {
    const { page } = app;
    await page.getByRole('tab', { name: 'Artifacts' }).click();
    const search = page.getByRole('searchbox', { name: 'Search artifacts', exact: true });
    await search.click();
    await page.keyboard.type('a?');
    assert.equal(await search.inputValue(), 'a?');
    assert.equal(await sheet().isVisible(), false);
    await search.fill('');
    await page.getByRole('tab', { name: 'Console' }).click();
    const vql = page.getByRole('group', { name: 'Cell 1' }).getByLabel('VQL');
    await setEditorText(vql, 'SELECT 1 AS One FROM scope()');
    await page.keyboard.type(' -- ?');
    assert.match(await editorText(vql), /-- \?$/);
    assert.equal(await sheet().isVisible(), false);
  });

  test('listed shortcuts work: Ctrl+Enter runs the cell; ↓ selects a result row and Esc clears it', T, async () => {
    const { page } = app;
    const cell = page.getByRole('group', { name: 'Cell 1' });
    const vql = cell.getByLabel('VQL');
    await setEditorText(vql, 'SELECT _value AS N FROM range(end=3)');
    await vql.press('Control+Enter');
    await cell.getByRole('status').filter({ hasText: 'Done' }).waitFor();
    assert.match((await cell.getByRole('status').textContent())!, /^Done · 3 rows/);
    const grid = cell.getByRole('grid', { name: 'Results' });
    await grid.focus();
    await page.keyboard.press('ArrowDown');
    const selected = grid.locator('[role=row][aria-selected=true]');
    await selected.waitFor();
    assert.equal(await selected.count(), 1, '↓ selects the first row');
    await page.keyboard.press('Escape');
    await selected.waitFor({ state: 'detached' });
    assert.deepEqual(app.errors, []);
  });

  test('each view has an About note with a few lines and its manual page; Esc closes it', T, async () => {
    const { page } = app;
    const views: Array<[string, string, string]> = [
      ['Console', 'Console', 'docs/console.md'],
      ['Artifacts', 'Artifacts', 'docs/artifacts-library-and-editor.md'],
      ['Editor', 'Editor', 'docs/artifacts-library-and-editor.md'],
      ['Live events', 'Live events', 'docs/live-events.md'],
      ['Monitoring logs', 'Monitoring logs', 'docs/monitoring-logs.md'],
      ['Logs workbench', 'Logs workbench', 'docs/logs-workbench.md'],
      ['Packs', 'Packs', 'docs/packs.md'],
    ];
    for (const [tab, title, manual] of views) {
      await page.getByRole('tab', { name: tab, exact: true }).click();
      const button = page.getByRole('button', { name: `About ${title}`, exact: true });
      await button.click();
      const note = page.getByRole('dialog', { name: `About ${title}` });
      await note.waitFor();
      assert.ok((await note.locator('p').count()) >= 3, `${tab}: a few lines and the manual`);
      assert.match((await note.textContent())!, new RegExp(`Manual: ${manual.replace('.', '\\.')}`));
      if (tab === 'Live events') {
        await app.docsShot('help-view-1440x900');
        await page.setViewportSize({ width: 1024, height: 700 });
        const box = (await note.boundingBox())!;
        assert.ok(box.x >= 0 && box.x + box.width <= 1024 && box.y + box.height <= 700, `the note fits at 1024x700: ${JSON.stringify(box)}`);
        // The header holds every tab and the help controls on one line.
        const boxes = (await page.locator('.tabs > *').evaluateAll((els) => els.map((e) => { const r = e.getBoundingClientRect(); return { l: r.left, r: r.right, top: r.top, w: r.width, text: e.textContent?.trim() }; }))).filter((b) => b.w > 0);
        boxes.forEach((b, i) => {
          assert.ok(b.r <= 1024 && Math.abs(b.top - boxes[0]!.top) < 8, `${b.text} is on the header's line at 1024 px: ${JSON.stringify(b)}`);
          if (i > 0) assert.ok(b.l >= boxes[i - 1]!.r - 0.5, `${b.text} does not overlap ${boxes[i - 1]!.text}`);
        });
        await app.screenshot('view-help-1024x700');
        await page.setViewportSize({ width: 1440, height: 900 });
      }
      await page.keyboard.press('Escape');
      await note.waitFor({ state: 'hidden' });
      assert.equal(await button.getAttribute('aria-expanded'), 'false');
    }
    // A click elsewhere closes it too.
    await page.getByRole('button', { name: 'About Packs', exact: true }).click();
    await page.getByRole('dialog', { name: 'About Packs' }).waitFor();
    await page.getByRole('tab', { name: 'Packs' }).click();
    await page.getByRole('dialog', { name: 'About Packs' }).waitFor({ state: 'hidden' });
    assert.deepEqual(app.errors, []);
  });
});
