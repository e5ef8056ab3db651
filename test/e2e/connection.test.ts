// The page when its host goes away, in Chromium against real web hosts: `vql serve` stopped shows
// a banner at once and Run fails with a clear message (not "Starting…" forever); the host
// started again on the same port with the same token file (`--token-file`), the tab reconnects
// by itself and runs again; a host restarted with a new token is named as such, and a reload
// then explains itself instead of a bare 401. At 1440x900 and 1024x700, with screenshots.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWebHost, type WebHost } from '../../main/web/host.ts';
import { tokenFromFile } from '../../main/web/token-file.ts';
import { e2eSkip, openApp, rendererDir, type App } from './harness.ts';
import { setEditorText } from './codemirror.ts';

const T = { timeout: 90_000 };
const SIZES = [{ width: 1440, height: 900 }, { width: 1024, height: 700 }] as const;

describe('e2e: connection to the host', { skip: e2eSkip() }, () => {
  let app: App;
  const keys = mkdtempSync(join(tmpdir(), 'vql-e2e-token-'));
  const tokenFile = join(keys, 'serve.token');
  /** Hosts this suite started itself (the harness closes only its first). */
  const hosts: WebHost[] = [];
  before(async () => {
    app = await openApp('connection', { token: tokenFromFile(tokenFile).token });
  });
  after(async () => {
    for (const h of hosts) await h.close();
    await app?.close();
    rmSync(keys, { recursive: true, force: true });
  });

  /** `vql serve --port <the same> --token-file FILE` again. */
  async function restart(file = tokenFile): Promise<WebHost> {
    const h = await startWebHost({ port: app.host.port, token: tokenFromFile(file).token, staticDir: rendererDir, userArtifacts: join(app.dir, 'artifacts'), log: () => undefined });
    hosts.push(h);
    return h;
  }

  async function shots(step: string): Promise<void> {
    for (const size of SIZES) {
      await app.page.setViewportSize(size);
      await app.screenshot(`${step}-${size.width}x${size.height}`);
      // The manual's pictures of this behaviour.
      if (['host-stopped', 'reload-old-token'].includes(step)) await app.docsShot(`${step}-${size.width}x${size.height}`);
    }
    await app.page.setViewportSize(SIZES[0]);
  }

  const cell = () => app.page.getByRole('group', { name: 'Cell 1' });
  const run = async (vql: string) => {
    await setEditorText(cell().getByLabel('VQL'), vql);
    await cell().getByRole('button', { name: 'Run', exact: true }).click();
  };

  test('stopped: a banner at once, and Run fails clearly; restarted with the token file: reconnected, Run works', T, async () => {
    const { page } = app;
    await page.setViewportSize(SIZES[0]);
    await run('SELECT _value AS N FROM range(end=3)');
    await cell().getByRole('status').filter({ hasText: 'Done' }).waitFor();

    // A query running when the host stops ends with the connection.
    await run('SELECT * FROM clock(ms=200)');
    await cell().getByRole('status').filter({ hasText: 'Running' }).waitFor();
    const t0 = Date.now();
    await app.host.close();
    const banner = page.getByRole('alert').filter({ hasText: 'Disconnected from the workbench host' });
    await banner.waitFor({ timeout: 5000 });
    const shownAfter = Date.now() - t0;
    console.log(`# banner shown ${shownAfter} ms after the host stopped`);
    await cell().getByRole('status').filter({ hasText: /Error/ }).waitFor({ timeout: 5000 });
    assert.match((await cell().getByRole('status').textContent())!, /connection to the workbench host was lost/);
    await page.getByText(/next try in \d+ s|reconnecting now/).waitFor();
    await shots('host-stopped');

    // Run while the host is away: an error at once.
    await run('SELECT _value AS N FROM range(end=3)');
    await cell().getByRole('status').filter({ hasText: /Error/ }).waitFor({ timeout: 3000 });
    assert.match((await cell().getByRole('status').textContent())!, /not reachable/);
    await shots('run-while-stopped');

    // The same port and token file: the tab reconnects by itself.
    const t1 = Date.now();
    await restart();
    await page.getByRole('status').filter({ hasText: 'Reconnected to the workbench host' }).waitFor({ timeout: 15_000 });
    console.log(`# reconnected ${Date.now() - t1} ms after the host came back`);
    assert.equal(await page.getByRole('alert').filter({ hasText: 'Disconnected' }).count(), 0, 'the banner is gone');
    await shots('reconnected');
    await run('SELECT _value AS N FROM range(end=4)');
    await cell().getByRole('status').filter({ hasText: 'Done · 4 rows' }).waitFor();
    assert.deepEqual(app.errors.filter((e) => e.startsWith('pageerror')), []);
  });

  test('restarted with a new token: the banner says so; a reload explains itself and what to do', T, async () => {
    const { page } = app;
    await hosts.pop()!.close();
    await page.getByRole('alert').filter({ hasText: 'Disconnected' }).waitFor({ timeout: 5000 });
    // `vql serve` again without the token file: a new token.
    await restart(join(keys, 'another.token'));
    await page.getByRole('button', { name: 'Retry now' }).click();
    await page.getByRole('alert').filter({ hasText: 'restarted with a new token' }).waitFor({ timeout: 15_000 });
    await page.getByText('vql serve --port N --token-file FILE').waitFor();
    await shots('new-token');

    const r = await page.reload();
    assert.equal(r?.status(), 401);
    await page.getByRole('heading', { name: 'Open the link that vql serve printed' }).waitFor();
    await page.getByText(/was restarted since it was opened/).waitFor();
    const html = await page.content();
    assert.ok(!html.includes(hosts.at(-1)!.token) && !html.includes(app.host.token), 'no token in the page');
    await shots('reload-old-token');
  });
});
