// The log workbench in Chromium, over the analytic engine of the web host: a generated
// 200,000-row CSV file with exactly 3 malformed rows and a JSON lines file are opened through
// the host-side file picker (path box, list, keyboard); the problems panel names exactly those
// rows (with their lines) and jumps to them; sort (one key, then a second with shift-click),
// filters (a bad one turns red with its message), group by, value counts, tags and tagged-only,
// jump to a row, freezing, copy, the SQL box, an export downloaded through the host's one-time
// address equal to the filtered rows, the engine's memory limit; a folder of day files opens as
// one table in time order.
// Screenshots at 1440x900 and 1024x700 go to test-results/e2e/workbench/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Papa from 'papaparse';
import type { Locator } from 'playwright-core';
import { e2eSkip, openApp, type App } from './harness.ts';

const ROWS = 200_000;
const USERS = ['root', 'alice', 'bob', 'SYSTEM'];
/** Data rows (1-based) that are malformed: too few fields, too many, a quote inside an unquoted field. */
const SHORT = 777;
const LONG = 100_001;
const BARE_QUOTE = 199_990;
/** Row 10's note spans two lines, so every later row's file line is its row number + 2. */
const MULTILINE = 10;
const T = { timeout: 120_000 };

const iso = (i: number) => new Date(Date.UTC(2024, 0, 1) + i * 1000 + (i % 1000)).toISOString();

/**
 * The file, and each row as the table should hold it (cells as exported text). The two ragged
 * records are kept as rows of their own with every column empty and their text in `_raw`; the
 * bare quote is read as the text it is (and listed).
 */
function generate(): { text: string; expected: string[][] } {
  const lines = ['id,Time,User,Value,Note'];
  const expected: string[][] = [];
  for (let i = 1; i <= ROWS; i++) {
    const user = i === SHORT || i === LONG || i === BARE_QUOTE ? 'alice' : USERS[i % 4]!;
    const value = String(i * 0.25);
    const note = i === MULTILINE ? 'two\nlines' : i === BARE_QUOTE ? `a "bare" quote ${i}` : i % 1000 === 0 ? `note, ${i}` : `note ${i}`;
    const quoted = /[,\n]/.test(note) ? `"${note}"` : note;
    if (i === SHORT) {
      lines.push(`${i},${iso(i)},${user}`);
      expected.push(['', '', '', '', '']);
    } else if (i === LONG) {
      lines.push(`${i},${iso(i)},${user},${value},${quoted},EXTRA1,EXTRA2`);
      expected.push(['', '', '', '', '']);
    } else {
      lines.push(`${i},${iso(i)},${user},${value},${quoted}`);
      expected.push([String(i), iso(i), user, value, note]);
    }
  }
  return { text: lines.join('\n') + '\n', expected };
}

