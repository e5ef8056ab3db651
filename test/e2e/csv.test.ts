// CSV import in Chromium: a generated 200,000-row file with exactly 3 malformed rows opens
// through the file input; the problems panel names exactly those rows (with their lines), the
// table has every row; a column filter and "Export CSV" give a file equal to the filtered rows.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Papa from 'papaparse';
import { e2eSkip, openApp, type App } from './harness.ts';

const ROWS = 200_000;
const USERS = ['root', 'alice', 'bob', 'SYSTEM'];
/** Data rows (1-based) that are malformed: too few fields, too many, an unterminated quote. */
const SHORT = 777;
const LONG = 100_001;
const BAD_QUOTE = 199_990;
/** Row 10's note spans two lines, so every later row's file line is its row number + 2. */
const MULTILINE = 10;

const iso = (i: number) => new Date(Date.UTC(2024, 0, 1) + i * 1000 + (i % 1000)).toISOString();

/** The file, and each row as the table should hold it (cells as exported text; _extra last). */
function generate(): { text: string; expected: string[][] } {
  const lines = ['id,Time,User,Value,Note'];
  const expected: string[][] = [];
  for (let i = 1; i <= ROWS; i++) {
    const user = i === SHORT || i === LONG || i === BAD_QUOTE ? 'alice' : USERS[i % 4]!;
    const value = String(i * 0.25);
    const note = i === MULTILINE ? 'two\nlines' : i % 1000 === 0 ? `note, ${i}` : `note ${i}`;
    const quoted = /[,\n]/.test(note) ? `"${note}"` : note;
    if (i === SHORT) {
      lines.push(`${i},${iso(i)},${user}`);
      expected.push([String(i), iso(i), user, '', '', '']);
    } else if (i === LONG) {
      lines.push(`${i},${iso(i)},${user},${value},${quoted},EXTRA1,EXTRA2`);
      expected.push([String(i), iso(i), user, value, note, 'EXTRA1,EXTRA2']);
    } else if (i === BAD_QUOTE) {
      lines.push(`${i},${iso(i)},${user},${value},"broken ${note}`);
      expected.push([String(i), iso(i), user, value, `"broken ${note}`, '']);
    } else {
      lines.push(`${i},${iso(i)},${user},${value},${quoted}`);
      expected.push([String(i), iso(i), user, value, note, '']);
    }
  }
  return { text: lines.join('\n') + '\n', expected };
}

describe('e2e: CSV import', { skip: e2eSkip() }, () => {
  let app: App;
  let file: string;
  let expected: string[][];
  before(async () => {
    app = await openApp('csv');
    const g = generate();
    expected = g.expected;
    file = join(app.dir, 'events.csv');
    writeFileSync(file, g.text);
  });
  after(async () => app?.close());

  test('200,000 rows, exactly the 3 malformed rows reported, filter and export the view', async () => {
    const { page } = app;
    await page.getByRole('tab', { name: 'CSV import' }).click();
    await page.getByLabel('Open CSV file').setInputFiles(file);
    const summary = page.getByRole('region', { name: 'Import summary' });
    await summary.getByText(/done in/).waitFor({ timeout: 60_000 });
    await app.screenshot('imported');
    assert.match((await summary.textContent())!, /200,000 rows from events\.csv · 6 columns · delimiter comma/);
    const columns = await summary.getByRole('list', { name: 'Columns' }).innerText();
    assert.deepEqual(columns.split('\n').map((l) => l.trim()).filter(Boolean),
      ['id number', 'Time timestamp', 'User text', 'Value number', 'Note text', '_extra text']);

    const problems = page.getByRole('region', { name: 'Problems' });
    assert.match((await problems.getByRole('heading').textContent())!, /Problems \(3\)/);
    const items = await problems.getByRole('listitem').allTextContents();
    assert.equal(items.length, 3);
    assert.match(items[0]!, new RegExp(`row ${SHORT} \\(line ${SHORT + 2}\\).*3 of 5 fields`));
    assert.match(items[1]!, new RegExp(`row ${LONG} \\(line ${LONG + 2}\\).*7 fields, the header has 5.*_extra`));
    assert.match(items[2]!, new RegExp(`row ${BAD_QUOTE} \\(line ${BAD_QUOTE + 2}\\).*malformed quotes`));

    const table = page.getByRole('grid', { name: 'Imported rows' });
    const count = page.getByRole('region', { name: 'CSV import' }).locator('[aria-live="polite"]');
    await page.waitForFunction(() => /200,000 of 200,000 rows/.test(document.querySelector('section[aria-label="CSV import"] [aria-live="polite"]')?.textContent ?? ''));

    // Filter through the table's own per-column filter, then export what it shows.
    const want = expected.filter((r) => r[2] === 'alice');
    await table.getByLabel('Filter User', { exact: true }).fill('=alice');
    await page.waitForFunction((n) => (document.querySelector('section[aria-label="CSV import"] [aria-live="polite"]')?.textContent ?? '').startsWith(n),
      `${want.length.toLocaleString('en-US')} of 200,000`);
    assert.match((await count.textContent())!, new RegExp(`^${want.length.toLocaleString('en-US')} of 200,000 rows`));
    await app.screenshot('filtered');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    const text = readFileSync((await download.path())!, 'utf8');
    const parsed = Papa.parse<string[]>(text.replace(/\r\n$/, ''), { newline: '\r\n' }).data;
    assert.deepEqual(parsed[0], ['id', 'Time', 'User', 'Value', 'Note', '_extra']);
    assert.equal(parsed.length - 1, want.length);
    assert.deepEqual(parsed.slice(1), want);
    assert.deepEqual(app.errors, []);
  });

  test('a folder of daily files opens as one table in day order, with a _file column', async () => {
    const { page } = app;
    const folder = join(app.dir, 'Generic.Client.Stats');
    mkdirSync(folder);
    writeFileSync(join(folder, '2024-01-10.csv'), '_ts,CPU\n1704844800,3\n');
    writeFileSync(join(folder, '2024-01-02.csv'), '_ts,CPU\n1704153600,1\n');
    writeFileSync(join(folder, '2024-01-02.1.csv'), '_ts,CPU,RSS\n1704153700,2,100\n');
    writeFileSync(join(folder, 'notes.md'), 'not a CSV file');
    await page.getByLabel('Open folder').setInputFiles(folder);
    const summary = page.getByRole('region', { name: 'Import summary' });
    await summary.getByText(/done in/).waitFor({ timeout: 30_000 });
    assert.match((await summary.textContent())!.replace(/\s+/g, ' '), /3 rows from 3 files · 4 columns · delimiter comma · done in/);
    const columns = await summary.getByRole('list', { name: 'Columns' }).innerText();
    assert.deepEqual(columns.split('\n').map((l) => l.trim()).filter(Boolean), ['_file text', '_ts timestamp', 'CPU number', 'RSS number']);
    const cells = await page.getByRole('grid', { name: 'Imported rows' }).getByRole('row').evaluateAll((rows) =>
      rows.slice(1).map((r) => Array.from(r.querySelectorAll('[role="gridcell"]'), (c) => c.textContent!.trim())));
    assert.deepEqual(cells, [
      ['Generic.Client.Stats/2024-01-02.csv', '2024-01-02T00:00:00.000Z', '1', ''],
      ['Generic.Client.Stats/2024-01-02.1.csv', '2024-01-02T00:01:40.000Z', '2', '100'],
      ['Generic.Client.Stats/2024-01-10.csv', '2024-01-10T00:00:00.000Z', '3', ''],
    ]);
    await app.screenshot('folder');
    assert.deepEqual(app.errors, []);
  });
});
