// Only the app's own page may use the web host: a page served by another local program, on
// another loopback port of the same machine (same-site: the browser sends it SameSite=Strict
// cookies), opened in the same browser right after the app, gets nothing: no WebSocket (with
// the cookie, or even holding the token), no page, no file read, no artifact saved.
// Also: the token leaves the app's address bar after load, and a reload keeps working.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { e2eSkip, openApp, type App } from './harness.ts';

/** The attacker's page: tries every way in and reports what it got on `window.results`. */
function attackerPage(hostPort: number, token: string, secretFile: string): string {
  const script = `
  const results = {};
  const target = 'http://127.0.0.1:${hostPort}';
  const ws = (protocols) => new Promise((resolve) => {
    let sock;
    try { sock = protocols ? new WebSocket('ws://127.0.0.1:${hostPort}/ws', protocols) : new WebSocket('ws://127.0.0.1:${hostPort}/ws'); }
    catch (e) { resolve('threw ' + e.message); return; }
    const got = [];
    sock.onopen = () => {
      sock.send(JSON.stringify({ type: 'invoke', id: 1, channel: 'vql:run', args: [{ query: "SELECT read_file(filename=${JSON.stringify(secretFile).replace(/"/g, "'")}) AS Data FROM scope()" }] }));
      sock.send(JSON.stringify({ type: 'invoke', id: 2, channel: 'artifacts:save', args: ['name: Custom.Evil\\nsources:\\n- query: SELECT * FROM info()\\n'] }));
    };
    sock.onmessage = (m) => got.push(String(m.data));
    sock.onerror = () => resolve('error ' + JSON.stringify(got));
    sock.onclose = (e) => resolve('closed ' + e.code + ' ' + JSON.stringify(got));
    setTimeout(() => resolve('open ' + JSON.stringify(got)), 3000);
  });
  (async () => {
    results.cookieSocket = await ws();
    results.tokenSocket = await ws(['vql.v1', 'vql.token.${token}']);
    try {
      const r = await fetch(target + '/', { credentials: 'include' });
      results.fetch = 'read ' + r.status + ' ' + (await r.text()).slice(0, 200);
    } catch (e) { results.fetch = 'blocked ' + e.message; }
    try {
      const r = await fetch(target + '/?token=${token}', { credentials: 'include', mode: 'no-cors' });
      results.noCors = 'status ' + r.status + ' type ' + r.type;
    } catch (e) { results.noCors = 'blocked ' + e.message; }
    window.results = results;
  })();`;
  return `<!doctype html><meta charset="utf-8"><title>attacker</title><script>${script}</script>`;
}

describe('e2e: another local page cannot use the web host', { skip: e2eSkip() }, () => {
  let app: App;
  let attacker: Server;
  let attackerPort = 0;
  const requests: string[] = [];
  before(async () => {
    app = await openApp('cross-origin');
    const secret = join(app.dir, 'secret.txt');
    writeFileSync(secret, 'TOP-SECRET-EVIDENCE');
    attacker = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(attackerPage(app.host.port, app.host.token, secret)));
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', () => r()));
    attackerPort = (attacker.address() as { port: number }).port;
  });
  after(async () => {
    attacker?.close();
    await app?.close();
  });

  test('the token leaves the address bar, and a reload still connects', async () => {
    const { page } = app;
    await page.getByRole('tab', { name: 'Console' }).click();
    assert.equal(new URL(page.url()).searchParams.get('token'), null, page.url());
    await page.reload();
    await page.getByRole('tab', { name: 'Artifacts' }).click();
    // The library list comes over the WebSocket: it loads only if the reloaded page connected.
    await page.getByText('Generic.Client.Stats').first().waitFor();
    await app.screenshot('after-reload');
  });

  test('a page on another loopback port gets no socket, no page, no file, no artifact', { timeout: 60_000 }, async () => {
    const evil = await app.context.newPage();
    evil.on('request', (r) => requests.push(r.url()));
    await evil.goto(`http://127.0.0.1:${attackerPort}/`);
    await evil.waitForFunction(() => (window as unknown as { results?: unknown }).results !== undefined, undefined, { timeout: 30_000 });
    const results = await evil.evaluate(() => (window as unknown as { results: Record<string, string> }).results);
    const all = JSON.stringify(results);
    assert.doesNotMatch(all, /TOP-SECRET-EVIDENCE/);
    assert.doesNotMatch(results.cookieSocket!, /^open/, results.cookieSocket);
    assert.doesNotMatch(results.tokenSocket!, /^open/, results.tokenSocket);
    assert.doesNotMatch(all, /"type":"reply"/);
    assert.match(results.fetch!, /^blocked/, 'CORS: the page cannot read the response');
    const artifacts = join(app.dir, 'artifacts');
    assert.deepEqual(existsSync(artifacts) ? readdirSync(artifacts).filter((f) => f.includes('Evil')) : [], []);
    await evil.close();
    // The app's own page still works.
    await app.page.getByRole('tab', { name: 'Console' }).click();
    assert.deepEqual(app.errors.filter((e) => !/WebSocket|401|403/.test(e)), []);
  });
});
