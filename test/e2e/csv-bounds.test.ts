// Files that are not CSV, opened in the log workbench in Chromium (the analytic engine on the
// host reads them): a 300 MB file with no newline, a file of NUL bytes after one CSV line, and a
// 2 GB sparse file (`truncate -s 2G`). Each is a clear problem or error in the view while the
// page stays usable: its tabs still switch and the next file opens. (How fast is measured by
// the benchmarks, not asserted here.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { e2eSkip, openApp, type App } from './harness.ts';

const MiB = 2 ** 20;
const T = { timeout: 180_000 };

/** Writes `head` then `mib` MiB of the byte `fill`, streamed. */
function writeFill(path: string, head: string, mib: number, fill: number): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(MiB, fill);
  writeSync(fd, head);
  for (let i = 0; i < mib; i++) writeSync(fd, chunk);
  closeSync(fd);
}

describe('e2e: files that are not CSV, in the log workbench', { skip: e2eSkip() }, () => {
  let app: App;
  before(async () => {
    app = await openApp('csv-bounds');
    await app.page.getByRole('tab', { name: 'Logs workbench' }).click();
  });
  after(async () => app?.close());

  const view = () => app.page.getByRole('region', { name: 'Logs workbench' });

  /** Opens `path` through the picker's path box; resolves with the summary once the load ended (or the error shown). */
  async function open(path: string): Promise<{ summary: string; error: string }> {
    const { page } = app;
    await view().getByRole('button', { name: 'Open file…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Path').fill(path);
    await dialog.getByLabel('Path').press('Enter');
    const name = path.split('/').pop()!;
    // The summary and the error are read in the same check that sees the file done, not after
    // it (the page may redraw in between).
    const done = await page.waitForFunction((n) => {
      const summary = document.querySelector('[aria-label="Table summary"]')?.textContent ?? '';
      const error = document.querySelector('section[aria-label="Logs workbench"] p[role="alert"]')?.textContent ?? '';
      return (summary.includes(n) && summary.includes('loaded in')) || error.includes(n) ? { summary, error } : false;
    }, name, { timeout: 150_000 });
    return (await done.jsonValue()) as { summary: string; error: string };
  }

  async function problems(): Promise<string[]> {
    await view().getByRole('complementary', { name: 'Side panel' }).getByRole('tab', { name: /^Problems/ }).click();
    return view().getByRole('region', { name: 'Problems' }).getByRole('listitem').allTextContents();
  }

  test('a file of NUL bytes after one CSV line: the good row, and the NUL block listed as a problem line', T, async () => {
    const path = join(app.dir, 'zeros.csv');
    writeFill(path, 'id,name\n1,x\n', 20, 0);
    const { summary } = await open(path);
    assert.match(summary.replace(/\s+/g, ' '), /zeros\.csv · csv · 2 rows/);
    const list = await problems();
    assert.equal(list.length, 1);
    assert.match(list[0]!, /row 2 · line 3.*longer than 16 MiB/);
    await app.screenshot('nul-bytes');
  });

  test('a 2 GB sparse file: refused with an error naming the file, and the page is still usable', T, async () => {
    const path = join(app.dir, 'sparse.csv');
    writeFileSync(path, '');
    truncateSync(path, 2 * 2 ** 30);
    const { error } = await open(path);
    assert.match(error, /sparse\.csv/);
    await app.screenshot('sparse');
    // The page answers: another tab opens and the workbench comes back.
    const { page } = app;
    await page.getByRole('tab', { name: 'Artifacts' }).click();
    await page.getByRole('tab', { name: 'Logs workbench' }).click();
    // And a real CSV file after it opens as usual.
    const good = join(app.dir, 'good.csv');
    writeFileSync(good, 'id,note\n1,"a\rb"\n2,plain\n');
    const opened = await open(good);
    assert.match(opened.summary.replace(/\s+/g, ' '), /good\.csv · csv · 2 rows · 2 columns/, `the error shown: ${opened.error}`);
    assert.deepEqual(app.errors, []);
  });

  test('a 300 MB file with no newline: the line is kept and listed as a problem', T, async () => {
    const path = join(app.dir, 'one-line.csv');
    writeFill(path, 'id,data\n1,', 300, 0x61);
    const { summary } = await open(path);
    await app.screenshot('no-newline');
    assert.match(summary.replace(/\s+/g, ' '), /one-line\.csv · csv · 1 rows?/);
    const list = await problems();
    assert.match(list[0] ?? '', /line 2.*longer than/);
  });
});
