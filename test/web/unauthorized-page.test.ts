// A page opened without this start's token (main/web/unauthorized-page.ts): a browser gets a
// short page that says why and what to do, safe (no token, no script, a policy that allows
// only its own style); scripts, assets and tools still get the plain 401.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWebHost } from '../../main/web/host.ts';
import { UNAUTHORIZED_CSP, unauthorizedPage, wantsPage } from '../../main/web/unauthorized-page.ts';

const dir = mkdtempSync(join(tmpdir(), 'vql-401-'));
const host = await startWebHost({ userArtifacts: join(dir, 'artifacts'), log: () => undefined });
after(async () => {
  await host.close();
  rmSync(dir, { recursive: true, force: true });
});
const base = `http://127.0.0.1:${host.port}`;
const OLD = 'ab'.repeat(32);
/** What Chromium sends when the user opens or reloads the page. */
const NAVIGATION = { 'sec-fetch-dest': 'document', 'sec-fetch-mode': 'navigate', 'sec-fetch-site': 'none', accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

test('a reload with an old token (its cookie): the page says the host was restarted and what to do', async () => {
  const r = await fetch(`${base}/`, { headers: { ...NAVIGATION, cookie: `vql_token=${OLD}` } });
  assert.equal(r.status, 401);
  assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
  const html = await r.text();
  assert.match(html, /was restarted since it was opened/);
  assert.match(html, /copy the address it printed last/);
  assert.match(html, /vql serve --token-file FILE/);
  assert.equal(r.headers.get('set-cookie'), null, 'no cookie for a refused request');
  assert.ok(!html.includes(host.token) && !html.includes(OLD), 'no token in the page');
});

test('an address without any token: the page says the token is missing', async () => {
  const r = await fetch(`${base}/`, { headers: NAVIGATION });
  assert.equal(r.status, 401);
  const html = await r.text();
  assert.match(html, /opened without it/);
  assert.doesNotMatch(html, /restarted since/);
  // A link from an earlier start (the token in the address).
  assert.match(await (await fetch(`${base}/?token=${OLD}`, { headers: NAVIGATION })).text(), /restarted since it was opened/);
});

test('safe: no script, and a policy that allows nothing but its own style', async () => {
  const r = await fetch(`${base}/`, { headers: NAVIGATION });
  const html = await r.text();
  const csp = r.headers.get('content-security-policy') ?? '';
  assert.equal(csp, UNAUTHORIZED_CSP);
  assert.match(csp, /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'$/);
  assert.doesNotMatch(html, /<script|javascript:|\son\w+=/i);
  const style = /<style>(.*?)<\/style>/s.exec(html)![1]!;
  assert.ok(csp.includes(`'sha256-${createHash('sha256').update(style).digest('base64')}'`), 'the hash is the style\'s');
  assert.equal(r.headers.get('x-frame-options'), 'DENY');
  assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
  // HEAD: the same answer, no body.
  const head = await fetch(`${base}/`, { method: 'HEAD', headers: NAVIGATION });
  assert.equal(head.status, 401);
  assert.equal(await head.text(), '');
});

test('scripts, assets and tools keep the plain 401', async () => {
  const asset = await fetch(`${base}/assets/index.js`, { headers: { 'sec-fetch-dest': 'script', cookie: `vql_token=${OLD}` } });
  assert.equal(asset.status, 401);
  assert.match(asset.headers.get('content-type') ?? '', /^text\/plain/);
  assert.match(await asset.text(), /^401 unauthorized/);
  const tool = await fetch(`${base}/`);
  assert.match(tool.headers.get('content-type') ?? '', /^text\/plain/);
  const probe = await fetch(`${base}/`, { method: 'HEAD', headers: { authorization: `Bearer ${OLD}` } });
  assert.equal(probe.status, 401, 'the page\'s probe (socket-bridge.ts) tells an old token by this');
  assert.equal((await fetch(`${base}/`, { method: 'HEAD', headers: { authorization: `Bearer ${host.token}` } })).status, 200);
});

test('wantsPage: navigations only, by Fetch Metadata or else by Accept', () => {
  assert.equal(wantsPage('GET', { 'sec-fetch-dest': 'document' }), true);
  assert.equal(wantsPage('GET', { 'sec-fetch-dest': 'iframe', accept: 'text/html' }), false);
  assert.equal(wantsPage('GET', { 'sec-fetch-dest': 'empty' }), false);
  assert.equal(wantsPage('GET', { accept: 'text/html,*/*' }), true);
  assert.equal(wantsPage('GET', { accept: '*/*' }), false);
  assert.equal(wantsPage('POST', { 'sec-fetch-dest': 'document' }), false);
  assert.equal(unauthorizedPage('stale'), unauthorizedPage('stale'), 'a constant page');
});
