// "Open collection…" in Chromium, over the web host: Velociraptor's offline collection (built in
// its layout, test/collections/fixtures.ts) and the zip `vql artifacts collect --output` writes
// are picked with the host-side file picker (zip files only); the panel lists the result sets
// with their rows (an unknown artifact marked), the log and the uploads with their decoded
// paths and sizes; a source, the log and a CSV upload open as tables in the same grid; a damaged
// member is refused by name; nothing is unpacked next to the zips.
// Screenshots go to test-results/e2e/collection/, and the manual's docs/screenshots/logs-collection-1440x900.png.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { e2eSkip, openApp, type App } from './harness.ts';
import { damagedCollection, offlineCollection } from '../collections/fixtures.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const T = { timeout: 120_000 };
const NAMES = ['System', 'smss.exe', 'csrss.exe', 'wininit.exe', 'services.exe', 'lsass.exe', 'svchost.exe', 'explorer.exe', 'powershell.exe', 'cmd.exe', 'chrome.exe', 'OneDrive.exe'];

/** A process list a little like a real one (250 rows). */
function pslist(): object[] {
  return Array.from({ length: 250 }, (_, i) => {
    const name = NAMES[i % NAMES.length]!;
    return {
      Pid: i === 0 ? 4 : 400 + i * 12, Ppid: i === 0 ? 0 : 400 + Math.floor(i / 3) * 12, Name: name,
      CommandLine: name === 'powershell.exe' ? `powershell.exe -NoProfile -enc SQBFAFgA${i}` : `C:\\Windows\\System32\\${name}`,
      Username: i % 5 === 0 ? 'NT AUTHORITY\\SYSTEM' : 'CORP\\alice', CreateTime: new Date(Date.UTC(2024, 4, 1, 8, 0, i * 7)).toISOString(),
      Memory: { WorkingSetSize: 4096 * (1000 + i * 37) },
    };
  });
}

