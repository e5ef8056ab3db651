// Packs in Chromium: two user artifacts (one calling the other) exported as a pack with the
// Custom. prefix, the downloaded zip checked, then imported into a fresh app: the artifacts come
// back identical to the packed files. A zip with a ../ path is refused and nothing is written.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { e2eSkip, openApp, type App } from './harness.ts';

const HELPER = `name: Test.Pack.Helper
description: Says one.
sources:
  - query: SELECT 1 AS One FROM scope()
`;
const WATCH = `name: Test.Pack.Watch
type: CLIENT_EVENT
parameters:
  - name: Period
    type: int
    default: 5
sources:
  - query: |
      -- calls the helper
      SELECT * FROM Artifact.Test.Pack.Helper()
`;

describe('e2e: artifact packs', { skip: e2eSkip() }, () => {
  let app: App;
  let zipPath = '';
  before(async () => {
    app = await openApp('packs');
    mkdirSync(join(app.dir, 'artifacts'), { recursive: true });
    writeFileSync(join(app.dir, 'artifacts', 'Test.Pack.Helper.yaml'), HELPER);
    writeFileSync(join(app.dir, 'artifacts', 'Test.Pack.Watch.yaml'), WATCH);
    await app.page.reload();
  });
  after(async () => app?.close());

  test('export two artifacts with the Custom. prefix: the zip has both, renamed, references included', async () => {
    const { page } = app;
    await page.getByRole('tab', { name: 'Packs' }).click();
    const exporter = page.getByRole('region', { name: 'Export a pack' });
    await exporter.getByLabel('Search artifacts to pack').fill('Test.Pack');
    await exporter.getByRole('checkbox', { name: 'Test.Pack.Helper' }).check();
    await exporter.getByRole('checkbox', { name: 'Test.Pack.Watch' }).check();
    await exporter.getByLabel('Name prefix').fill('Custom.');
    const download = page.waitForEvent('download');
    await exporter.getByRole('button', { name: 'Export pack' }).click();
    zipPath = (await (await download).path())!;
    await page.getByRole('region', { name: 'Export result' }).waitFor();
    await app.screenshot('exported');
    const files = unzipSync(readFileSync(zipPath));
    const texts = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, strFromU8(v)]));
    const names = Object.keys(texts).sort();
    assert.equal(names.length, 2, names.join(', '));
    const watch = Object.values(texts).find((t) => t.includes('CLIENT_EVENT'))!;
    assert.match(watch, /^name: Custom\.Test\.Pack\.Watch$/m);
    assert.match(watch, /Artifact\.Custom\.Test\.Pack\.Helper\(\)/);
    assert.match(watch, /-- calls the helper/, 'comments survive');
    assert.match(await page.getByLabel('Server configuration').inputValue(), /Custom\.Test\.Pack\.Watch/);
  });

  test('the pack imported into a fresh app gives the same artifacts', async () => {
    const fresh = await openApp('packs-import');
    try {
      const { page } = fresh;
      await page.getByRole('tab', { name: 'Packs' }).click();
      await page.getByLabel('Pack zip file').setInputFiles(zipPath);
      // A preview first: two new artifacts, nothing written until Import.
      const preview = page.getByRole('region', { name: 'Import preview' });
      await preview.getByRole('status').filter({ hasText: '2 artifacts to add' }).waitFor();
      assert.equal(existsSync(join(fresh.dir, 'artifacts', 'Custom.Test.Pack.Watch.yaml')), false, 'nothing written by the preview');
      await preview.getByRole('button', { name: 'Import 2 artifacts' }).click();
      const result = page.getByRole('region', { name: 'Import result' });
      await result.getByRole('status').filter({ hasText: 'imported 2 artifacts' }).waitFor();
      await fresh.screenshot('imported');
      const packed = unzipSync(readFileSync(zipPath));
      const saved = readdirSync(join(fresh.dir, 'artifacts')).sort();
      assert.deepEqual(saved, ['Custom.Test.Pack.Helper.yaml', 'Custom.Test.Pack.Watch.yaml']);
      const savedTexts = saved.map((f) => readFileSync(join(fresh.dir, 'artifacts', f), 'utf8')).sort();
      const packedTexts = Object.values(packed).map((b) => strFromU8(b)).sort();
      assert.deepEqual(savedTexts, packedTexts, 'imported files are the packed files, byte for byte');
      await page.getByRole('tab', { name: 'Artifacts' }).click();
      const library = page.getByRole('region', { name: 'Artifacts' });
      await library.getByLabel('Search artifacts', { exact: true }).fill('Custom.Test.Pack');
      await library.getByText('Custom.Test.Pack.Watch').first().waitFor();
    } finally {
      await fresh.close();
    }
  });

  test('a zip with a ../ path is refused and nothing is written', async () => {
    const { page } = app;
    const evil = join(app.dir, 'evil.zip');
    writeFileSync(evil, zipSync({ '../escape.yaml': strToU8(HELPER.replace('Test.Pack.Helper', 'Custom.Evil')), 'ok.yaml': strToU8(HELPER.replace('Test.Pack.Helper', 'Custom.Fine')) }));
    const before = readdirSync(join(app.dir, 'artifacts')).sort();
    await page.getByRole('tab', { name: 'Packs' }).click();
    await page.getByLabel('Pack zip file').setInputFiles(evil);
    const refusal = page.getByText(/\.\.\/escape\.yaml/).first();
    await refusal.waitFor();
    await app.screenshot('zip-slip-refused');
    const preview = page.getByRole('region', { name: 'Import preview' });
    assert.equal(await preview.getByRole('button', { name: 'Import', exact: true }).isDisabled(), true, 'nothing to import');
    await preview.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('status').filter({ hasText: 'evil.zip: nothing was imported.' }).waitFor();
    assert.deepEqual(readdirSync(join(app.dir, 'artifacts')).sort(), before, 'nothing written, not even the good entry');
    assert.equal(existsSync(join(app.dir, 'escape.yaml')), false);
  });
});
