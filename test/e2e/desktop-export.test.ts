// The workbench's Export… as the desktop app shows it (issue 12's exports; the Electron preload
// stood in by test/e2e/desktop-bridge.ts): no download, "Save as…" with the host's picker, a
// path next to the evidence refused with what to do, an existing file replaced only after a
// yes, and the saved CSV equal to the view's rows.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { e2eSkip, openApp, type App } from './harness.ts';
import { desktopBridge } from './desktop-bridge.ts';

const T = { timeout: 90_000 };

describe('e2e: workbench export in the desktop app', { skip: e2eSkip() }, () => {
  let app: App;
  let evidence = '';
  let out = '';
  before(async () => {
    app = await openApp('desktop-export');
    evidence = join(app.dir, 'evidence');
    out = join(app.dir, 'case');
    mkdirSync(evidence);
    mkdirSync(out);
    const rows = Array.from({ length: 50 }, (_, i) => `${i + 1},${i % 2 ? 'alice' : 'bob'},=cmd|' /C calc'!A${i}`);
    writeFileSync(join(evidence, 'auth.csv'), ['id,User,Note', ...rows].join('\n') + '\n');
    await app.page.addInitScript({ content: desktopBridge });
    // Lets a test hold back the next `files:list` reply until it releases it (window.__releaseList()).
    await app.page.addInitScript({ content: `(() => {
      const b = window.vqlBridge;
      const invoke = b.invoke;
      b.invoke = (channel, ...args) => {
        const reply = invoke(channel, ...args);
        const hold = window.__holdList;
        if (channel !== 'files:list' || !hold) return reply;
        window.__holdList = null;
        return hold.then(() => reply);
      };
    })();` });
    await app.page.reload();
  });
  after(async () => app?.close());
  const view = () => app.page.getByRole('region', { name: 'Logs workbench' });

  test('a path typed while the picker still lists its first folder is not replaced by that listing', T, async () => {
    const { page } = app;
    await page.getByRole('tab', { name: 'Logs workbench' }).click();
    await page.evaluate(`window.__holdList = new Promise((r) => { window.__releaseList = r; }); undefined`);
    await view().getByRole('button', { name: 'Open file…' }).click();
    const open = page.getByRole('dialog');
    await open.getByLabel('Path').fill(join(evidence, 'auth.csv'));
    await page.evaluate(`window.__releaseList()`);
    // The first listing has arrived (its folder is shown) and the typed path is still there.
    await open.getByRole('navigation', { name: 'Folders' }).getByRole('button').first().waitFor();
    assert.equal(await open.getByLabel('Path').inputValue(), join(evidence, 'auth.csv'));
    await open.getByLabel('Path').press('Enter');
    await page.waitForFunction(() => /auth\.csv.*loaded in/s.test(document.querySelector('[aria-label="Logs workbench"] [aria-label="Table summary"]')?.textContent ?? ''), undefined, { timeout: 60_000 });
  });

  test('Save as… writes the filtered view where the user picks; never next to the evidence; replace only after a yes', T, async () => {
    const { page } = app;
    let downloads = 0;
    page.on('download', () => downloads++);
    await page.getByRole('tab', { name: 'Logs workbench' }).click();
    // The test before left auth.csv open: close it first, so the "loaded in" waited for below is
    // this load's and not the last one's (reading the old summary raced the reload in CI).
    const close = view().getByRole('button', { name: 'Close', exact: true });
    if (await close.count()) {
      await close.click();
      await view().getByLabel('Table summary').waitFor({ state: 'detached' });
    }
    await view().getByRole('button', { name: 'Open file…' }).click();
    const open = page.getByRole('dialog');
    await open.getByLabel('Path').fill(join(evidence, 'auth.csv'));
    await open.getByLabel('Path').press('Enter');
    // Loaded, or failed: on a timeout or a failure the message says what the page showed.
    const summary = view().getByLabel('Table summary');
    try {
      await page.waitForFunction(() => /loaded in|could not be opened|cancelled/.test(document.querySelector('[aria-label="Logs workbench"] [aria-label="Table summary"]')?.textContent ?? ''), undefined, { timeout: 60_000 });
    } catch (e) {
      const shown = await view().textContent({ timeout: 1000 }).catch(() => '?');
      const dialogs = await page.getByRole('dialog').allTextContents().catch(() => ['?']);
      throw new Error(`the table did not load: the view shows ${JSON.stringify(shown?.replace(/\s+/g, ' ').slice(0, 600))}; dialogs ${JSON.stringify(dialogs.map((d) => d.replace(/\s+/g, ' ').slice(0, 300)))}; page errors ${JSON.stringify(app.errors)}`, { cause: e });
    }
    assert.match((await summary.textContent())!, /loaded in/, `${await view().textContent()}`);
    await view().getByRole('grid', { name: 'Workbench rows' }).getByLabel('Filter User', { exact: true }).fill('=alice');
    await page.waitForFunction(() => document.querySelector('[aria-label="Row count"]')?.textContent?.trim() === '25 of 50 rows', undefined, { timeout: 60_000 });

    const dialog = page.getByRole('dialog', { name: 'Export the view' });
    const saveTo = async (folder: string, name: string) => {
      await view().getByRole('button', { name: 'Export…' }).click();
      await dialog.getByRole('button', { name: 'Save as…' }).click();
      const picker = page.getByRole('dialog', { name: 'Save the export' });
      await picker.getByLabel('Path').fill(folder);
      await picker.getByRole('button', { name: 'Go' }).click();
      await picker.getByRole('listbox', { name: `Files in ${folder}` }).waitFor();
      assert.equal(await picker.getByLabel('File name').inputValue(), 'auth-view.csv', 'never the opened file\'s own name');
      await picker.getByLabel('File name').fill(name);
      await picker.getByRole('button', { name: 'Save here' }).click();
    };

    // Next to the evidence: refused, with what to do; nothing written there.
    await saveTo(evidence, 'auth-view.csv');
    await dialog.getByRole('alert').filter({ hasText: 'holds the evidence this table was read from: exports are never written next to it, choose another folder' }).waitFor();
    await app.screenshot('refused-next-to-evidence');
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    writeFileSync(join(out, 'alice.csv'), 'older');
    await saveTo(out, 'alice.csv');
    await dialog.getByRole('alert').filter({ hasText: 'alice.csv exists. Replace it?' }).waitFor();
    await dialog.getByRole('button', { name: 'Replace' }).click();
    await view().getByRole('status').filter({ hasText: `Exported 25 rows` }).filter({ hasText: `to ${join(out, 'alice.csv')}` }).waitFor();

    const lines = readFileSync(join(out, 'alice.csv'), 'utf8').trim().split(/\r?\n/);
    assert.equal(lines[0], 'id,User,Note');
    assert.equal(lines.length, 26);
    assert.ok(lines.slice(1).every((l) => l.includes(',alice,')));
    assert.match(lines[1]!, /^2,alice,'=cmd/, 'formulas neutralized by default');
    assert.equal(downloads, 0, 'the desktop app downloads nothing');
    assert.deepEqual(app.errors, []);
  });
});
