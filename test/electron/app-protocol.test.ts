// The app:// protocol (main/electron/app-protocol.ts): the window's page and assets come from the
// built renderer folder and nothing else, with the app's CSP on every response.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_URL, appFileFor, appProtocolResponse } from '../../main/electron/app-protocol.ts';
import { CSP_HEADER } from '../../main/web/csp.ts';

const dir = mkdtempSync(join(tmpdir(), 'vql-app-proto-'));
const renderer = join(dir, 'dist-renderer');
mkdirSync(join(renderer, 'assets'), { recursive: true });
writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>app</title>');
writeFileSync(join(renderer, 'assets', 'import.worker-x.js'), 'self.onmessage = () => {}');
writeFileSync(join(dir, 'secret.txt'), 'secret');

test('appFileFor maps app://bundle/ paths into the renderer folder only', () => {
  assert.equal(appFileFor(APP_URL, renderer), join(renderer, 'index.html'));
  assert.equal(appFileFor('app://bundle/', renderer), join(renderer, 'index.html'));
  assert.equal(appFileFor('app://bundle/assets/import.worker-x.js?v=1#x', renderer), join(renderer, 'assets', 'import.worker-x.js'));
  for (const bad of [
    'app://bundle/../secret.txt', 'app://bundle/%2e%2e/secret.txt', 'app://bundle/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
    'app://bundle/..%5csecret.txt', 'app://bundle/%00', 'app://bundle/%zz', 'app://other/index.html', 'file:///etc/passwd',
    'https://bundle/index.html', 'not a url', '',
  ]) {
    const f = appFileFor(bad, renderer);
    assert.ok(f === null || f.startsWith(renderer + '/'), `${bad} -> ${f}`);
    assert.notEqual(f, join(dir, 'secret.txt'), bad);
  }
});

test('responses: the file with its type and the CSP; 404 for anything else', async () => {
  const page = await appProtocolResponse(APP_URL, renderer);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(page.headers.get('content-security-policy'), CSP_HEADER);
  const worker = await appProtocolResponse('app://bundle/assets/import.worker-x.js', renderer);
  assert.equal(worker.headers.get('content-type'), 'text/javascript; charset=utf-8', 'module workers need a JavaScript type');
  for (const url of ['app://bundle/nope.js', 'app://bundle/assets', 'app://bundle/%2e%2e/secret.txt']) {
    const r = await appProtocolResponse(url, renderer);
    assert.equal(r.status, 404, url);
    assert.doesNotMatch(await r.text(), /secret/);
  }
});
