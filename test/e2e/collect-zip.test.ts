// The run form's "Collect to zip" in Chromium against the web host (issue 10 item 3): an
// artifact that uploads files is collected to a zip; the rows show in the form as for Run, and
// the browser receives the collection container as a download (the host's one-time
// `/exports/<id>`), whose results, log and uploads are checked with fflate.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import { e2eSkip, openApp, type App } from './harness.ts';
import { desktopBridge } from './desktop-bridge.ts';

const T = { timeout: 90_000 };

const FILES: Record<string, string> = {
  'auth.log': 'Dec  7 04:01:12 host sshd[811]: Accepted publickey for alice from 10.0.0.5\n',
  'hosts': '127.0.0.1 localhost\n10.0.0.5 jumpbox\n',
  'notes.txt': 'collected with vql\n',
};

/** The app with the evidence folder and an artifact that uploads its files (written after the page loaded its list). */
async function openWithEvidence(suite: string): Promise<App> {
  const app = await openApp(suite);
  const evidence = join(app.dir, 'evidence');
  mkdirSync(evidence, { recursive: true });
  for (const [name, text] of Object.entries(FILES)) writeFileSync(join(evidence, name), text);
  mkdirSync(join(app.dir, 'artifacts'), { recursive: true });
  writeFileSync(join(app.dir, 'artifacts', 'Custom.Collect.Files.yaml'), `name: Custom.Collect.Files
description: Lists the files of a folder and uploads each one.
parameters:
  - name: Root
    default: ${evidence}
sources:
  - query: |
      SELECT OSPath.Basename AS Name, Size, upload(file=OSPath) AS Upload
      FROM glob(globs='*', root=Root) ORDER BY Name
`);
  return app;
}

describe('e2e: collect to zip', { skip: e2eSkip() }, () => {
  let app: App;
  before(async () => {
    app = await openWithEvidence('collect-zip');
  });
  after(async () => app?.close());
  const libraryView = () => app.page.getByRole('region', { name: 'Artifacts' });

  test('Collect to zip: the rows show, and a download arrives holding the rows, the log and the uploaded files', T, async () => {
    const { page } = app;
    await page.getByRole('tab', { name: 'Artifacts' }).click();
    // The artifact was written after the page loaded its list.
    await libraryView().getByRole('button', { name: 'Refresh' }).click();
    await libraryView().getByLabel('Search artifacts').fill('Custom.Collect');
    await libraryView().getByRole('button', { name: 'Run Custom.Collect.Files' }).click();
    const form = libraryView().getByRole('form', { name: 'Run Custom.Collect.Files' });
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), form.getByRole('button', { name: 'Collect to zip' }).click()]);
    assert.match(download.suggestedFilename(), /^Collection-[0-9A-Za-z_-]+\.zip$/);
    await form.getByRole('status').filter({ hasText: /^Done · 3 rows/ }).waitFor();
    await form.getByText(/^Downloaded Collection-.*\.zip · 3 rows, 3 uploads/).waitFor();
    assert.equal(await form.getByRole('grid', { name: 'Results' }).getByRole('row').filter({ hasText: 'auth.log' }).count(), 1);

    const zip = unzipSync(readFileSync((await download.path())!));
    const rows = strFromU8(zip['results/Custom.Collect.Files.json']!).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(rows.map((r) => r.Name), Object.keys(FILES).sort());
    for (const r of rows) {
      const stored = String((r.Upload as Record<string, unknown>).StoredName).slice(1);
      assert.equal(strFromU8(zip[stored]!), FILES[String(r.Name)], `${stored} holds the file`);
    }
    for (const m of ['results/Custom.Collect.Files.json.index', 'log.json', 'uploads.json', 'collection_context.json', 'requests.json', 'client_info.json']) assert.ok(zip[m], `${m} is in the zip`);
    assert.ok(strFromU8(zip['log.json']!).includes('Starting collection of Custom.Collect.Files'));
    assert.deepEqual(app.errors, []);
    await app.screenshot('collected');
    await app.docsShot('run-collect-zip-1440x900');

    // The address works once: a second fetch is refused.
    assert.match(new URL(download.url()).pathname, /^\/exports\/[0-9a-f]{32}$/);
    const again = await page.evaluate(async (url) => (await fetch(url)).status, download.url());
    assert.equal(again, 404);
  });

  test('an artifact whose precondition does not hold here says so, and "Run anyway" runs it (as --ignore-preconditions)', T, async () => {
    const { page } = app;
    const errorsBefore = app.errors.length; // the test before ends with a refused (404) fetch on purpose
    writeFileSync(join(app.dir, 'artifacts', 'Custom.Windows.Only.yaml'), `name: Custom.Windows.Only
description: An artifact for another OS, run over evidence copied here.
precondition: SELECT OS FROM info() WHERE OS = 'no-such-os'
sources:
  - query: SELECT 'ran' AS Result FROM scope()
`);
    await page.getByRole('tab', { name: 'Artifacts' }).click();
    await libraryView().getByRole('button', { name: 'Refresh' }).click();
    await libraryView().getByLabel('Search artifacts').fill('Custom.Windows.Only');
    await libraryView().getByRole('button', { name: 'Run Custom.Windows.Only' }).click();
    const form = libraryView().getByRole('form', { name: 'Run Custom.Windows.Only' });
    await form.getByRole('button', { name: 'Run', exact: true }).click();
    const notice = form.getByRole('status').filter({ hasText: 'Not run: its precondition does not hold on this machine' });
    await notice.waitFor();
    await form.getByRole('status').filter({ hasText: /^Done · 0 rows/ }).waitFor();
    for (const [w, h] of [[1440, 900], [1024, 700]] as const) {
      await page.setViewportSize({ width: w, height: h });
      await app.docsShot(`run-precondition-${w}x${h}`);
    }
    await page.setViewportSize({ width: 1440, height: 900 });
    await notice.getByRole('button', { name: 'Run anyway' }).click();
    await form.getByRole('status').filter({ hasText: /^Done · 1 row/ }).waitFor();
    // The status can come before the grid has drawn the row (a loaded machine): wait for the row.
    const ran = form.getByRole('grid', { name: 'Results' }).getByRole('row').filter({ hasText: 'ran' });
    await ran.first().waitFor();
    assert.equal(await ran.count(), 1);
    assert.equal(await notice.count(), 0, 'the notice goes once it ran');
    assert.deepEqual(app.errors.slice(errorsBefore), []);
  });
});

