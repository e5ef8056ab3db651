// The results table in Chromium, through a console cell: 100,000 rows from range() counted and
// scrolled to the end, sorted descending, filtered, searched, a column hidden and moved, the
// details pane and Copy row, and Export CSV / JSON compared with the filtered, sorted view.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import Papa from 'papaparse';
import { e2eSkip, openApp, type App } from './harness.ts';
import { setEditorText } from './codemirror.ts';

const T = { timeout: 90_000 };

describe('e2e: results table', { skip: e2eSkip() }, () => {
  let app: App;
  before(async () => {
    app = await openApp('table');
    await app.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(app.host.url).origin });
  });
  after(async () => app?.close());
  const cell = () => app.page.getByRole('group', { name: 'Cell 1' });
  const grid = () => cell().getByRole('grid', { name: 'Results' });
  const count = (text: string) => cell().getByText(text, { exact: true }).waitFor({ timeout: 30_000 });
  /** The text of the cells of the first data row on screen (aria-rowindex 2 is the first row of the view). */
  const firstRow = () => grid().locator('[role=row][aria-rowindex="2"] [role=gridcell]').allTextContents();

  test('100,000 rows are counted, and scrolling to the bottom shows row 99999', T, async () => {
    await setEditorText(cell().getByLabel('VQL'), 'SELECT * FROM range(start=0, end=100000)');
    await cell().getByRole('button', { name: 'Run', exact: true }).click();
    await count('100,000 of 100,000 rows');
    await grid().getByRole('gridcell', { name: '0', exact: true }).waitFor();
    assert.equal(await grid().getByRole('gridcell', { name: '99999', exact: true }).count(), 0, 'virtualized: the last row is not rendered yet');
    await app.screenshot('100k-rows');
    await grid().evaluate((el) => (el.scrollTop = el.scrollHeight));
    await grid().getByRole('gridcell', { name: '99999', exact: true }).waitFor({ timeout: 5000 });
    assert.ok((await grid().getByRole('row').count()) < 200, 'only the rows on screen are in the DOM');
    await app.screenshot('scrolled-to-bottom');
  });

  test('sorting descending by a column puts 99999 first', T, async () => {
    await grid().evaluate((el) => (el.scrollTop = 0));
    const header = grid().getByRole('columnheader', { name: '_value' });
    assert.equal(await header.getAttribute('aria-sort'), 'none');
    await header.getByRole('button').click();
    assert.equal(await header.getAttribute('aria-sort'), 'ascending');
    await header.getByRole('button').click();
    assert.equal(await header.getAttribute('aria-sort'), 'descending');
    await grid().getByRole('gridcell', { name: '99999', exact: true }).waitFor();
    assert.deepEqual(await firstRow(), ['99999']);
    await app.screenshot('sorted-desc');
  });

  test('a column filter narrows the count; a bad filter says why and is ignored', T, async () => {
    const filter = grid().getByLabel('Filter _value');
    await filter.fill('<100');
    await count('100 of 100,000 rows');
    assert.deepEqual(await firstRow(), ['99']);
    await filter.fill('>');
    await count('100,000 of 100,000 rows');
    assert.equal(await filter.getAttribute('aria-invalid'), 'true');
    assert.match((await filter.getAttribute('title'))!, /'>' needs a value/);
    await filter.fill('10..20 !=15');
    await count('10 of 100,000 rows');
    await filter.fill('<100');
    await count('100 of 100,000 rows');
    await app.screenshot('filtered');
  });

  test('Export CSV downloads exactly the filtered, sorted view; JSON too', T, async () => {
    const { page } = app;
    const [csvDownload] = await Promise.all([page.waitForEvent('download'), cell().getByRole('button', { name: 'Export CSV' }).click()]);
    assert.equal(csvDownload.suggestedFilename(), 'console-cell-1-view.csv');
    const csv = Papa.parse<string[]>(readFileSync((await csvDownload.path())!, 'utf8'), { skipEmptyLines: true }).data;
    const expected = Array.from({ length: 100 }, (_, i) => [String(99 - i)]);
    assert.deepEqual(csv, [['_value'], ...expected]);
    const [jsonDownload] = await Promise.all([page.waitForEvent('download'), cell().getByRole('button', { name: 'Export JSON' }).click()]);
    assert.equal(jsonDownload.suggestedFilename(), 'console-cell-1-view.json');
    assert.deepEqual(JSON.parse(readFileSync((await jsonDownload.path())!, 'utf8')), expected.map(([v]) => ({ _value: Number(v) })));
  });

  test('search, hidden and moved columns, details pane and Copy row on a wider result', T, async () => {
    const { page } = app;
    await setEditorText(cell().getByLabel('VQL'), 'SELECT _value AS N, format(format="=cmd|%d", args=_value) AS Formula, dict(a=_value, tags=["x", "y"]) AS Nested FROM range(end=1000)');
    await cell().getByRole('button', { name: 'Run', exact: true }).click();
    await count('1,000 of 1,000 rows');
    await cell().getByLabel('Search').fill('cmd|99');
    await count('11 of 1,000 rows');
    await cell().getByRole('button', { name: 'Columns' }).click();
    await cell().getByRole('checkbox', { name: 'Formula', exact: true }).uncheck();
    // The menu lists hidden columns too: two moves put Nested before Formula, then before N.
    await cell().getByRole('button', { name: 'Move Nested left' }).click();
    await cell().getByRole('button', { name: 'Move Nested left' }).click();
    await app.screenshot('columns-menu');
    await cell().getByRole('button', { name: 'Columns' }).click();
    assert.deepEqual(await grid().getByRole('columnheader').evaluateAll((hs) => hs.map((h) => h.getAttribute('aria-label'))), ['Nested', 'N']);
    await count('0 of 1,000 rows'); // the search no longer sees the hidden column
    await cell().getByLabel('Search').fill('');
    await count('1,000 of 1,000 rows');
    await grid().getByRole('gridcell', { name: '7', exact: true }).click();
    const details = cell().getByRole('region', { name: 'Row details' });
    await details.waitFor();
    assert.match((await details.textContent())!, /=cmd\|7/, 'hidden fields are in the details pane');
    assert.match((await details.locator('pre').textContent())!, /"tags": \[\n\s+"x",/, 'nested JSON pretty-printed');
    await details.getByRole('button', { name: 'Copy row' }).click();
    await cell().getByRole('status').filter({ hasText: 'Copied row.' }).waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.deepEqual(JSON.parse(copied), { Nested: { a: 7, tags: ['x', 'y'] }, N: 7, Formula: '=cmd|7' });
    await app.screenshot('details-pane');
    const [download] = await Promise.all([page.waitForEvent('download'), cell().getByRole('button', { name: 'Export CSV' }).click()]);
    const rows = Papa.parse<string[]>(readFileSync((await download.path())!, 'utf8'), { skipEmptyLines: true }).data;
    assert.deepEqual(rows[0], ['Nested', 'N'], 'export follows column order and hidden columns');
    assert.deepEqual([JSON.parse(rows[8][0]), rows[8][1]], [{ a: 7, tags: ['x', 'y'] }, '7'], 'objects as JSON text');
  });

  test('neutralization: formula cells are prefixed by default and not when unchecked', T, async () => {
    const { page } = app;
    await cell().getByRole('button', { name: 'Columns' }).click();
    await cell().getByRole('checkbox', { name: 'Formula', exact: true }).check();
    await cell().getByRole('button', { name: 'Columns' }).click();
    const exportFormulas = async () => {
      const [d] = await Promise.all([page.waitForEvent('download'), cell().getByRole('button', { name: 'Export CSV' }).click()]);
      const rows = Papa.parse<string[]>(readFileSync((await d.path())!, 'utf8'), { skipEmptyLines: true }).data;
      return rows.slice(1, 3).map((r) => r[rows[0].indexOf('Formula')]);
    };
    assert.equal(await cell().getByLabel('Neutralize formulas').isChecked(), true);
    assert.deepEqual(await exportFormulas(), ["'=cmd|0", "'=cmd|1"]);
    await cell().getByLabel('Neutralize formulas').uncheck();
    assert.deepEqual(await exportFormulas(), ['=cmd|0', '=cmd|1']);
  });

  test('no page errors', () => {
    assert.deepEqual(app.errors, []);
  });
});
