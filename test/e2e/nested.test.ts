// Velociraptor's results in the log workbench in Chromium (issue 13 item 1): a monitoring day
// file as Velociraptor's server writes it (JSON lines, `Fields` dicts, arrays, lists of dicts,
// a key first seen late, then ClientId, _ts and _Source appended) opens through the host's
// picker; the metadata columns come first, `_ts` as a time; a nested cell is its compact JSON
// (what the line holds), the details pane shows it whole and reads `_Source`; "Expand field…"
// of the column menu adds `Fields.Name` as a column, and so does "Add as column" on a key in the
// details; the new column filters and sorts like any other, and is removed from its menu.
// Screenshots go to test-results/e2e/nested/; the manual's picture to docs/screenshots.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { e2eSkip, openApp, type App } from './harness.ts';

const ROWS = 3000;
const T = { timeout: 120_000 };
const NAMES = ['svchost.exe', 'cmd.exe', 'powershell.exe', 'explorer.exe', 'lsass.exe'];

function rowOf(i: number): Record<string, unknown> {
  const fields: Record<string, unknown> = i % 2
    ? { Name: NAMES[i % 5], Pid: 1000 + i, CommandLine: `C:\\Windows\\System32\\${NAMES[i % 5]} -k netsvcs -p ${i}`, Args: ['-k', String(i)] }
    : { Name: NAMES[i % 5], Pid: 1000 + i, Parent: { Name: 'services.exe', Pid: 4 }, Modules: [{ Path: 'C:\\Windows\\System32\\ntdll.dll', Size: 2_000_000 + i }] };
  if (i === ROWS - 1) fields.LateKey = 'seen once, at the end';
  return {
    EventTime: new Date(Date.UTC(2024, 4, 1, 8) + i * 1000).toISOString(),
    EventID: [4688, 4689, 4624][i % 3],
    Fields: fields,
    Tags: i % 4 ? ['process', `t${i % 4}`] : [],
    ClientId: 'C.4f5e52adf0a337a9',
    _ts: 1714550400 + i,
    _Source: 'Windows.Events.ProcessCreation/Events',
  };
}

