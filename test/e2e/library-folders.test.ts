// E2E: the whole library in the app. "Artifact folders…" adds a folder of definitions through
// the host's file picker (its artifacts appear in the library, the file that does not load is
// counted), the folder is remembered by a new host over the same artifact folder, and
// "Import artifacts (zip)…" shows the Packs view's preview before anything is written.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { e2eSkip, openApp, type App } from './harness.ts';

const artifact = (name: string) => `name: ${name}
description: An artifact from an added folder.
parameters:
  - name: Needle
    default: x
sources:
  - query: SELECT * FROM info()
`;

describe('e2e: artifact folders and zips in the library', { skip: e2eSkip() }, () => {
  let app: App;
  const defs = mkdtempSync(join(tmpdir(), 'vql-defs-'));

  before(async () => {
    mkdirSync(join(defs, 'Linux', 'Sys'), { recursive: true });
    writeFileSync(join(defs, 'Linux', 'Sys', 'FolderOne.yaml'), artifact('Folder.Test.One'));
    writeFileSync(join(defs, 'Linux', 'Sys', 'FolderTwo.yaml'), artifact('Folder.Test.Two'));
    writeFileSync(join(defs, 'Broken.yaml'), 'name: Folder.Test.Broken\nsources: [\n');
    app = await openApp('library-folders');
  });
  after(async () => {
    await app?.close();
    rmSync(defs, { recursive: true, force: true });
  });

  test('"Add artifact folder…" loads every YAML under the folder; the broken file is counted', async () => {
    const { page } = app;
    await page.getByRole('tab', { name: 'Artifacts' }).click();
    await page.getByRole('button', { name: 'Artifact folders…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Artifact folders' });
    await dialog.getByText('No folder added yet.').waitFor();
    await dialog.getByRole('button', { name: 'Add artifact folder…' }).click();
    const picker = page.getByRole('dialog').filter({ hasText: 'Add an artifact folder' });
    await picker.getByLabel('Path').fill(defs);
    await picker.getByLabel('Path').press('Enter');
    await picker.getByRole('option', { name: /Linux/ }).waitFor();
    await app.screenshot('picker');
    await picker.getByRole('button', { name: 'Choose this folder' }).click();
    const item = dialog.getByRole('list', { name: 'Added folders' }).getByRole('listitem').filter({ hasText: defs });
    await item.filter({ hasText: '2 artifacts' }).waitFor();
    assert.match((await item.textContent())!, /1 did not load/);
    await app.docsShot('library-folders-1440x900');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await page.getByLabel('Search artifacts', { exact: true }).fill('Folder.Test');
    const table = page.getByRole('table', { name: 'Artifacts' });
    await table.getByText('Folder.Test.Two').waitFor();
    assert.ok(await table.getByText('Folder.Test.One').isVisible());
  });

  test('a new host over the same artifact folder remembers the folder', async () => {
    const again = await openApp('library-folders-again', { userArtifacts: join(app.dir, 'artifacts') });
    try {
      const { page } = again;
      await page.getByRole('tab', { name: 'Artifacts' }).click();
      await page.getByLabel('Search artifacts', { exact: true }).fill('Folder.Test.One');
      await page.getByRole('table', { name: 'Artifacts' }).getByText('Folder.Test.One').waitFor();
      await page.getByRole('button', { name: 'Artifact folders…' }).click();
      await page.getByRole('dialog', { name: 'Artifact folders' }).getByRole('listitem').filter({ hasText: defs }).waitFor();
    } finally {
      await again.close();
    }
  });

  test('removing the folder takes its artifacts out of the library', async () => {
    const { page } = app;
    await page.getByRole('button', { name: 'Artifact folders…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Artifact folders' });
    await dialog.getByRole('button', { name: `Remove ${defs}` }).click();
    await dialog.getByText('No folder added yet.').waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await page.getByLabel('Search artifacts', { exact: true }).fill('Folder.Test');
    await page.getByRole('table', { name: 'Artifacts' }).getByText('Folder.Test.One').waitFor({ state: 'detached' });
  });

  test('"Import artifacts (zip)…" previews in the Packs view and writes only on Import', async () => {
    const { page } = app;
    const zip = join(app.dir, 'exchange.zip');
    writeFileSync(zip, zipSync({ 'exchange/Zip.Test.One.yaml': strToU8(artifact('Zip.Test.One')) }));
    await page.getByRole('tab', { name: 'Artifacts' }).click();
    await page.getByLabel('Import artifacts zip').setInputFiles(zip);
    const preview = page.getByRole('region', { name: 'Import preview' });
    await preview.getByRole('status').filter({ hasText: '1 artifact to add' }).waitFor();
    assert.equal(await page.getByRole('tab', { name: 'Packs' }).getAttribute('aria-selected'), 'true');
    assert.equal(existsSync(join(app.dir, 'artifacts', 'Zip.Test.One.yaml')), false, 'nothing written by the preview');
    await preview.getByRole('button', { name: 'Import 1 artifact' }).click();
    await page.getByRole('region', { name: 'Import result' }).getByRole('status').filter({ hasText: 'imported 1 artifact' }).waitFor();
    assert.ok(existsSync(join(app.dir, 'artifacts', 'Zip.Test.One.yaml')));
    assert.deepEqual(app.errors, []);
  });
});