describe('e2e: collect to zip in the desktop app (a preload\'s bridge in the page)', { skip: e2eSkip() }, () => {
  let app: App;
  before(async () => {
    app = await openWithEvidence('collect-zip-desktop');
    await app.page.addInitScript({ content: desktopBridge });
    await app.page.reload();
  });
  after(async () => app?.close());
  const libraryView = () => app.page.getByRole('region', { name: 'Artifacts' });

  test('no download: "Save as…" puts the zip where the user picks, asks before replacing, and says where it went', T, async () => {
    const { page } = app;
    assert.equal(await page.evaluate(() => 'vqlBridge' in window), true);
    let downloads = 0;
    page.on('download', () => downloads++);
    const out = join(app.dir, 'saved');
    mkdirSync(out);
    await page.getByRole('tab', { name: 'Artifacts' }).click();
    await libraryView().getByLabel('Search artifacts').fill('Custom.Collect');
    await libraryView().getByRole('button', { name: 'Run Custom.Collect.Files' }).click();
    const form = libraryView().getByRole('form', { name: 'Run Custom.Collect.Files' });
    await form.getByRole('button', { name: 'Collect to zip' }).click();
    await form.getByText(/^Collected Collection-.*\.zip · 3 rows, 3 uploads/).waitFor({ timeout: 60_000 });
    await form.getByText('kept until the app closes').waitFor();
    await app.screenshot('desktop-collected');
    await app.docsShot('run-collect-zip-desktop-1440x900');

    // Save as… opens the host's picker in save mode with the collection's name.
    const save = async () => {
      await form.getByRole('button', { name: 'Save as…' }).click();
      const picker = page.getByRole('dialog', { name: 'Save the collection' });
      await picker.getByLabel('Path').fill(out);
      await picker.getByRole('button', { name: 'Go' }).click();
      await picker.getByRole('listbox', { name: `Files in ${out}` }).waitFor();
      const name = await picker.getByLabel('File name').inputValue();
      assert.match(name, /^Collection-[0-9A-Za-z_-]+\.zip$/);
      await picker.getByLabel('File name').fill('case-42.zip');
      await app.screenshot('desktop-save-picker');
      await picker.getByRole('button', { name: 'Save here' }).click();
    };
    writeFileSync(join(out, 'case-42.zip'), 'older');
    await save();
    // The name is taken: a yes is needed; No keeps the older file and the zip waiting.
    await form.getByRole('alert').filter({ hasText: 'case-42.zip exists. Replace it?' }).waitFor();
    await form.getByRole('button', { name: 'No' }).click();
    assert.equal(readFileSync(join(out, 'case-42.zip'), 'utf8'), 'older');
    await save();
    await form.getByRole('button', { name: 'Replace' }).click();
    await form.getByRole('status').filter({ hasText: `to ${join(out, 'case-42.zip')}` }).waitFor();
    await app.screenshot('desktop-saved');
    await page.setViewportSize({ width: 1024, height: 700 });
    await app.docsShot('run-collect-zip-desktop-saved-1024x700');

    const zip = unzipSync(readFileSync(join(out, 'case-42.zip')));
    const rows = strFromU8(zip['results/Custom.Collect.Files.json']!).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(rows.map((r) => r.Name), Object.keys(FILES).sort());
    for (const m of ['log.json', 'uploads.json', 'collection_context.json']) assert.ok(zip[m], `${m} is in the saved zip`);
    assert.equal(downloads, 0, 'the desktop app downloads nothing');
    assert.deepEqual(app.errors, []);
  });
});
