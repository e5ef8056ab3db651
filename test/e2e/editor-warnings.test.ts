// The static call checks in the editors, in Chromium against the web host: typing
// `SELECT * FROM pslit()` in a console cell underlines `pslit` as a warning (not an error) with
// "did you mean pslist?" in its tooltip; fixing the name clears it. In the artifact editor a
// warning sits at the YAML line and column and does not count as a problem.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { e2eSkip, openApp, type App } from './harness.ts';
import { editorText, setEditorText, underlinePosition } from './codemirror.ts';

const T = { timeout: 60_000 };

describe('e2e: editor warnings', { skip: e2eSkip() }, () => {
  let app: App;
  before(async () => {
    app = await openApp('editor-warnings');
  });
  after(async () => app?.close());
  const cell = (n: number) => app.page.getByRole('group', { name: `Cell ${n}` });

  test('typing an unknown plugin underlines its name as a warning with "did you mean" in the tooltip', T, async () => {
    const { page } = app;
    const vql = cell(1).getByLabel('VQL');
    await setEditorText(vql, '');
    await page.keyboard.press('Escape'); // no completion popup in the way
    // Typed key by key, as the analyst does (closing brackets are auto-inserted, then typed over).
    await page.keyboard.type('SELECT * FROM pslit()', { delay: 15 });
    assert.equal(await editorText(vql), 'SELECT * FROM pslit()');
    const warning = cell(1).locator('.cm-lintRange-warning');
    await warning.waitFor();
    assert.deepEqual(await underlinePosition(warning), { line: 1, column: 15, text: 'pslit' });
    assert.equal(await cell(1).locator('.cm-lintRange-error').count(), 0);
    await page.keyboard.press('Escape');
    await warning.hover();
    const tooltip = page.locator('.cm-tooltip-lint .cm-diagnostic-warning');
    await tooltip.waitFor();
    assert.equal(await tooltip.locator('.cm-diagnosticText').textContent(), 'unknown plugin pslit: did you mean pslist? (line 1, column 15)');
    await app.screenshot('pslit-warning-tooltip');
  });

  test('fixing the name clears the warning; an unknown argument is flagged at the argument', T, async () => {
    const vql = cell(1).getByLabel('VQL');
    await setEditorText(vql, 'SELECT * FROM pslist()');
    await cell(1).locator('.cm-lintRange-warning').waitFor({ state: 'detached' });
    await setEditorText(vql, 'SELECT *\nFROM range(enn=3)');
    const warnings = cell(1).locator('.cm-lintRange-warning');
    await warnings.nth(1).waitFor();
    const places = await Promise.all([0, 1].map((i) => underlinePosition(warnings.nth(i))));
    assert.deepEqual(places, [{ line: 2, column: 6, text: 'range' }, { line: 2, column: 12, text: 'enn' }]);
    await app.screenshot('argument-warnings');
  });

  test('in the artifact editor a warning sits at its YAML line and column and is not a problem', T, async () => {
    const { page } = app;
    await page.getByRole('tab', { name: 'Artifacts' }).click();
    const libraryView = page.getByRole('region', { name: 'Artifacts' });
    await libraryView.getByRole('button', { name: 'New CLIENT artifact' }).click();
    const editorView = page.getByRole('region', { name: 'Editor' });
    const yaml = editorView.getByLabel('Artifact YAML');
    await editorView.getByText('valid', { exact: true }).waitFor();
    const text = await editorText(yaml);
    const line = text.split('\n').findIndex((l) => l.includes('FROM pslist()')) + 1;
    assert.ok(line > 0, 'the CLIENT template calls pslist()');
    await setEditorText(yaml, text.replace('FROM pslist()', 'FROM Artifact.Generic.Client.Stat()'));
    const warning = editorView.locator('.cm-lintRange-warning');
    await warning.waitFor();
    const column = text.split('\n')[line - 1]!.indexOf('pslist()') + 1;
    assert.deepEqual(await underlinePosition(warning), { line, column, text: 'Artifact.Generic.Client.Stat' });
    await editorView.getByText('valid', { exact: true }).waitFor();
    await warning.hover();
    await page.locator('.cm-tooltip-lint .cm-diagnostic-warning').filter({ hasText: 'unknown artifact Generic.Client.Stat: did you mean Generic.Client.Stats?' }).waitFor();
    await app.screenshot('artifact-warning');
  });

  test('no page errors', () => {
    assert.deepEqual(app.errors, []);
  });
});
