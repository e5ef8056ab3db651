// The artifact library, editor and run form in Chromium against the web host: search, run
// Generic.Client.Stats with Frequency=1 and watch rows arrive then Stop, a console cell saved as
// an artifact and found in the library, templates with live validation, save, delete,
// duplicate and import.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { e2eSkip, openApp, type App } from './harness.ts';
import { editorText, setEditorText, underlinePosition } from './codemirror.ts';

const T = { timeout: 60_000 };

describe('e2e: artifacts', { skip: e2eSkip() }, () => {
  let app: App;
  before(async () => {
    app = await openApp('artifacts');
  });
  after(async () => app?.close());
  const tab = (name: string) => app.page.getByRole('tab', { name }).click();
  const libraryView = () => app.page.getByRole('region', { name: 'Artifacts' });
  const library = () => libraryView().getByRole('table', { name: 'Artifacts' });
  const search = () => libraryView().getByLabel('Search artifacts');
  const editorView = () => app.page.getByRole('region', { name: 'Editor' });
  const yamlEditor = () => editorView().getByLabel('Artifact YAML');

  test('the library lists the built-ins with type badges; search filters by name', T, async () => {
    await tab('Artifacts');
    await library().getByRole('cell', { name: 'Generic.Client.Stats', exact: true }).waitFor();
    const stats = library().getByRole('row').filter({ hasText: 'Generic.Client.Stats' });
    assert.match((await stats.textContent())!, /CLIENT_EVENT\s*built-in/);
    assert.equal(await stats.getByRole('button', { name: 'Delete Generic.Client.Stats' }).isDisabled(), true);
    // Each artifact says whether it can run here (the built-ins use only what the workbench has).
    assert.match((await stats.textContent())!, /runs here/);
    await search().fill('client stats');
    await library().getByRole('cell', { name: 'Generic.System.Pslist', exact: true }).waitFor({ state: 'detached' });
    assert.equal(await library().getByRole('row').count(), 2); // header + Generic.Client.Stats
    await app.screenshot('library-search');
    await search().fill('');
  });

  test('an artifact calling what the workbench lacks says what it needs; "runs on this machine" hides it', T, async () => {
    const yaml = "name: Custom.Needs.Etw\nsources:\n- query: SELECT * FROM watch_etw(guid='{22fb2cd6-0e7b-422b-a0c7-2fad1fd0e716}')\n";
    const saved = await app.page.evaluate(async (text) => {
      const ws = new WebSocket(`ws://${location.host}/ws`, ['vql.v1', `vql.token.${sessionStorage.getItem('vql-workbench.token')}`]);
      await new Promise((r) => ws.addEventListener('open', r));
      ws.send(JSON.stringify({ type: 'invoke', id: 1, channel: 'artifacts:save', args: [text] }));
      const reply = await new Promise<string>((r) => ws.addEventListener('message', (m) => r(String(m.data))));
      ws.close();
      return JSON.parse(reply).result.ok as boolean;
    }, yaml);
    assert.equal(saved, true);
    await libraryView().getByRole('button', { name: 'Refresh' }).click();
    const row = library().getByRole('row').filter({ hasText: 'Custom.Needs.Etw' });
    await row.waitFor();
    assert.match((await row.textContent())!, /needs watch_etw/);
    await libraryView().getByLabel('runs on this machine').check();
    await row.waitFor({ state: 'detached' });
    assert.ok((await library().getByRole('row').filter({ hasText: 'Generic.Client.Stats' }).count()) === 1);
    await app.screenshot('library-runs-here');
    await libraryView().getByLabel('runs on this machine').uncheck();
    await row.waitFor();
    await row.getByRole('button', { name: 'Delete Custom.Needs.Etw' }).click();
    await row.getByRole('button', { name: 'Confirm delete Custom.Needs.Etw' }).click();
    await row.waitFor({ state: 'detached' });
  });

  test('Generic.Client.Stats runs with Frequency=1: rows arrive one by one, Stop ends it', T, async () => {
    const { page } = app;
    await libraryView().getByRole('button', { name: 'Run Generic.Client.Stats' }).click();
    const form = libraryView().getByRole('form', { name: 'Run Generic.Client.Stats' });
    await form.getByLabel('Frequency').fill('1');
    await app.screenshot('run-form');
    await form.getByRole('button', { name: 'Run', exact: true }).click();
    const status = form.getByRole('status');
    await status.filter({ hasText: /Running · 1 row\b/ }).waitFor({ timeout: 15_000 });
    await app.screenshot('first-row');
    await status.filter({ hasText: /Running · 3 rows/ }).waitFor({ timeout: 15_000 });
    const grid = form.getByRole('grid', { name: 'Results' });
    assert.ok((await grid.getByRole('row').count()) >= 3);
    await app.screenshot('rows-growing');
    await form.getByRole('button', { name: 'Stop', exact: true }).click();
    await status.filter({ hasText: /^Stopped · \d+ rows/ }).waitFor();
    assert.equal(await form.getByRole('button', { name: 'Run', exact: true }).isEnabled(), true);
    await app.screenshot('stopped');
  });

  test('a console cell saved as an artifact is saved from the editor and found in the library', T, async () => {
    const { page } = app;
    await tab('Console');
    const cell = page.getByRole('group', { name: 'Cell 1' });
    await setEditorText(cell.getByLabel('VQL'), 'SELECT _value AS N\nFROM range(end=3)');
    await cell.getByRole('button', { name: 'Save as artifact' }).click();
    assert.equal(await page.getByRole('tab', { name: 'Editor' }).getAttribute('aria-selected'), 'true');
    await editorView().getByText('Custom.Console.Range', { exact: true }).waitFor();
    await editorView().getByLabel('Unsaved changes').waitFor();
    await editorView().getByText('valid', { exact: true }).waitFor();
    assert.match(await editorText(yamlEditor()), /sources:\n {2}- query: \|\n {6}SELECT _value AS N\n {6}FROM range\(end=3\)/);
    await app.screenshot('saved-as-artifact-unsaved');
    await editorView().getByRole('button', { name: 'Save', exact: true }).click();
    await editorView().getByRole('status').filter({ hasText: 'Saved Custom.Console.Range' }).waitFor();
    await editorView().getByLabel('Unsaved changes').waitFor({ state: 'detached' });
    assert.ok(existsSync(join(app.dir, 'artifacts', 'Custom.Console.Range.yaml')));
    await tab('Artifacts');
    await search().fill('Custom.Console');
    await library().getByRole('cell', { name: 'Custom.Console.Range', exact: true }).waitFor();
    await app.screenshot('found-in-library');
  });

  test('a new artifact from a template: live validation underlines, Ctrl+S saves, Run from the editor, delete', T, async () => {
    await tab('Artifacts');
    await libraryView().getByRole('button', { name: 'New CLIENT artifact' }).click();
    await editorView().getByText('Custom.NewArtifact', { exact: true }).waitFor();
    await editorView().getByText('valid', { exact: true }).waitFor();
    const text = await editorText(yamlEditor());
    await setEditorText(yamlEditor(), text.replace('      WHERE Name =~ ProcessRegex', '      WHERE Name =~'));
    const underline = editorView().locator('.cm-lintRange-error');
    await underline.waitFor();
    const line = text.split('\n').findIndex((l) => l.includes('FROM pslist()')) + 1;
    // "expected an expression after '=~'" at the end of the line: the operator is underlined.
    assert.deepEqual(await underlinePosition(underline), { line: line + 1, column: 18, text: '=~' });
    await editorView().getByText('1 problem', { exact: true }).waitFor();
    await app.screenshot('template-live-validation');
    await setEditorText(yamlEditor(), text);
    await underline.waitFor({ state: 'detached' });
    await yamlEditor().press('Control+s');
    await editorView().getByRole('status').filter({ hasText: 'Saved Custom.NewArtifact' }).waitFor();
    await editorView().getByRole('button', { name: 'Run this artifact' }).click();
    const form = editorView().getByRole('form', { name: 'Run Custom.NewArtifact' });
    await form.getByLabel('ProcessRegex').fill('.');
    await form.getByRole('button', { name: 'Run', exact: true }).click();
    await form.getByRole('status').filter({ hasText: /^Done · \d+ rows?/ }).waitFor();
    await app.screenshot('ran-from-editor');
    await tab('Artifacts');
    await search().fill('Custom.NewArtifact');
    await libraryView().getByRole('button', { name: 'Delete Custom.NewArtifact' }).click();
    await app.screenshot('delete-confirmation');
    await libraryView().getByRole('button', { name: 'Confirm delete Custom.NewArtifact' }).click();
    await library().getByRole('cell', { name: 'Custom.NewArtifact', exact: true }).waitFor({ state: 'detached' });
    assert.ok(!existsSync(join(app.dir, 'artifacts', 'Custom.NewArtifact.yaml')));
  });

  test('Duplicate and Import open unsaved YAML in the editor; saving a built-in name is refused', T, async () => {
    await tab('Artifacts');
    await search().fill('Pslist');
    await libraryView().getByRole('button', { name: 'Duplicate Generic.System.Pslist' }).click();
    await editorView().getByText('Custom.Generic.System.Pslist', { exact: true }).waitFor();
    await editorView().getByLabel('Unsaved changes').waitFor();
    await app.screenshot('duplicate');
    await tab('Artifacts');
    const yaml = 'name: Generic.System.Pslist\nsources:\n  - query: SELECT 1 AS One FROM scope()\n';
    await libraryView().getByLabel('Import YAML file').setInputFiles({ name: 'imported.yaml', mimeType: 'application/yaml', buffer: Buffer.from(yaml) });
    await editorView().getByText('Generic.System.Pslist', { exact: true }).waitFor();
    // The duplicate's unsaved text was replaced, and can be brought back.
    await editorView().getByRole('button', { name: 'Restore unsaved Custom.Generic.System.Pslist' }).waitFor();
    await editorView().getByRole('button', { name: 'Save', exact: true }).click();
    await editorView().getByRole('alert').filter({ hasText: /Not saved: Generic.System.Pslist is a built-in artifact/ }).waitFor();
    await app.screenshot('import-refused-builtin-name');
  });

  test('no page errors', () => {
    assert.deepEqual(app.errors, []);
  });
});
