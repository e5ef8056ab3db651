// The Electron window's security policy and file layout (main/electron/policy.ts), tested as
// plain data: the Electron binary cannot run here, so nothing but wiring lives in main.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  appLayout, externalUrl, isAppNavigation, isPermissionAllowed, isRemoteRequest, webPreferences, windowOptions, withCsp,
} from '../../main/electron/policy.ts';
import { CSP, CSP_HEADER } from '../../main/web/csp.ts';
import { APP_URL } from '../../main/electron/app-protocol.ts';
import { BUILTIN_ARTIFACTS_ENV, Repository, builtinArtifactsDir } from '../../main/artifacts/repository.ts';

const appUrl = APP_URL;

test('webPreferences: isolated, sandboxed, no Node, web security on, the given preload', () => {
  const p = webPreferences('/x/preload.cjs', { devTools: false });
  assert.equal(p.preload, '/x/preload.cjs');
  assert.equal(p.contextIsolation, true);
  assert.equal(p.sandbox, true);
  assert.equal(p.nodeIntegration, false);
  assert.equal(p.nodeIntegrationInWorker, false);
  assert.equal(p.nodeIntegrationInSubFrames, false);
  assert.equal(p.webSecurity, true);
  assert.equal(p.allowRunningInsecureContent, false);
  assert.equal(p.experimentalFeatures, false);
  assert.equal(p.webviewTag, false);
  assert.equal(p.navigateOnDragDrop, false);
  assert.equal(p.devTools, false);
  assert.match(p.disableBlinkFeatures, /Auxclick/);
  assert.equal(webPreferences('/p', { devTools: true }).devTools, true);
  // No option that loosens any of the above sneaks in.
  const keys = Object.keys(p).sort();
  assert.deepEqual(keys, ['allowRunningInsecureContent', 'contextIsolation', 'devTools', 'disableBlinkFeatures', 'experimentalFeatures',
    'navigateOnDragDrop', 'nodeIntegration', 'nodeIntegrationInSubFrames', 'nodeIntegrationInWorker', 'preload', 'safeDialogs',
    'sandbox', 'spellcheck', 'webSecurity', 'webviewTag']);
});

test('windowOptions: hidden until ready, with those webPreferences', () => {
  const o = windowOptions('/x/preload.cjs', { devTools: false });
  assert.equal(o.show, false);
  assert.deepEqual(o.webPreferences, webPreferences('/x/preload.cjs', { devTools: false }));
  assert.ok(o.minWidth <= o.width && o.minHeight <= o.height);
});

test('appLayout: development finds the repository\'s artifacts; a packaged app its resources', () => {
  const dev = appLayout({ mainDir: '/repo/dist-main', isPackaged: false, resourcesPath: '/e/resources', datastore: '/home/u/.local/share/vql-workbench' });
  assert.equal(dev.preload, resolve('/repo/dist-main/preload.cjs'));
  assert.equal(dev.indexHtml, resolve('/repo/dist-renderer/index.html'));
  assert.equal(dev.appUrl, 'app://bundle/index.html');
  assert.equal(dev.rendererDir, resolve('/repo/dist-renderer'));
  assert.equal(dev.queryWorker, resolve('/repo/dist-main/query-worker.mjs'));
  assert.equal(dev.builtinArtifacts, undefined);
  assert.equal(dev.userArtifacts, join('/home/u/.local/share/vql-workbench', 'artifacts'));
  const packed = appLayout({ mainDir: '/opt/v/resources/app.asar/dist-main', isPackaged: true, resourcesPath: '/opt/v/resources', datastore: '/d' });
  assert.equal(packed.builtinArtifacts, join('/opt/v/resources', 'artifacts'));
  assert.equal(packed.queryWorker, join('/opt/v/resources', 'app.asar.unpacked', 'dist-main', 'query-worker.mjs'));
  assert.equal(packed.indexHtml, resolve('/opt/v/resources/app.asar/dist-renderer/index.html'));
});

test('the packaged app\'s built-in artifacts are found through VQL_BUILTIN_ARTIFACTS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vql-builtin-'));
  mkdirSync(join(dir, 'artifacts'));
  writeFileSync(join(dir, 'artifacts', 'Custom.Shipped.yaml'), 'name: Custom.Shipped\nsources:\n  - query: SELECT 1 AS A FROM scope()\n');
  const found = builtinArtifactsDir({ [BUILTIN_ARTIFACTS_ENV]: join(dir, 'artifacts') });
  assert.equal(found, join(dir, 'artifacts'));
  const repo = new Repository({ builtinDir: found });
  assert.deepEqual(repo.names(), ['Custom.Shipped']);
  assert.equal(repo.get('Custom.Shipped')?.builtIn, true);
  // Unset: the package's own artifacts/ folder, as before.
  assert.equal(builtinArtifactsDir({}), resolve('artifacts'));
});