describe('e2e: open collection', { skip: e2eSkip() }, () => {
  let app: App;
  let folder = '';
  const hashes = new Map<string, string>();
  before(async () => {
    if (!existsSync(join(ROOT, 'dist', 'cli.js'))) {
      const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(b.status, 0, b.stderr);
    }
    app = await openApp('collection');
    await app.page.setViewportSize({ width: 1440, height: 900 });
    folder = join(app.dir, 'evidence');
    mkdirSync(folder);
    writeFileSync(join(folder, 'Collection-WIN-DC01.zip'), offlineCollection({ pslist: pslist() }));
    writeFileSync(join(folder, 'damaged.zip'), damagedCollection());
    writeFileSync(join(folder, 'notes.txt'), 'not a zip');
    const defs = join(app.dir, 'defs');
    mkdirSync(defs);
    writeFileSync(join(defs, 'Test.Collection.Words.yaml'), `name: Test.Collection.Words
sources:
  - name: Rows
    query: |
      SELECT * FROM foreach(row=[dict(N=1, Word='one'), dict(N=2, Word='two'), dict(N=3, Word='three')])
`);
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'vql.js'), 'artifacts', 'collect', 'Test.Collection.Words', '--definitions', defs, '--output', join(folder, 'ours.zip')], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    for (const n of readdirSync(folder)) hashes.set(n, createHash('sha256').update(readFileSync(join(folder, n))).digest('hex'));
  });
  after(async () => app?.close());

  const view = () => app.page.getByRole('region', { name: 'Logs workbench' });
  const panel = () => view().getByRole('complementary', { name: 'Collection' });
  const waitCount = (text: string) => app.page.waitForFunction((t) => document.querySelector('[aria-label="Row count"]')?.textContent?.trim() === t, text, { timeout: 60_000 });
  const waitReady = (label: string) => app.page.waitForFunction((l) => {
    const t = document.querySelector('[aria-label="Table summary"]')?.textContent ?? '';
    return t.includes(l) && t.includes('loaded in');
  }, label, { timeout: 60_000 });

  async function pickZip(name: string): Promise<void> {
    await view().getByRole('button', { name: 'Open collection…' }).click();
    const dialog = app.page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByLabel('Path').fill(folder);
    await dialog.getByLabel('Path').press('Enter');
    const list = dialog.getByRole('listbox');
    await app.screenshot(`picker-${name}`);
    await list.getByRole('option', { name: new RegExp(name.replace(/\./g, '\\.')) }).waitFor();
    assert.deepEqual(await list.getByRole('option').locator('.name').allTextContents(), ['Collection-WIN-DC01.zip', 'damaged.zip', 'ours.zip'], 'zip files only');
    await list.getByRole('option', { name: new RegExp(name.replace(/\./g, '\\.')) }).dblclick();
    await dialog.waitFor({ state: 'detached' });
  }

  test("Velociraptor's collection: the panel lists sources, log and uploads; sources, the log and a CSV upload open in the grid", T, async () => {
    await app.page.getByRole('tab', { name: 'Logs workbench' }).click();
    await pickZip('Collection-WIN-DC01.zip');
    await panel().waitFor();
    const meta = (await panel().locator('.meta').textContent())!.replace(/\s+/g, ' ');
    assert.match(meta, /Velociraptor's offline collection/);
    assert.match(meta, /host WIN-DC01/);
    assert.match(meta, /flow F\.CD3B5RM4QK2S0 \(finished\)/);
    const results = panel().getByRole('region', { name: 'Results' });
    const items = (await results.getByRole('listitem').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
    assert.deepEqual(items, [
      'Custom.Unknown.Thing 1 row unknown artifact',
      'Generic.Client.Info/BasicInformation 1 row',
      'Windows.System.Pslist 250 rows unknown artifact',
    ]);
    const uploads = (await panel().getByRole('region', { name: 'Uploads' }).getByRole('listitem').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
    assert.deepEqual(uploads, [
      'auto: C:\\Windows\\System32\\drivers\\etc\\hosts 34 B',
      'file: /var/log/syslog.csv 88 B',
      'ntfs: \\\\.\\C:\\$MFT 11 B',
      'sparse: C:\\file.sparse.txt 8 B sparse',
    ]);
    // The largest source opens at once.
    await waitReady('Collection-WIN-DC01.zip › Windows.System.Pslist');
    await waitCount('250 of 250 rows');
    await app.docsShot('logs-collection-1440x900');
    await app.screenshot('pslist');

    await panel().getByRole('region', { name: 'Log' }).getByRole('button', { name: /log\.json/ }).click();
    await waitReady('Collection-WIN-DC01.zip › log.json');
    await waitCount('3 of 3 rows');
    await panel().getByRole('region', { name: 'Uploads' }).getByRole('button', { name: /syslog\.csv/ }).click();
    await waitReady('Collection-WIN-DC01.zip › uploads/file/var/log/syslog.csv');
    await waitCount('2 of 2 rows');
    await results.getByRole('button', { name: /Custom\.Unknown\.Thing/ }).click();
    await waitReady('Collection-WIN-DC01.zip › Custom.Unknown.Thing');
    await waitCount('1 of 1 row');
    await app.screenshot('unknown-artifact');
  });

  test('the zip `vql artifacts collect --output` writes opens the same way', T, async () => {
    await pickZip('ours.zip');
    await app.page.waitForFunction(() => document.querySelector('[aria-label="Collection"] .meta')?.textContent?.includes('vql artifacts collect --output'));
    await waitReady('ours.zip › Test.Collection.Words/Rows');
    await waitCount('3 of 3 rows');
    await app.screenshot('ours');
  });

  test('a damaged member is refused by name; the rest opens; the zips are unchanged and nothing is unpacked next to them', T, async () => {
    await pickZip('damaged.zip');
    await panel().getByRole('button', { name: /Windows\.Bad\.Line/ }).click();
    await waitReady('damaged.zip › Windows.Bad.Line');
    await waitCount('3 of 3 rows');
    const problems = (await panel().getByRole('region', { name: 'Collection problems' }).textContent())!;
    assert.match(problems, /\.\.\/evil\.json: the name contains '\.\.'/);
    await panel().getByRole('button', { name: /Windows\.Bad\.Crc/ }).click();
    await app.page.waitForFunction(() => /Windows\.Bad\.Crc\.json is damaged \(its checksum does not match\)/.test(document.querySelector('[aria-label="Logs workbench"]')?.textContent ?? ''), undefined, { timeout: 30_000 });
    await app.screenshot('damaged');
    await panel().getByRole('button', { name: /Windows\.System\.Pslist/ }).click();
    await waitReady('damaged.zip › Windows.System.Pslist');
    await waitCount('3 of 3 rows');
    for (const n of readdirSync(folder)) assert.equal(createHash('sha256').update(readFileSync(join(folder, n))).digest('hex'), hashes.get(n), `${n} unchanged`);
    assert.deepEqual(readdirSync(folder).sort(), [...hashes.keys()].sort(), 'nothing new next to the zips');
    assert.deepEqual(app.errors, []);
  });
});
