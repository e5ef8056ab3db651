// A Velociraptor server datastore's flows in the Monitoring logs tab, in Chromium: "Open
// datastore…" opens a datastore built per the reference (test/logs/fixtures.ts: monitoring day
// files, and flows with context, stats, result sets with .json.index, logs.json, uploads.json
// and a stored file), read-only; the client's Collections list shows its flows newest first with
// state and result sets with rows; a result set, the flow log and a text upload open in the Logs
// workbench as tables. Nothing is written into the datastore.
// The manual's picture: docs/screenshots/logs-datastore-flows-1440x900.png.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { at, jsonlDayPath, writeFlow, writeJsonlDay, writeSnapshot, tree } from '../logs/fixtures.ts';
import { e2eSkip, openApp, type App } from './harness.ts';

const C = 'C.4f5e52adf0a337a9';
const FLOW = 'F.CP2KSN3R1Q7L0';

describe('e2e: a Velociraptor datastore\'s flows in the monitoring logs', { skip: e2eSkip() }, () => {
  let app: App;
  let root: string;
  before(async () => {
    app = await openApp('datastore-flows');
    await app.page.setViewportSize({ width: 1440, height: 900 });
    root = join(app.dir, 'velociraptor');
    writeSnapshot(root, { [C]: 'WIN-DESK-01.corp.example' });
    const day = '2024-05-01';
    writeJsonlDay(jsonlDayPath(root, C, 'Generic.Client.Stats', day), C, Array.from({ length: 144 }, (_, i) => ({
      ts: at(day, i * 600 + 7),
      rows: [{ Timestamp: at(day, i * 600), CPU: Math.round((20 + 15 * Math.sin(i / 9) + (i % 7)) * 10) / 10, RSS: 180_000_000 + ((i * 7919) % 40) * 1_000_000 }],
    })));
    const t0 = Date.parse('2024-05-01T09:00:00Z') / 1000;
    writeFlow(root, C, {
      id: 'F.CP2A0000000AA', created: t0, artifacts: ['Generic.Client.Info'],
      results: [{ artifact: 'Generic.Client.Info/BasicInformation', rows: [{ Hostname: 'WIN-DESK-01', OS: 'windows', Release: 'Windows 10 Enterprise' }] }],
      logs: ['Starting collection of Generic.Client.Info'],
    });
    writeFlow(root, C, {
      id: FLOW, created: t0 + 3600, artifacts: ['Windows.System.Pslist', 'Windows.Network.NetstatEnriched'],
      results: [
        { artifact: 'Windows.System.Pslist', rows: Array.from({ length: 40 }, (_, i) => ({ Pid: 4 + i * 4, PPid: i ? 4 : 0, Name: ['System', 'smss.exe', 'csrss.exe', 'explorer.exe', 'cmd.exe'][i % 5], CommandLine: `C:\\Windows\\System32\\proc${i}.exe`, Username: i % 3 ? 'CORP\\alice' : 'NT AUTHORITY\\SYSTEM' })) },
        { artifact: 'Windows.Network.NetstatEnriched/Netstat', rows: [{ Pid: 812, Laddr: '10.0.0.5:49712', Raddr: '93.184.216.34:443', Status: 'ESTAB' }] },
      ],
      logs: ['Starting collection of Windows.System.Pslist', 'Collection is done after 2s'],
      uploads: [{ path: 'C:\\Windows\\System32\\drivers\\etc\\hosts', data: '127.0.0.1 localhost\n::1 localhost\n' }],
    });
  });
  after(async () => app?.close());

  const wb = () => app.page.getByRole('region', { name: 'Logs workbench' });
  const waitCount = (text: string) => app.page.waitForFunction((t) => document.querySelector('[aria-label="Logs workbench"] [aria-label="Row count"]')?.textContent?.trim() === t, text, { timeout: 60_000 });
  const waitReady = (label: string) => app.page.waitForFunction((l) => {
    const t = document.querySelector('[aria-label="Logs workbench"] [aria-label="Table summary"]')?.textContent ?? '';
    return t.includes(l) && t.includes('loaded in');
  }, label, { timeout: 60_000 });

  test('the client\'s collections list with their result sets; a result set, the flow log and a text upload open in the workbench', { timeout: 120_000 }, async () => {
    const before = tree(root);
    const { page } = app;
    await page.getByRole('tab', { name: 'Monitoring logs' }).click();
    await page.getByRole('button', { name: 'Open datastore…' }).click();
    const picker = page.getByRole('dialog', { name: 'Open a datastore folder' });
    await picker.getByRole('textbox', { name: 'Path' }).fill(root);
    await picker.getByRole('button', { name: 'Go' }).click();
    await picker.getByRole('listbox', { name: `Files in ${root}` }).waitFor();
    await picker.getByRole('button', { name: 'Choose this folder' }).click();
    await page.getByText(`Client WIN-DESK-01.corp.example (${C})`).waitFor();

    const coll = page.getByRole('complementary', { name: `Collections of ${C}` });
    const flows = coll.getByRole('listitem', { name: /^Flow / });
    await flows.first().waitFor();
    assert.deepEqual(await flows.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label'))), [`Flow ${FLOW}`, 'Flow F.CP2A0000000AA'], 'newest first');
    const flow = coll.getByRole('listitem', { name: `Flow ${FLOW}` });
    assert.match(await flow.innerText(), /FINISHED[\s\S]*2024-05-01 10:00:00 UTC[\s\S]*Windows\.System\.Pslist\s*· 40 rows[\s\S]*Flow log\s*· 2 rows[\s\S]*hosts\s*· upload/);

    // The monitoring day beside it, for the manual's picture.
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await page.waitForFunction(() => (document.querySelector('[aria-label="Log rows"] [aria-label="Table summary"]')?.textContent ?? '').includes('loaded in'), null, { timeout: 60_000 });
    const logRows = page.getByRole('region', { name: 'Log rows' });
    await logRows.getByRole('figure', { name: /^Chart: 144 rows/ }).waitFor();
    await logRows.locator('[role=row][aria-rowindex="2"][data-row]').waitFor();
    await app.docsShot('logs-datastore-flows-1440x900');

    await flow.getByRole('button', { name: /Windows\.System\.Pslist/ }).click();
    await wb().waitFor();
    await waitReady(`${FLOW}.json`);
    await waitCount('40 of 40 rows');
    const grid = wb().getByRole('grid', { name: 'Workbench rows' });
    await grid.getByRole('gridcell', { name: 'explorer.exe' }).first().waitFor();
    await app.screenshot('result-set');

    await page.getByRole('tab', { name: 'Monitoring logs' }).click();
    await flow.getByRole('button', { name: 'Flow log' }).click();
    await waitReady('logs.json');
    await waitCount('2 of 2 rows');
    await grid.getByRole('gridcell', { name: /Collection is done after 2s/ }).waitFor();

    await page.getByRole('tab', { name: 'Monitoring logs' }).click();
    await flow.getByRole('button', { name: /drivers\\etc\\hosts/ }).click();
    await waitReady('hosts');
    await grid.getByRole('gridcell', { name: /localhost/ }).first().waitFor();
    await app.screenshot('upload');
    assert.deepEqual(tree(root), before, 'nothing is written into the datastore');
  });
});