test('navigation: only to the app page itself', () => {
  assert.equal(isAppNavigation(appUrl, appUrl), true);
  assert.equal(isAppNavigation(`${appUrl}#/console`, appUrl), true);
  assert.equal(isAppNavigation(`${appUrl}?tab=events`, appUrl), true);
  for (const bad of [
    'https://example.com/', 'http://127.0.0.1:8080/', 'file:///etc/passwd', 'file:///home/u/Downloads/events.csv',
    pathToFileURL('/opt/vql-workbench/resources/app.asar/dist-renderer/index.html').href,
    'app://bundle/other.html', 'app://evil/index.html', 'app://bundle/', 'app:///index.html',
    'javascript:alert(1)', 'data:text/html,<script>1</script>', 'about:blank', 'devtools://devtools/x', 'not a url', '',
  ]) {
    assert.equal(isAppNavigation(bad, appUrl), false, bad);
  }
});

test('external links: http(s) with a host only, handed over normalized', () => {
  assert.equal(externalUrl('https://docs.velociraptor.app/vql_reference/'), 'https://docs.velociraptor.app/vql_reference/');
  assert.equal(externalUrl('HTTP://Example.COM'), 'http://example.com/');
  for (const bad of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'ms-msdt:/id', 'vscode://x', 'https://user:pw@example.com/', 'http:', 'nonsense', '']) {
    assert.equal(externalUrl(bad), null, bad);
  }
});

test('permissions: everything denied except sanitized clipboard writes from the app page', () => {
  assert.equal(isPermissionAllowed('clipboard-sanitized-write', appUrl, appUrl), true);
  assert.equal(isPermissionAllowed('clipboard-sanitized-write', 'https://example.com/', appUrl), false);
  for (const p of ['clipboard-read', 'media', 'geolocation', 'notifications', 'openExternal', 'fullscreen', 'fileSystem', 'hid', 'serial', 'usb', 'unknown']) {
    assert.equal(isPermissionAllowed(p, appUrl, appUrl), false, p);
  }
});

test('no remote content: every request but the app\'s own files is remote', () => {
  for (const local of [appUrl, 'app://bundle/assets/index-x.js', 'data:image/png;base64,AA==', 'blob:app://bundle/1234', 'devtools://devtools/bundled/inspector.html']) {
    assert.equal(isRemoteRequest(local), false, local);
  }
  for (const remote of ['file:///etc/passwd', 'https://example.com/x.js', 'http://127.0.0.1:1/', 'ws://127.0.0.1:9/ws', 'wss://x/', 'ftp://x/', 'chrome-extension://abc/x', '::']) {
    assert.equal(isRemoteRequest(remote), true, remote);
  }
});

test('withCsp replaces any CSP a response carries (whatever its case) and keeps the other headers', () => {
  const h = withCsp({ 'content-security-policy': ["default-src *"], 'Content-Type': ['text/html'], 'X-One': 'single' });
  assert.deepEqual(h, { 'Content-Type': ['text/html'], 'X-One': ['single'], 'Content-Security-Policy': [CSP_HEADER] });
  assert.deepEqual(withCsp(undefined), { 'Content-Security-Policy': [CSP_HEADER] });
});

test('the CSP: strict, identical in renderer/index.html\'s meta tag, and the header adds what a meta tag cannot', () => {
  const html = readFileSync('renderer/index.html', 'utf8');
  const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html);
  assert.ok(meta, 'renderer/index.html has a CSP meta tag');
  assert.equal(meta[1], CSP);
  const directives = new Map(CSP.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k!, v]));
  assert.deepEqual(directives.get('default-src'), ["'self'"]);
  assert.deepEqual(directives.get('script-src'), ["'self'"], 'no inline scripts, no eval, no remote scripts');
  assert.deepEqual(directives.get('object-src'), ["'none'"]);
  assert.deepEqual(directives.get('base-uri'), ["'none'"]);
  for (const [k, v] of directives) assert.ok(!v.some((s) => s === '*' || s.startsWith('http')), `${k} allows ${v.join(' ')}`);
  assert.ok(CSP_HEADER.startsWith(CSP));
  assert.match(CSP_HEADER, /frame-ancestors 'none'/);
});