describe('e2e: Velociraptor results (nested values)', { skip: e2eSkip() }, () => {
  let app: App;
  let file: string;
  const rows = Array.from({ length: ROWS }, (_, i) => rowOf(i));
  before(async () => {
    app = await openApp('nested');
    await app.page.setViewportSize({ width: 1440, height: 900 });
    const folder = join(app.dir, 'C.4f5e52adf0a337a9', 'monitoring', 'Windows.Events.ProcessCreation');
    mkdirSync(folder, { recursive: true });
    file = join(folder, '2024-05-01.json');
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  });
  after(async () => app?.close());

  const view = () => app.page.getByRole('region', { name: 'Logs workbench' });
  const grid = () => view().getByRole('grid', { name: 'Workbench rows' });
  const side = () => view().getByRole('complementary', { name: 'Side panel' });
  const header = (name: string) => grid().getByRole('columnheader', { name, exact: true });
  const names = () => grid().getByRole('columnheader').evaluateAll((hs) => hs.slice(2).map((h) => h.getAttribute('aria-label')));
  const waitCount = (text: string) => app.page.waitForFunction((t) => document.querySelector('[aria-label="Row count"]')?.textContent?.trim() === t, text, { timeout: 60_000 });
  /** The text of the cell of `column` in the row of `_row` (once drawn). */
  async function cell(row: number, column: string): Promise<string> {
    const at = (await names()).indexOf(column);
    assert.ok(at >= 0, `${column} is shown`);
    const r = grid().locator(`[role=row][data-row="${row}"]`);
    await r.waitFor({ timeout: 30_000 });
    return (await r.locator('[role=gridcell]').nth(at + 2).textContent()) ?? '';
  }
  /** The first row of the view once drawn: its `_row`. */
  async function firstRow(): Promise<number> {
    const r = grid().locator('[role=row][aria-rowindex="2"][data-row]');
    await r.waitFor({ timeout: 30_000 });
    return Number(await r.getAttribute('data-row'));
  }

  test('opens like any log: metadata first, _ts a time, nested cells as compact JSON, whole in the details', T, async () => {
    const { page } = app;
    await page.getByRole('tab', { name: 'Logs workbench' }).click();
    await view().getByRole('button', { name: 'Open file…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Path').fill(file);
    await dialog.getByLabel('Path').press('Enter');
    await page.waitForFunction(() => /2024-05-01\.json.*loaded in/s.test(document.querySelector('[aria-label="Table summary"]')?.textContent ?? ''), null, { timeout: 60_000 });
    await waitCount(`${ROWS.toLocaleString('en-US')} of ${ROWS.toLocaleString('en-US')} rows`);
    assert.deepEqual(await names(), ['_ts', 'ClientId', '_Source', 'EventTime', 'EventID', 'Fields', 'Tags']);
    assert.match((await header('_ts').getByRole('button', { name: '_ts', exact: true }).getAttribute('title'))!, /^Velociraptor: when the server logged the row/);
    assert.equal(await cell(1, '_ts'), '2024-05-01T08:00:00.000Z');
    // The cell is what the line holds, on one line, cut by the column's width.
    assert.equal(await cell(1, 'Fields'), JSON.stringify(rows[0]!.Fields));
    assert.equal(await cell(2, 'Tags'), '["process","t1"]');
    const fieldsCell = grid().locator('[role=row][data-row="1"] [role=gridcell]').nth(2 + 5);
    assert.deepEqual(await fieldsCell.evaluate((c) => [getComputedStyle(c).whiteSpace, getComputedStyle(c).textOverflow, c.scrollWidth > c.clientWidth]), ['nowrap', 'ellipsis', true]);
    // The details: the whole value pretty-printed, `_Source` read as artifact and source.
    await grid().locator('[role=row][data-row="1"]').click();
    await side().getByRole('tab', { name: 'Details' }).click();
    const details = side().getByRole('region', { name: 'Row details' });
    assert.equal(await details.locator('pre').first().textContent(), JSON.stringify(rows[0]!.Fields, null, 2));
    assert.match((await details.textContent())!, /_Source.*Windows\.Events\.ProcessCreation\/Events\s*artifact Windows\.Events\.ProcessCreation · source Events/s);
    await app.screenshot('opened');
    assert.deepEqual(app.errors, []);
  });

  test('"Expand field…" adds Fields.Name as a column after Fields; it filters and sorts like any column', T, async () => {
    const { page } = app;
    await header('Fields').getByRole('button', { name: 'Fields column menu' }).click();
    await page.getByRole('menuitem', { name: 'Expand field…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Expand a field of Fields' });
    const list = dialog.getByRole('list', { name: 'Fields' });
    await list.waitFor();
    assert.deepEqual(await list.locator('.key').allTextContents(), ['Name', 'Pid', 'Parent', 'Modules', 'CommandLine', 'Args', 'LateKey'], 'in the order first met');
    assert.match((await list.getByRole('listitem').last().textContent())!, /LateKey\s*1 rows · text/);
    // Into a list of dicts, then back.
    await dialog.getByRole('button', { name: 'Open Fields.Modules' }).click();
    await dialog.getByRole('button', { name: 'Open Fields.Modules[0]' }).click();
    await dialog.getByRole('button', { name: 'Add Fields.Modules[0].Path as a column' }).waitFor();
    assert.deepEqual(await list.locator('.key').allTextContents(), ['Path', 'Size']);
    await app.screenshot('expand-dialog');
    await dialog.getByRole('button', { name: 'Fields', exact: true }).click();
    await list.getByRole('button', { name: 'Add Fields.Name as a column' }).click();
    await dialog.waitFor({ state: 'detached' });
    await view().getByRole('status').filter({ hasText: 'Added the column Fields.Name.' }).waitFor();
    assert.deepEqual(await names(), ['_ts', 'ClientId', '_Source', 'EventTime', 'EventID', 'Fields', 'Fields.Name', 'Tags']);
    assert.equal(await cell(2, 'Fields.Name'), 'cmd.exe');

    // Filter on it (the engine's view), then sort on it.
    await header('Fields.Name').getByLabel('Filter Fields.Name').fill('=lsass.exe');
    await header('Fields.Name').getByLabel('Filter Fields.Name').press('Enter');
    const lsass = rows.filter((r) => (r.Fields as { Name: string }).Name === 'lsass.exe').length;
    await waitCount(`${lsass.toLocaleString('en-US')} of ${ROWS.toLocaleString('en-US')} rows`);
    assert.equal(await cell(await firstRow(), 'Fields.Name'), 'lsass.exe');
    await header('Fields.Name').getByLabel('Filter Fields.Name').fill('');
    await header('Fields.Name').getByLabel('Filter Fields.Name').press('Enter');
    await waitCount(`${ROWS.toLocaleString('en-US')} of ${ROWS.toLocaleString('en-US')} rows`);
    await header('Fields.Name').getByRole('button', { name: 'Fields.Name', exact: true }).click();
    assert.equal(await header('Fields.Name').getAttribute('aria-sort'), 'ascending');
    await app.page.waitForFunction(() => document.querySelector('[role=grid] [role=row][aria-rowindex="2"]')?.getAttribute('data-row') === '2');
    assert.equal(await cell(2, 'Fields.Name'), 'cmd.exe', 'cmd.exe sorts first; ties in file order');
  });

  test('"Add as column" on a nested key in the details; the column menu removes an expanded column', T, async () => {
    await grid().locator('[role=row][data-row="2"]').click();
    const details = side().getByRole('region', { name: 'Row details' });
    await details.getByText('"Name": "cmd.exe",').first().waitFor();
    const pidLine = details.locator('pre > span').filter({ hasText: '"Pid": 1001,' });
    await pidLine.hover();
    await details.getByRole('button', { name: 'Add Fields.Pid as column' }).click();
    await view().getByRole('status').filter({ hasText: 'Added the column Fields.Pid.' }).waitFor();
    assert.deepEqual(await names(), ['_ts', 'ClientId', '_Source', 'EventTime', 'EventID', 'Fields', 'Fields.Pid', 'Fields.Name', 'Tags']);
    assert.equal(await header('Fields.Name').getAttribute('aria-sort'), 'ascending', 'the sort is kept');
    assert.equal(await cell(2, 'Fields.Pid'), '1001');
    assert.equal(await grid().locator('[role=row][data-row="2"] [role=gridcell]').nth(2 + 6).evaluate((c) => getComputedStyle(c).textAlign), 'right', 'a number column');
    // The picture: the nested column, its expanded fields and the details side by side.
    await grid().evaluate((el) => {
      const from = el.querySelector<HTMLElement>('[role=columnheader][aria-label="EventID"]')!;
      const gutter = el.querySelector<HTMLElement>('[role=columnheader][aria-label="Row"]')!;
      el.scrollLeft += from.getBoundingClientRect().left - gutter.getBoundingClientRect().right;
    });
    await pidLine.hover();
    await app.docsShot('logs-nested-1440x900');
    await header('Fields.Pid').getByRole('button', { name: 'Fields.Pid column menu' }).click();
    await app.page.getByRole('menuitem', { name: 'Remove column' }).click();
    await view().getByRole('status').filter({ hasText: 'Removed the column Fields.Pid.' }).waitFor();
    assert.deepEqual(await names(), ['_ts', 'ClientId', '_Source', 'EventTime', 'EventID', 'Fields', 'Fields.Name', 'Tags']);
    assert.deepEqual(app.errors, []);
  });
});