describe('e2e: log workbench', { skip: e2eSkip() }, () => {
  let app: App;
  let folder: string;
  let expected: string[][];
  before(async () => {
    app = await openApp('workbench');
    await app.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(app.host.url).origin });
    await app.page.setViewportSize({ width: 1440, height: 900 });
    folder = join(app.dir, 'evidence');
    mkdirSync(folder);
    const g = generate();
    expected = g.expected;
    writeFileSync(join(folder, 'events.csv'), g.text);
    const json = Array.from({ length: 1000 }, (_, i) =>
      i === 499 ? '{"pid": 500, "name": "broken' : JSON.stringify({ pid: i + 1, name: `proc${i % 7}`, cmd: { exe: `/bin/p${i}`, args: [i, 'x'] }, ok: i % 2 === 0 }));
    writeFileSync(join(folder, 'procs.jsonl'), json.join('\n') + '\n');
    writeFileSync(join(folder, 'notes.md'), 'not a log');
  });
  after(async () => app?.close());

  const view = () => app.page.getByRole('region', { name: 'Logs workbench' });
  const grid = () => view().getByRole('grid', { name: 'Workbench rows' });
  const count = () => view().getByLabel('Row count');
  const waitCount = (text: string) => app.page.waitForFunction((t) => document.querySelector('[aria-label="Row count"]')?.textContent?.trim() === t, text, { timeout: 60_000 });
  /** The load of `label` ended (the summary says how long it took). */
  const waitReady = (label: string) => app.page.waitForFunction((l) => {
    const t = document.querySelector('[aria-label="Table summary"]')?.textContent ?? '';
    return t.includes(l) && t.includes('loaded in');
  }, label, { timeout: 60_000 });
  const header = (name: string) => grid().getByRole('columnheader', { name, exact: true });
  const side = () => view().getByRole('complementary', { name: 'Side panel' });
  /** The `_row` of the rows drawn, top to bottom (placeholders as null). */
  const drawnRows = () => grid().locator('[role=row][data-row]').evaluateAll((rows) => rows.map((r) => Number((r as HTMLElement).dataset.row)));
  /** The cells of the first row of the view once it is drawn (once it is row `row`, when given). */
  async function firstRow(row?: number): Promise<string[]> {
    const first = grid().locator(`[role=row][aria-rowindex="2"]${row === undefined ? '[data-row]' : `[data-row="${row}"]`}`);
    await first.waitFor({ timeout: 30_000 });
    return first.locator('[role=gridcell]').allTextContents();
  }
  async function pickerOpen(button: string): Promise<Locator> {
    await view().getByRole('button', { name: button }).click();
    const dialog = app.page.getByRole('dialog');
    await dialog.waitFor();
    return dialog;
  }

  test('the picker lists the host folder (log files only) and opens the CSV from the keyboard; the first rows, then the whole table', T, async () => {
    const { page } = app;
    await page.getByRole('tab', { name: 'Logs workbench' }).click();
    const dialog = await pickerOpen('Open file…');
    await dialog.getByLabel('Path').fill(folder);
    await dialog.getByLabel('Path').press('Enter');
    const list = dialog.getByRole('listbox');
    await list.getByRole('option', { name: /events\.csv/ }).waitFor();
    assert.deepEqual(await list.getByRole('option').locator('.name').allTextContents(), ['events.csv', 'procs.jsonl'], 'notes.md is not a log file');
    assert.ok(await dialog.getByRole('button', { name: 'evidence' }).isVisible(), 'breadcrumbs');
    await app.screenshot('picker');
    await list.focus();
    await list.press('ArrowDown');
    assert.equal(await list.getByRole('option', { name: /events\.csv/ }).getAttribute('aria-selected'), 'true');
    await list.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    await waitReady('events.csv');
    await waitCount('200,000 of 200,000 rows');
    const summary = await view().getByLabel('Table summary').textContent();
    assert.match(summary!.replace(/\s+/g, ' '), /events\.csv · csv · 200,000 rows · 6 columns · 3 problems · loaded in/);
    const names = await grid().getByRole('columnheader').evaluateAll((hs) => hs.slice(2).map((h) => h.getAttribute('aria-label')));
    assert.deepEqual(names, ['id', 'Time', 'User', 'Value', 'Note', '_raw']);
    assert.deepEqual(await firstRow(), ['☆', '1', '1', '2024-01-01T00:00:01.001Z', 'alice', '0.25', 'note 1', '']);
    // Numbers right-aligned, times as ISO.
    assert.equal(await grid().locator('[role=row][aria-rowindex="2"] [role=gridcell]').nth(5).evaluate((c) => getComputedStyle(c).textAlign), 'right');
    assert.ok((await grid().getByRole('row').count()) < 120, 'only the rows on screen are in the page');
    await app.screenshot('opened-1440');
  });

  test('the problems panel lists exactly the 3 malformed rows and jumps to each', T, async () => {
    await side().getByRole('tab', { name: 'Problems (3)' }).click();
    const problems = side().getByRole('region', { name: 'Problems' });
    const items = await problems.getByRole('listitem').allTextContents();
    assert.equal(items.length, 3);
    assert.match(items[0]!, new RegExp(`row ${SHORT} · line ${SHORT + 2}.*too few fields`));
    assert.match(items[1]!, new RegExp(`row ${LONG.toLocaleString('en-US')} · line ${(LONG + 2).toLocaleString('en-US')}.*too many fields`));
    assert.match(items[2]!, new RegExp(`row ${BARE_QUOTE.toLocaleString('en-US')} · line ${(BARE_QUOTE + 2).toLocaleString('en-US')}.*quote inside an unquoted field`));
    await problems.getByRole('button', { name: /row 100,001/ }).click();
    const jumped = grid().locator(`[role=row][data-row="${LONG}"]`);
    await jumped.waitFor();
    assert.equal(await jumped.getAttribute('aria-selected'), 'true');
    assert.match((await jumped.getAttribute('class'))!, /flash/);
    assert.match(await jumped.textContent() ?? '', /100001,2024-01-02T03:46:41\.001Z,alice,25000\.25,note 100001,EXTRA1,EXTRA2/, 'its text is kept in _raw');
    await app.screenshot('problem-jumped');
    await problems.getByRole('button', { name: /row 199,990/ }).click();
    await grid().locator(`[role=row][data-row="${BARE_QUOTE}"][aria-selected="true"]`).waitFor();
    await side().getByRole('tab', { name: 'Details' }).click();
    const details = side().getByRole('region', { name: 'Row details' });
    assert.match((await details.textContent())!, /Row 199,990.*Note.*a "bare" quote 199990/s);
  });

  test('sort: a click sorts by one column, shift-click adds a second key', T, async () => {
    await header('Value').getByRole('button', { name: 'Value', exact: true }).click();
    await header('Value').getByRole('button', { name: 'Value', exact: true }).click();
    assert.equal(await header('Value').getAttribute('aria-sort'), 'descending');
    assert.deepEqual((await firstRow(200_000)).slice(1, 6), ['200000', '200000', '2024-01-03T07:33:20.000Z', 'root', '50000']);
    // User ascending first, then Value descending within each user: click User, then shift-click Value twice.
    await header('User').getByRole('button', { name: 'User', exact: true }).click();
    await header('Value').getByRole('button', { name: 'Value', exact: true }).click({ modifiers: ['Shift'] });
    await header('Value').getByRole('button', { name: 'Value', exact: true }).click({ modifiers: ['Shift'] });
    assert.equal(await header('User').getAttribute('aria-sort'), 'ascending');
    assert.equal(await header('Value').getAttribute('aria-sort'), 'descending');
    assert.match((await header('Value').textContent())!, /▼2/);
    // Case-folded: alice first; her largest Value is row 199997 (199990 is hers too but smaller).
    assert.deepEqual((await firstRow(199_997)).slice(1, 6), ['199997', '199997', iso(199_997), 'alice', '49999.25']);
    await app.screenshot('sorted');
    // Back to file order.
    await header('User').getByRole('button', { name: 'User', exact: true }).click();
    await header('User').getByRole('button', { name: 'User', exact: true }).click();
    await header('User').getByRole('button', { name: 'User', exact: true }).click();
    assert.equal(await header('User').getAttribute('aria-sort'), 'none');
    assert.equal((await firstRow(1))[1], '1');
  });

  test('filters: a column filter narrows the count; a bad one turns red with its message and is left out', T, async () => {
    const want = expected.filter((r) => r[2] === 'alice').length;
    await grid().getByLabel('Filter User', { exact: true }).fill('=alice');
    await waitCount(`${want.toLocaleString('en-US')} of 200,000 rows`);
    const value = grid().getByLabel('Filter Value', { exact: true });
    await value.fill('>');
    await value.press('Enter');
    await app.page.waitForFunction(() => document.querySelector('[aria-label="Filter Value"]')?.getAttribute('aria-invalid') === 'true');
    assert.match((await value.getAttribute('title'))!, /'>' needs a value after it/);
    assert.match((await view().getByRole('alert').first().textContent())!, /Value: filter at character 1: '>' needs a value/);
    assert.equal(await count().textContent(), `${want.toLocaleString('en-US')} of 200,000 rows`, 'the bad filter is left out');
    await app.screenshot('bad-filter');
    await value.fill('<=2');
    await value.press('Enter');
    await waitCount('2 of 200,000 rows');
    assert.deepEqual(await drawnRows(), [1, 5]);
    await view().getByRole('button', { name: /^Clear filters/ }).click();
    await waitCount('200,000 of 200,000 rows');
    assert.equal(await grid().getByLabel('Filter User', { exact: true }).inputValue(), '');
  });

  test('group by: counts per user; clicking a group filters to it', T, async () => {
    await side().getByRole('tab', { name: 'Group by' }).click();
    const groups = side().getByRole('region', { name: 'Group by' });
    await groups.getByLabel('Group by column').selectOption('User');
    const tree = groups.getByRole('tree', { name: 'Groups' });
    await tree.getByRole('treeitem').first().waitFor();
    const items = await tree.getByRole('treeitem').evaluateAll((li) => li.map((l) => `${l.querySelector('.value')!.textContent} ${l.querySelector('.count')!.textContent}`));
    assert.deepEqual(items, ['SYSTEM 50,000', 'root 50,000', 'alice 49,999', 'bob 49,999', '(empty) 2']);
    await app.screenshot('groups');
    await tree.getByRole('button', { name: /^root/ }).click();
    await waitCount('50,000 of 200,000 rows');
    assert.match((await view().getByText(/User = root/).textContent())!, /User = root/);
    await view().getByRole('button', { name: 'Remove the User filter' }).click();
    await waitCount('200,000 of 200,000 rows');
  });

  test('value counts: top values with counts and shares; a click filters to one, ⊘ excludes one', T, async () => {
    await side().getByRole('tab', { name: 'Values' }).click();
    const values = side().getByRole('region', { name: 'Value counts' });
    await values.getByLabel('Value counts of column').selectOption('User');
    const list = values.getByRole('list', { name: 'Top values of User' });
    await list.getByRole('listitem').first().waitFor();
    const rows = await list.getByRole('listitem').evaluateAll((li) => li.map((l) => ['.text', '.count', '.pct'].map((k) => l.querySelector(k)!.textContent).join(' ')));
    assert.deepEqual(rows, ['SYSTEM 50,000 25%', 'root 50,000 25%', 'alice 49,999 25%', 'bob 49,999 25%', '(empty) 2 <0.1%']);
    assert.match((await values.textContent())!, /200,000 rows · 4 distinct · 2 empty/);
    await app.screenshot('values');
    await values.getByRole('button', { name: 'Exclude bob' }).click();
    await waitCount('150,001 of 200,000 rows');
    await view().getByRole('button', { name: 'Remove the User exclusion' }).click();
    await waitCount('200,000 of 200,000 rows');
  });

  test('tags: a star per row, "Tagged only" shows just those; jump to a row by number', T, async () => {
    await grid().getByRole('button', { name: 'Tag row 2', exact: true }).click();
    await grid().getByRole('button', { name: 'Tag row 4', exact: true }).click();
    await view().getByRole('button', { name: 'Tagged only (2)' }).click();
    await waitCount('2 of 200,000 rows');
    assert.deepEqual(await drawnRows(), [2, 4]);
    await app.screenshot('tagged');
    await grid().getByRole('button', { name: 'Untag row 4', exact: true }).click();
    await waitCount('1 of 200,000 rows');
    await view().getByRole('button', { name: 'Tagged only (1)' }).click();
    await waitCount('200,000 of 200,000 rows');
    await view().getByLabel('Row number').fill('150,000');
    await view().getByRole('button', { name: 'Go to row' }).click();
    const row = grid().locator('[role=row][data-row="150000"][aria-selected="true"]');
    await row.waitFor();
    assert.match((await row.textContent())!, /150000.*root.*37500/);
  });

  test('the SQL box runs a query over `data`; an error is shown as the engine words it', T, async () => {
    await view().getByRole('button', { name: 'SQL', exact: true }).click();
    const sql = view().getByRole('region', { name: 'SQL' });
    await sql.getByLabel('SQL query').fill('SELECT User, count(*) AS n FROM data WHERE User IS NOT NULL GROUP BY User ORDER BY n DESC, User');
    await sql.getByRole('button', { name: 'Run' }).click();
    const result = sql.getByRole('grid', { name: 'SQL result' });
    await result.getByRole('gridcell', { name: 'SYSTEM' }).waitFor();
    const cells = await result.locator('[role=row][aria-rowindex]').evaluateAll((rows) => rows.slice(1).map((r) => Array.from(r.querySelectorAll('[role=gridcell]'), (c) => c.textContent!.trim())));
    assert.deepEqual(cells, [['SYSTEM', '50000'], ['root', '50000'], ['alice', '49999'], ['bob', '49999']]);
    await app.screenshot('sql');
    await sql.getByLabel('SQL query').fill('SELECT nope FROM data');
    await sql.getByLabel('SQL query').press('Control+Enter');
    await sql.getByRole('alert').waitFor();
    assert.match((await sql.getByRole('alert').textContent())!, /nope/);
    await sql.getByLabel('SQL query').fill('DROP TABLE data');
    await sql.getByRole('button', { name: 'Run' }).click();
    await sql.getByRole('alert').filter({ hasText: /only queries run here/ }).waitFor();
  });

  test('the layout fits at 1024x700 (side panel and SQL open); a frozen first column stays put', T, async () => {
    await app.page.setViewportSize({ width: 1024, height: 700 });
    await view().getByRole('button', { name: 'Columns' }).click();
    await view().getByLabel('Frozen columns').selectOption('1');
    await view().getByRole('button', { name: 'Columns' }).click();
    await grid().evaluate((el) => (el.scrollLeft = 400));
    const id = header('id');
    assert.equal(await id.evaluate((h) => getComputedStyle(h).position), 'sticky');
    const gridBox = (await grid().boundingBox())!;
    const idBox = (await id.boundingBox())!;
    assert.ok(Math.abs(idBox.x - gridBox.x - 108) < 2, `the frozen column stays after the star and row number (${idBox.x - gridBox.x}px)`);
    await app.screenshot('layout-1024-sql');
    const box = await grid().boundingBox();
    assert.ok(box && box.height >= 120 && box.width >= 500, JSON.stringify(box));
    const width = await app.page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 1024, `the page is ${width}px wide`);
    await view().getByRole('button', { name: 'Close SQL' }).click();
    await grid().evaluate((el) => (el.scrollLeft = 0));
    await app.screenshot('layout-1024');
    await app.page.setViewportSize({ width: 1440, height: 900 });
  });

  test('export: the filtered view as CSV, downloaded from the host, equal to the filtered rows', T, async () => {
    const want = expected.filter((r) => r[2] === 'alice');
    await grid().getByLabel('Filter User', { exact: true }).fill('=alice');
    await waitCount(`${want.length.toLocaleString('en-US')} of 200,000 rows`);
    // _raw hidden: an export has the visible columns.
    await view().getByRole('button', { name: 'Columns' }).click();
    await view().getByRole('group', { name: 'Columns' }).getByRole('checkbox', { name: '_raw' }).uncheck();
    await view().getByRole('button', { name: 'Columns' }).click();
    await view().getByRole('button', { name: 'Export…' }).click();
    const dialog = app.page.getByRole('dialog', { name: 'Export the view' });
    assert.equal(await dialog.getByLabel('Export file name').inputValue(), 'events-view.csv', 'never the opened file\'s own name');
    assert.equal(await dialog.getByLabel(/Neutralize formulas/).isChecked(), true);
    await app.screenshot('export-dialog');
    const [download] = await Promise.all([app.page.waitForEvent('download'), dialog.getByRole('button', { name: 'Download' }).click()]);
    assert.equal(download.suggestedFilename(), 'events-view.csv');
    const text = readFileSync((await download.path())!, 'utf8');
    const parsed = Papa.parse<string[]>(text.replace(/\r\n$/, ''), { newline: '\r\n' }).data;
    assert.deepEqual(parsed[0], ['id', 'Time', 'User', 'Value', 'Note']);
    assert.equal(parsed.length - 1, want.length);
    assert.deepEqual(parsed.slice(1), want);
    await view().getByRole('status').filter({ hasText: /Exported 49,999 rows/ }).waitFor();
    assert.deepEqual(app.errors, []);
  });

  test('a JSON lines file: nested values as JSON (pretty in the details), the bad line a problem', T, async () => {
    const dialog = await pickerOpen('Open file…');
    // A file's path typed in the path box opens it.
    await dialog.getByLabel('Path').fill(join(folder, 'procs.jsonl'));
    await dialog.getByLabel('Path').press('Enter');
    await waitReady('procs.jsonl');
    await waitCount('1,000 of 1,000 rows');
    const names = await grid().getByRole('columnheader').evaluateAll((hs) => hs.slice(2).map((h) => h.getAttribute('aria-label')));
    assert.deepEqual(names, ['pid', 'name', 'cmd', 'ok', '_raw']);
    assert.deepEqual((await firstRow()).slice(1), ['1', '1', 'proc0', '{"exe":"/bin/p0","args":[0,"x"]}', 'true', '']);
    assert.equal(await view().getByRole('tab', { name: 'Problems (1)' }).count(), 1);
    await side().getByRole('tab', { name: 'Problems (1)' }).click();
    assert.match((await side().getByRole('listitem').textContent())!, /row 500 · line 500.*not valid JSON/);
    await side().getByRole('button', { name: /row 500/ }).click();
    await grid().locator('[role=row][data-row="500"][aria-selected="true"]').waitFor();
    await grid().evaluate((el) => (el.scrollTop = 0));
    await grid().locator('[role=row][data-row="3"]').click();
    await side().getByRole('tab', { name: 'Details' }).click();
    const pre = side().getByRole('region', { name: 'Row details' }).locator('pre');
    assert.equal(await pre.textContent(), '{\n  "exe": "/bin/p2",\n  "args": [\n    2,\n    "x"\n  ]\n}');
    await app.screenshot('jsonl');
    // The cell menu: copy the row (times ISO, nested values as JSON), filter to a value.
    await grid().locator('[role=row][data-row="3"] [role=gridcell]').nth(4).click({ button: 'right' });
    await app.page.getByRole('menuitem', { name: 'Copy row as JSON' }).click();
    await view().getByRole('status').filter({ hasText: 'Copied the row.' }).waitFor();
    assert.deepEqual(JSON.parse(await app.page.evaluate(() => navigator.clipboard.readText())), { _row: 3, pid: 3, name: 'proc2', cmd: { exe: '/bin/p2', args: [2, 'x'] }, ok: true, _raw: null });
    await grid().locator('[role=row][data-row="3"] [role=gridcell]').nth(3).click({ button: 'right' });
    await app.page.getByRole('menuitem', { name: /Filter to name = proc2/ }).click();
    await waitCount('142 of 1,000 rows');
    await view().getByRole('button', { name: /^Clear filters/ }).click();
    await waitCount('1,000 of 1,000 rows');
    // Group by two columns: a level per column, collapsed, expandable.
    await side().getByRole('tab', { name: 'Group by' }).click();
    const groups = side().getByRole('region', { name: 'Group by' });
    await groups.getByLabel('Group by column').selectOption('ok');
    await groups.getByLabel('Group by column').selectOption('name');
    const tree = groups.getByRole('tree', { name: 'Groups' });
    await tree.getByRole('button', { name: 'Expand true' }).waitFor();
    const top = () => tree.getByRole('treeitem').evaluateAll((li) => li.map((l) => `${l.querySelector('.value')!.textContent} ${l.querySelector('.count')!.textContent}`));
    assert.deepEqual(await top(), ['true 500', 'false 499', '(empty) 1']);
    await tree.getByRole('button', { name: 'Expand true' }).click();
    await tree.getByRole('button', { name: 'Collapse true' }).waitFor();
    assert.equal((await top()).length, 3 + 7);
    assert.deepEqual((await top()).slice(1, 3), ['proc0 72', 'proc2 72'], 'largest first under true');
    await app.screenshot('groups-two-levels');
    await tree.getByRole('button', { name: /^proc2/ }).click();
    await waitCount('72 of 1,000 rows');
  });

  test('engine settings: the memory limit (changed for tables opened afterwards) and the temporary folder', T, async () => {
    await view().getByRole('button', { name: 'Engine…' }).click();
    const dialog = app.page.getByRole('dialog', { name: 'Engine settings' });
    const limit = dialog.getByLabel('Memory limit (MiB)');
    await app.page.waitForFunction(() => Number((document.querySelector('[aria-label="Memory limit (MiB)"]') as HTMLInputElement | null)?.value) > 0);
    const before = Number(await limit.inputValue());
    assert.match((await dialog.textContent())!, /Temporary folder.*vql-workbench-tables-/s);
    await limit.fill('512');
    await dialog.getByRole('button', { name: 'Apply' }).click();
    await dialog.getByRole('status').filter({ hasText: 'The memory limit is 512 MiB for tables opened from now on.' }).waitFor();
    await limit.fill('64');
    await dialog.getByRole('button', { name: 'Apply' }).click();
    await dialog.getByRole('alert').filter({ hasText: /at least 128 MiB/ }).waitFor();
    await limit.fill(String(before));
    await dialog.getByRole('button', { name: 'Apply' }).click();
    await app.screenshot('engine-settings');
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  test('a folder of day files opens as one table in time order', T, async () => {
    const days = join(app.dir, 'Generic.Client.Stats');
    mkdirSync(days);
    writeFileSync(join(days, '2024-01-10.csv'), '_ts,CPU\n1704844800,3\n');
    writeFileSync(join(days, '2024-01-02.csv'), '_ts,CPU\n1704153600,1\n');
    writeFileSync(join(days, '2024-01-02.1.csv'), '_ts,CPU,RSS\n1704153700,2,100\n');
    writeFileSync(join(days, 'notes.md'), 'not a CSV file');
    const dialog = await pickerOpen('Open folder…');
    await dialog.getByLabel('Path').fill(days);
    await dialog.getByLabel('Path').press('Enter');
    await dialog.getByText(/3 day files here/).waitFor();
    await dialog.getByRole('button', { name: 'Open this folder' }).click();
    await waitReady('Generic.Client.Stats');
    await waitCount('3 of 3 rows');
    await grid().locator('[role=row][data-row="3"]').waitFor();
    const cells = await grid().locator('[role=row][data-row]').evaluateAll((rows) => rows.map((r) => Array.from(r.querySelectorAll('[role="gridcell"]'), (c) => c.textContent!.trim()).slice(2)));
    assert.deepEqual(cells, [
      ['2024-01-02T00:00:00.000Z', '1', ''],
      ['2024-01-02T00:01:40.000Z', '2', '100'],
      ['2024-01-10T00:00:00.000Z', '3', ''],
    ]);
    assert.match((await view().getByLabel('Table summary').textContent())!, /Generic\.Client\.Stats 2024-01-02\.\.2024-01-10/);
    // Remembered: the recent files come back in the picker.
    const again = await pickerOpen('Open file…');
    const recent = again.getByRole('region', { name: 'Recent' }).getByRole('button');
    assert.deepEqual(await recent.allTextContents(), ['Generic.Client.Stats', 'procs.jsonl', 'events.csv']);
    assert.equal(await recent.first().getAttribute('aria-label'), 'Generic.Client.Stats (folder of day files)');
    await app.screenshot('folder');
    await again.getByRole('button', { name: 'Cancel' }).click();
    assert.deepEqual(app.errors, []);
  });
});
