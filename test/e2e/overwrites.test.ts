// Nothing is overwritten silently (issue 14), in Chromium against the web host: a pack import
// shows what it would add, replace (with a diff) or refuse and asks; unticking a replacement
// keeps the user's file; the preview and the result scroll into view at 1024x700; problem lines
// say the entry's path once. In the editor, saving under a name another artifact has shows the
// changes and asks (Cancel writes nothing); "Import YAML…" of such a file says so before Save.
// Screenshots at 1440x900 and 1024x700 go to test-results/e2e/overwrites/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import type { Locator } from 'playwright-core';
import { e2eSkip, openApp, type App } from './harness.ts';
import { setEditorText } from './codemirror.ts';

const T = { timeout: 60_000 };
const MINE = `name: Custom.Mine
description: Mine, as I keep it.
sources:
  - query: SELECT 1 AS One FROM scope()
`;
const THEIRS = MINE.replace('Mine, as I keep it.', 'Theirs, from the pack.').replace('SELECT 1 AS One', 'SELECT 2 AS Two');
const NEW = MINE.replace(/Custom\.Mine/g, 'Custom.Brand.New').replace('Mine, as I keep it.', 'New here.');
const SIZES = [{ width: 1440, height: 900 }, { width: 1024, height: 700 }] as const;

/** True when the element's top is inside the viewport (it was scrolled to). */
async function inView(l: Locator): Promise<boolean> {
  return l.evaluate((el) => {
    const r = el.getBoundingClientRect();
    return r.top >= 0 && r.top < window.innerHeight;
  });
}

