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

const T = { timeout: 90_000 };

const FILES: Record<string, string> = {
  'auth.log': 'Dec  7 04:01:12 host sshd[811]: Accepted publickey for alice from 10.0.0.5\n',
  'hosts': '127.0.0.1 localhost\n10.0.0.5 jumpbox\n',
  'notes.txt': 'collected with vql\n',
};

describe('e2e: collect to zip', { skip: e2eSkip() }, () => {
  let app: App;
  let evidence = '';
  before(async () => {
    app = await openApp('collect-zip');
    evidence = join(app.dir, 'evidence');
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
});
