// Files that are not CSV, opened in the CSV view in Chromium: a 300 MB file with no newline, a
// file of NUL bytes after one CSV line, and a 2 GB sparse file (`truncate -s 2G`). Each used to
// freeze the page for minutes (16 MiB "records" re-parsed at every piece and sent to the page);
// now the worker stops at the first sign (a line over 16 MiB, a NUL byte) and the view says what
// and where, while the page stays usable: its tabs still switch and the next file imports.
// (How fast the problem shows is measured by scripts/bench-csv-bounds.ts, not asserted here.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { e2eSkip, openApp, type App } from './harness.ts';

const MiB = 2 ** 20;

/** Writes `head` then `mib` MiB of the byte `fill`, streamed. */
function writeFill(path: string, head: string, mib: number, fill: number): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(MiB, fill);
  writeSync(fd, head);
  for (let i = 0; i < mib; i++) writeSync(fd, chunk);
  closeSync(fd);
}

describe('e2e: CSV import of files that are not CSV', { skip: e2eSkip() }, () => {
  let app: App;
  before(async () => {
    app = await openApp('csv-bounds');
    await app.page.getByRole('tab', { name: 'CSV import' }).click();
  });
  after(async () => app?.close());

  /** Opens `path` in the view and returns the problem it shows (the summary's alert). */
  async function problemFor(path: string): Promise<string> {
    const { page } = app;
    await page.getByLabel('Open CSV file').setInputFiles(path);
    const summary = page.getByRole('region', { name: 'Import summary' });
    await summary.getByText(/failed in/).waitFor({ timeout: 60_000 });
    return (await summary.getByRole('alert').textContent()) ?? '';
  }

  test('a 300 MB file with no newline: "line 2 is longer than 16 MiB", the header row kept', async () => {
    const path = join(app.dir, 'one-line.csv');
    writeFill(path, 'id,data\n1,', 300, 0x61);
    const message = await problemFor(path);
    await app.screenshot('no-newline');
    assert.equal(message, 'file one-line.csv: line 2 is longer than 16 MiB at byte 16777224 (it starts at byte 8): this is not a line-oriented CSV file, so the import stopped there');
    const summary = await app.page.getByRole('region', { name: 'Import summary' }).textContent();
    assert.match(summary!, /0 rows from one-line\.csv · 2 columns/);
  });

  test('a file of NUL bytes: "looks binary: NUL byte at offset 12"', async () => {
    const path = join(app.dir, 'zeros.csv');
    writeFill(path, 'id,name\n1,x\n', 20, 0);
    assert.equal(await problemFor(path), 'file zeros.csv looks binary: NUL byte at offset 12 (a text file has none): it is not a CSV file, so the import stopped there');
  });

  test('a 2 GB sparse file: refused at its first byte, and the page is still usable', async () => {
    const path = join(app.dir, 'sparse.csv');
    writeFileSync(path, '');
    truncateSync(path, 2 * 2 ** 30);
    assert.equal(await problemFor(path), 'file sparse.csv looks binary: NUL byte at offset 0 (a text file has none): it is not a CSV file, so the import stopped there');
    await app.screenshot('sparse');
    // The page answers: another tab opens and the CSV view comes back.
    const { page } = app;
    await page.getByRole('tab', { name: 'Artifacts' }).click();
    await page.getByRole('tab', { name: 'CSV import' }).click();
    // And a real CSV file after it imports as usual.
    const good = join(app.dir, 'good.csv');
    writeFileSync(good, 'id,note\n1,"a\rb"\n2,plain\n');
    await page.getByLabel('Open CSV file').setInputFiles(good);
    const summary = page.getByRole('region', { name: 'Import summary' });
    await summary.getByText(/done in/).waitFor({ timeout: 60_000 });
    assert.match((await summary.textContent())!, /2 rows from good\.csv · 2 columns · delimiter comma/);
    assert.deepEqual(app.errors, []);
  });
});
