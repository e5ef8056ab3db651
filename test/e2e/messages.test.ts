// Messages that stay true, and small things (issue 14), in Chromium against the web host: the
// editor's "Not saved" banner (with the hint to the line really at fault) goes once the text is
// fixed; the built-in label goes when the copy is renamed to Custom.*; a console cell does not
// keep an old error under a new valid query; a library description cut short can be read whole;
// a regex parameter gets a one-line input. Screenshots at 1440x900 and 1024x700 go to
// test-results/e2e/messages/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { e2eSkip, openApp, type App } from './harness.ts';
import { editorText, setEditorText } from './codemirror.ts';

const T = { timeout: 60_000 };
const SIZES = [{ width: 1440, height: 900 }, { width: 1024, height: 700 }] as const;

// `description` on line 6 lacks its ':'; the YAML parser notices on line 7.
const BROKEN = [
  'name: Custom.Broken',
  'parameters:',
  '  - name: Pattern',
  '    type: regex',
  '    default: .',
  '    description the pattern to match',
  '    default: x',
  'sources:',
  '  - query: SELECT * FROM info()',
  '',
].join('\n');
const FIXED = BROKEN.replace('    description the pattern to match\n    default: x\n', '    description: the pattern to match\n');

describe('e2e: messages that stay true', { skip: e2eSkip() }, () => {
  let app: App;
  before(async () => {
    app = await openApp('messages');
  });
  after(async () => app?.close());
  const editor = () => app.page.getByRole('region', { name: 'Editor' });
  const yaml = () => editor().getByLabel('Artifact YAML');
  const shoot = async (step: string) => {
    for (const size of SIZES) {
      await app.page.setViewportSize(size);
      await app.screenshot(`${step}-${size.width}x${size.height}`);
      // The manual's pictures of this behaviour.
      if (['not-saved-hint'].includes(step)) await app.docsShot(`${step}-${size.width}x${size.height}`);
    }
    await app.page.setViewportSize(SIZES[0]);
  };

  test('"Not saved" names the line at fault, and goes once the text is fixed', T, async () => {
    const { page } = app;
    await page.getByRole('tab', { name: 'Artifacts' }).click();
    await page.getByRole('region', { name: 'Artifacts' }).getByRole('button', { name: 'New CLIENT artifact' }).click();
    await editor().getByText('valid', { exact: true }).waitFor();
    await setEditorText(yaml(), BROKEN);
    await editor().getByText('1 problem', { exact: true }).waitFor();
    await editor().getByRole('button', { name: 'Save', exact: true }).click();
    const banner = editor().getByRole('alert').filter({ hasText: /^Not saved: 7:\d+: YAML: / });
    await banner.waitFor();
    assert.match((await banner.textContent())!, /the problem may start on line 6: 'description' looks like a key without ':'/);
    await shoot('not-saved-hint');
    await setEditorText(yaml(), FIXED);
    await editor().getByText('valid', { exact: true }).waitFor();
    await banner.waitFor({ state: 'detached' });
    assert.equal(await editor().getByRole('alert').count(), 0, 'no banner left under the valid text');
    await shoot('fixed-no-banner');
    await editor().getByRole('button', { name: 'Save', exact: true }).click();
    await editor().getByRole('status').filter({ hasText: 'Saved Custom.Broken' }).waitFor();
  });

  test('the run form gives a regex parameter a one-line input', T, async () => {
    await editor().getByRole('button', { name: 'Run this artifact' }).click();
    const form = editor().getByRole('form', { name: 'Run Custom.Broken' });
    const input = form.getByLabel('Pattern');
    assert.equal(await input.evaluate((el) => `${el.tagName}:${(el as HTMLInputElement).type}`), 'INPUT:text');
    await shoot('regex-one-line');
    await form.getByRole('button', { name: 'Close the run form' }).click();
  });

  test('"built-in: save a copy" goes once the copy is renamed to Custom.*', T, async () => {
    const { page } = app;
    await page.getByRole('tab', { name: 'Artifacts' }).click();
    const library = page.getByRole('region', { name: 'Artifacts' });
    await library.getByLabel('Search artifacts', { exact: true }).fill('Generic.Client.Info');
    await library.getByRole('button', { name: 'Open Generic.Client.Info' }).click();
    const label = editor().getByText('built-in: save a copy under another name');
    await label.waitFor();
    const text = await editorText(yaml());
    await setEditorText(yaml(), text.replace('name: Generic.Client.Info', 'name: Custom.Generic.Client.Info'));
    await editor().getByText('Custom.Generic.Client.Info', { exact: true }).waitFor();
    await label.waitFor({ state: 'detached' });
    await shoot('renamed-no-builtin-label');
  });

  test('a console cell does not keep an old error under a new, valid query', T, async () => {
    const { page } = app;
    await page.getByRole('tab', { name: 'Console' }).click();
    const cell = page.getByRole('group', { name: 'Cell 1' });
    await setEditorText(cell.getByLabel('VQL'), 'SELECT * FROM info() WHERE');
    await cell.getByRole('button', { name: 'Run', exact: true }).click();
    const status = cell.getByRole('status');
    await status.filter({ hasText: /^Error · line 1/ }).waitFor();
    await setEditorText(cell.getByLabel('VQL'), 'SELECT 1 AS One FROM scope()');
    await status.filter({ hasText: /^Edited since the last run, which failed/ }).waitFor();
    assert.doesNotMatch((await status.textContent())!, /line 1, column/);
    await cell.locator('.cm-lintRange-error').waitFor({ state: 'detached' });
    await cell.locator('.cm-lint-marker-error').waitFor({ state: 'detached' }); // the gutter's mark too, once the live check ran
    await shoot('console-edited-after-error');
    await cell.getByRole('button', { name: 'Run', exact: true }).click();
    await status.filter({ hasText: /^Done · 1 row/ }).waitFor();
  });

  test('a description cut short in the library can be read whole', T, async () => {
    const { page } = app;
    await page.getByRole('tab', { name: 'Artifacts' }).click();
    const library = page.getByRole('region', { name: 'Artifacts' });
    await library.getByLabel('Search artifacts', { exact: true }).fill('');
    const more = library.getByRole('button', { name: /^More of the description of / }).first();
    await more.waitFor();
    const name = (await more.getAttribute('aria-label'))!.replace('More of the description of ', '');
    const row = library.getByRole('row').filter({ has: page.getByRole('cell', { name, exact: true }) });
    const cell = row.locator('td.desc');
    const full = (await cell.getAttribute('title'))!;
    assert.ok(full.length > 0, 'the whole text is also the tooltip');
    await more.click();
    await row.getByRole('button', { name: `Less of the description of ${name}` }).waitFor();
    // The whole text, its wrapped lines joined (the tooltip keeps the file's line breaks).
    assert.equal((await cell.locator('.text').textContent())!.trim(), full.trim().split(/\n\s*\n/).map((p) => p.split('\n').map((l) => l.trim()).join(' ')).join('\n\n'));
    await shoot('description-expanded');
  });

  test('no page errors', () => {
    assert.deepEqual(app.errors, []);
  });
});
