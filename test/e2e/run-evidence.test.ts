// The run form's "Run against" in Chromium against the web host: an artifact written for a live
// Windows machine (its precondition tests OS = 'windows', it reads the registry accessor) runs
// against a triage folder picked with the host's file picker: the folder is C:, its SOFTWARE hive
// the registry, info() says windows (as `vql artifacts collect --evidence`). A folder that is not
// Windows evidence gives a clear error; clearing the field runs it on this machine again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { e2eSkip, openApp, type App } from './harness.ts';
import { buildHive, REG } from '../host/raw-reg/hive-builder.ts';

const T = { timeout: 90_000 };

function uninstall(name: string, display: string, publisher: string) {
  return { name, values: [{ name: 'DisplayName', type: 1, data: REG.sz(display) }, { name: 'Publisher', type: 1, data: REG.sz(publisher) }] };
}

/** The app, a triage folder (C:'s files as copied: `config` in lower case) and the artifact. */
async function openWithTriage(suite: string): Promise<{ app: App; triage: string }> {
  const app = await openApp(suite);
  const triage = join(app.dir, 'case-0042', 'C');
  mkdirSync(join(triage, 'Windows', 'System32', 'config'), { recursive: true });
  mkdirSync(join(triage, 'Users', 'bob'), { recursive: true });
  const software = buildHive({
    name: 'ROOT',
    subkeys: [{ name: 'Microsoft', subkeys: [{ name: 'Windows', subkeys: [{ name: 'CurrentVersion', subkeys: [{
      name: 'Uninstall',
      subkeys: [uninstall('7-Zip', '7-Zip 23.01 (x64)', 'Igor Pavlov'), uninstall('AnyDesk', 'AnyDesk', 'philandro Software GmbH')],
    }] }] }] }],
  }).bytes;
  writeFileSync(join(triage, 'Windows', 'System32', 'config', 'SOFTWARE'), software);
  writeFileSync(join(triage, 'Users', 'bob', 'notes.txt'), 'meeting at 10\n');
  mkdirSync(join(app.dir, 'artifacts'), { recursive: true });
  writeFileSync(join(app.dir, 'artifacts', 'Custom.Windows.Programs.yaml'), `name: Custom.Windows.Programs
description: The programs a Windows machine lists as installed.
precondition: SELECT OS FROM info() WHERE OS = 'windows'
sources:
  - query: |
      SELECT DisplayName, Publisher, Key.OSPath AS KeyPath, info().Hostname AS Host
      FROM read_reg_key(globs='HKEY_LOCAL_MACHINE/SOFTWARE/Microsoft/Windows/CurrentVersion/Uninstall/*', accessor='registry')
      ORDER BY DisplayName
`);
  return { app, triage };
}

describe('e2e: run against evidence', { skip: e2eSkip() }, () => {
  let app: App;
  let triage = '';
  before(async () => {
    ({ app, triage } = await openWithTriage('run-evidence'));
  });
  after(async () => app?.close());
  const libraryView = () => app.page.getByRole('region', { name: 'Artifacts' });

  test('a Windows artifact runs against a triage folder chosen with the picker: its hives are the registry', T, async () => {
    const { page } = app;
    await page.getByRole('tab', { name: 'Artifacts' }).click();
    await libraryView().getByRole('button', { name: 'Refresh' }).click();
    await libraryView().getByLabel('Search artifacts').fill('Custom.Windows.Programs');
    await libraryView().getByRole('button', { name: 'Run Custom.Windows.Programs' }).click();
    const form = libraryView().getByRole('form', { name: 'Run Custom.Windows.Programs' });

    // On this machine its precondition does not hold: the notice points to evidence.
    await form.getByRole('button', { name: 'Run', exact: true }).click();
    await form.getByRole('status').filter({ hasText: 'or choose a Windows disk image or folder to run against' }).waitFor();

    await form.getByRole('button', { name: 'Folder…' }).click();
    const picker = page.getByRole('dialog').filter({ hasText: 'Run against a folder' });
    await picker.getByLabel('Path').fill(triage);
    await picker.getByLabel('Path').press('Enter');
    await picker.getByRole('option', { name: /Windows/ }).waitFor();
    await picker.getByRole('button', { name: 'Choose this folder' }).click();
    assert.equal(await form.getByLabel('Run against', { exact: true }).inputValue(), triage);

    await form.getByRole('button', { name: 'Run', exact: true }).click();
    await form.getByRole('status').filter({ hasText: /^Done · 2 rows/ }).waitFor();
    const grid = form.getByRole('grid', { name: 'Results' });
    for (const text of ['7-Zip 23.01 (x64)', 'AnyDesk', 'Virtual Host', 'HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\7-Zip']) {
      assert.equal(await grid.getByText(text, { exact: true }).first().isVisible(), true, `${text} is in the results`);
    }
    assert.equal(await form.getByText(/evidence: directory .*: the folder is C:; registry: HKEY_LOCAL_MACHINE\/Software/).count(), 1);
    assert.deepEqual(app.errors, []);
    for (const [w, h] of [[1440, 900], [1024, 700]] as const) {
      await page.setViewportSize({ width: w, height: h });
      await app.docsShot(`run-evidence-${w}x${h}`);
    }
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  test('a folder that is not Windows evidence is a clear error; clearing the field runs on this machine again', T, async () => {
    const form = libraryView().getByRole('form', { name: 'Run Custom.Windows.Programs' });
    await form.getByLabel('Run against', { exact: true }).fill(join(app.dir, 'no-such-case'));
    await form.getByRole('button', { name: 'Run', exact: true }).click();
    await form.getByText(/no-such-case: no such file or folder/).first().waitFor();
    await form.getByRole('button', { name: 'Run against this machine' }).click();
    assert.equal(await form.getByLabel('Run against', { exact: true }).inputValue(), '');
    await form.getByRole('button', { name: 'Run', exact: true }).click();
    await form.getByRole('status').filter({ hasText: 'Not run: its precondition does not hold on this machine' }).waitFor();
  });
});