describe('e2e: nothing is overwritten silently', { skip: e2eSkip() }, () => {
  let app: App;
  let zipPath = '';
  const mineFile = () => join(app.dir, 'artifacts', 'Custom.Mine.yaml');
  before(async () => {
    app = await openApp('overwrites');
    mkdirSync(join(app.dir, 'artifacts'), { recursive: true });
    writeFileSync(mineFile(), MINE);
    zipPath = join(app.dir, 'pack.zip');
    writeFileSync(zipPath, zipSync({
      'Custom/Mine.yaml': strToU8(THEIRS),
      'Custom/Brand/New.yaml': strToU8(NEW),
      'Custom/Bad/Two.yaml': strToU8('name: Custom.Bad.Two\nsoruces: []\n'),
    }));
    await app.page.reload();
  });
  after(async () => app?.close());
  const shoot = async (step: string) => {
    for (const size of SIZES) {
      await app.page.setViewportSize(size);
      await app.screenshot(`${step}-${size.width}x${size.height}`);
      // The manual's pictures of this behaviour.
      if (['pack-preview', 'editor-replace-question'].includes(step)) await app.docsShot(`${step}-${size.width}x${size.height}`);
    }
  };

  test('pack import: a preview with the diff, the refusals said once, scrolled into view; unticked = kept', T, async () => {
    const { page } = app;
    await page.setViewportSize(SIZES[1]);
    await page.getByRole('tab', { name: 'Packs' }).click();
    await page.getByLabel('Pack zip file').setInputFiles(zipPath);
    const preview = page.getByRole('region', { name: 'Import preview' });
    await preview.getByRole('status').filter({ hasText: 'pack.zip: 1 artifact to add, 1 to replace, 1 refused' }).waitFor();
    assert.ok(await inView(preview), 'the preview, below the export section, is scrolled into view at 1024x700');
    assert.equal(readFileSync(mineFile(), 'utf8'), MINE, 'nothing written by the preview');
    const diff = preview.getByRole('group', { name: 'Changes to Custom.Mine' });
    await diff.getByText('Mine, as I keep it.').waitFor();
    assert.match((await diff.textContent())!, /−2 lines of your file\s*\+2 lines of the pack/);
    const refused = preview.getByRole('list', { name: 'Refused entries' }).getByRole('listitem');
    assert.match((await refused.textContent())!, /^Custom\/Bad\/Two\.yaml:2:1: error: unknown field 'soruces'/);
    assert.equal(((await refused.textContent())!.match(/Custom\/Bad\/Two\.yaml/g) ?? []).length, 1, 'the path is said once');
    await preview.scrollIntoViewIfNeeded();
    await shoot('pack-preview');

    // Keep mine: untick the replacement; Import writes only the new artifact.
    await page.setViewportSize(SIZES[1]);
    await preview.getByRole('checkbox', { name: 'Replace Custom.Mine' }).uncheck();
    await preview.getByText('kept as it is (not imported)').waitFor();
    await preview.getByRole('button', { name: 'Import 1 artifact' }).click();
    const result = page.getByRole('region', { name: 'Import result' });
    await result.getByRole('status').filter({ hasText: 'pack.zip: imported 1 artifact, kept 1 of yours, 1 problem.' }).waitFor();
    assert.ok(await inView(result), 'the result is scrolled into view');
    assert.equal(readFileSync(mineFile(), 'utf8'), MINE, 'kept');
    assert.equal(readFileSync(join(app.dir, 'artifacts', 'Custom.Brand.New.yaml'), 'utf8'), NEW);
    await shoot('pack-imported-kept-mine');

    // Again, accepting the replacement: the file is replaced in place.
    await page.setViewportSize(SIZES[0]);
    await page.getByLabel('Pack zip file').setInputFiles(zipPath);
    await preview.getByRole('status').filter({ hasText: '1 to replace, 1 already the same, 1 refused' }).waitFor();
    await preview.getByRole('button', { name: 'Import 1 artifact' }).click();
    await result.getByRole('status').filter({ hasText: 'imported 1 artifact (1 replacing yours)' }).waitFor();
    assert.equal(readFileSync(mineFile(), 'utf8'), THEIRS);
    assert.deepEqual(readdirSync(join(app.dir, 'artifacts')).sort(), ['Custom.Brand.New.yaml', 'Custom.Mine.yaml']);
  });

  test('the editor asks before saving over another artifact, with the changes; Cancel writes nothing', T, async () => {
    const { page } = app;
    await page.setViewportSize(SIZES[0]);
    await page.getByRole('tab', { name: 'Artifacts' }).click();
    const library = page.getByRole('region', { name: 'Artifacts' });
    await library.getByRole('button', { name: 'New CLIENT artifact' }).click();
    const editor = page.getByRole('region', { name: 'Editor' });
    await editor.getByText('valid', { exact: true }).waitFor();
    const mine = readFileSync(mineFile(), 'utf8');
    const edited = mine.replace('Theirs, from the pack.', 'Written in the editor.');
    await setEditorText(editor.getByLabel('Artifact YAML'), edited);
    // Said before Save: the name is taken.
    await editor.getByRole('note').filter({ hasText: /Custom\.Mine already exists .*Save will show the changes and ask/ }).waitFor();
    await editor.getByRole('button', { name: 'Save', exact: true }).click();
    const ask = editor.getByRole('region', { name: 'Replace Custom.Mine?' });
    await ask.getByRole('group', { name: 'Changes to Custom.Mine' }).getByText('Written in the editor.').waitFor();
    await shoot('editor-replace-question');
    await ask.getByRole('button', { name: 'Cancel' }).click();
    await ask.waitFor({ state: 'detached' });
    assert.equal(readFileSync(mineFile(), 'utf8'), mine, 'Cancel wrote nothing');
    await editor.getByRole('button', { name: 'Save', exact: true }).click();
    await ask.getByRole('button', { name: 'Replace Custom.Mine' }).click();
    await editor.getByRole('status').filter({ hasText: 'Saved Custom.Mine' }).waitFor();
    assert.equal(readFileSync(mineFile(), 'utf8'), edited);
    assert.deepEqual(readdirSync(join(app.dir, 'artifacts')).sort(), ['Custom.Brand.New.yaml', 'Custom.Mine.yaml'], 'replaced in its own file');
    // Now it is the artifact opened: saving it again needs no question.
    await setEditorText(editor.getByLabel('Artifact YAML'), edited.replace('Written in the editor.', 'Saved twice.'));
    await editor.getByRole('button', { name: 'Save', exact: true }).click();
    await editor.getByRole('status').filter({ hasText: 'Saved Custom.Mine' }).waitFor();
    assert.match(readFileSync(mineFile(), 'utf8'), /Saved twice\./);
  });

  test('"Import YAML…" of a file whose name is taken says so before Save', T, async () => {
    const { page } = app;
    await page.getByRole('tab', { name: 'Artifacts' }).click();
    const library = page.getByRole('region', { name: 'Artifacts' });
    await library.getByLabel('Import YAML file').setInputFiles({ name: 'mine.yaml', mimeType: 'application/yaml', buffer: Buffer.from(MINE) });
    const editor = page.getByRole('region', { name: 'Editor' });
    await editor.getByRole('note').filter({ hasText: /Custom\.Mine already exists/ }).waitFor();
    await shoot('import-yaml-name-taken');
    const before = readFileSync(mineFile(), 'utf8');
    await editor.getByRole('button', { name: 'Save', exact: true }).click();
    await editor.getByRole('region', { name: 'Replace Custom.Mine?' }).waitFor();
    assert.equal(readFileSync(mineFile(), 'utf8'), before);
  });

  test('no page errors', () => {
    assert.deepEqual(app.errors, []);
  });
});
