// The built Electron shell (dist-main/main.js and dist-main/preload.cjs) loaded in plain Node
// against a stand-in for Electron's API (test/electron/fake-electron/): the Electron binary
// cannot run here, but the bundle's wiring can. What main applies (window options, session
// handlers, navigation guards, menu, IPC to the real AppService) is checked through what it
// hands to that API; the preload runs in a vm with a require() that offers only 'electron'.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { register } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { EventEmitter } from 'node:events';
import { windowOptions } from '../../main/electron/policy.ts';
import { INVOKE_CHANNELS } from '../../main/ipc/channels.ts';
import { CSP_HEADER } from '../../main/web/csp.ts';
import type { Bridge } from '../../main/ipc/contract.ts';

const built = spawnSync(process.execPath, ['scripts/build-electron.mjs'], { encoding: 'utf8' });
assert.equal(built.status, 0, built.stderr);

// main keeps the user's artifacts in the datastore (XDG_DATA_HOME on Linux): a temporary one here.
process.env.XDG_DATA_HOME = mkdtempSync(join(tmpdir(), 'vql-shell-'));
register('./fake-electron/hooks.mjs', import.meta.url);
type Listener = (...args: any[]) => any;
interface FakeContents extends EventEmitter { id: number; url: string; sent: unknown[][]; openHandler: Listener; destroyed: boolean }
interface FakeWindow extends EventEmitter { options: unknown; webContents: FakeContents; shown: boolean; destroy(): void }
const electron = (await import(new URL('./fake-electron/electron.mjs', import.meta.url).href)) as {
  fake: {
    calls: unknown[][]; windows: FakeWindow[]; errors: string[][]; opened: string[];
    menu: { template: Array<{ label: string; submenu?: Array<{ label?: string; accelerator?: string; click?: () => void }> }> } | null;
    session: Record<string, Listener>;
  };
  ipcMain: EventEmitter & { handlers: Map<string, Listener> };
};
const { fake, ipcMain } = electron;
await import(pathToFileURL(resolve('dist-main/main.js')).href);
// app.whenReady() resolved: its continuation opens the collector (datastore repair, lock), then the window.
for (let i = 0; i < 200 && fake.windows.length === 0; i++) await new Promise((r) => setTimeout(r, 25));

const preload = resolve('dist-main/preload.cjs');
const indexHtml = resolve('dist-renderer/index.html');
const appUrl = 'app://bundle/index.html';
const win = fake.windows[0]!;
const contents = win.webContents;

test('start-up: named, sandboxed, single instance, one window with the policy\'s options', () => {
  const names = fake.calls.map((c) => c[0]);
  assert.deepEqual(fake.calls.find((c) => c[0] === 'app.setName'), ['app.setName', 'vql-workbench']);
  for (const n of ['app.enableSandbox', 'app.requestSingleInstanceLock']) assert.ok(names.includes(n), n);
  assert.equal(fake.windows.length, 1);
  assert.deepEqual(win.options, windowOptions(preload, { devTools: true }));
  assert.ok(existsSync(preload));
  assert.ok(existsSync(resolve('dist-main/query-worker.mjs')), 'the query worker main hands to the service');
});

test('the window loads the built renderer from app://, not file://, and shows it when ready (or says how to build it)', async () => {
  const calls = fake.calls.map((c) => c[0]);
  assert.ok(calls.indexOf('protocol.registerSchemesAsPrivileged') >= 0 && calls.indexOf('protocol.registerSchemesAsPrivileged') < calls.indexOf('protocol.handle'));
  assert.deepEqual(fake.calls.find((c) => c[0] === 'protocol.registerSchemesAsPrivileged')![1], [{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }]);
  assert.equal(fake.calls.find((c) => c[0] === 'win.loadFile'), undefined);
  if (existsSync(indexHtml)) {
    assert.deepEqual(fake.calls.find((c) => c[0] === 'win.loadURL'), ['win.loadURL', appUrl]);
    // The protocol handler reads the page asynchronously: wait for 'ready-to-show'.
    for (let i = 0; i < 200 && !win.shown && fake.errors.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(win.shown, true);
    assert.deepEqual(fake.errors, []);
    // The handler main registered serves the renderer's files, and nothing outside them.
    const handler = (electron as unknown as { protocol: { handlers: Map<string, (r: { url: string }) => Promise<Response>> } }).protocol.handlers.get('app')!;
    const page = await handler({ url: appUrl });
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-security-policy'), CSP_HEADER);
    assert.equal(await page.text(), readFileSync(indexHtml, 'utf8'));
    assert.equal((await handler({ url: 'app://bundle/..%2f..%2fpackage.json' })).status, 404);
  } else {
    assert.match(fake.errors[0]![1]!, /npm run build:renderer/);
  }
});

test('session: the CSP on every response, remote requests cancelled, permissions denied', () => {
  let headers: Record<string, string[]> | undefined;
  fake.session.onHeadersReceived!({ responseHeaders: { 'Content-Security-Policy': ['default-src *'] } }, (r: { responseHeaders: Record<string, string[]> }) => (headers = r.responseHeaders));
  assert.deepEqual(headers, { 'Content-Security-Policy': [CSP_HEADER] });
  const cancel = (url: string) => {
    let out: boolean | undefined;
    fake.session.onBeforeRequest!({ url }, (r: { cancel: boolean }) => (out = r.cancel));
    return out;
  };
  assert.equal(cancel('https://cdn.example.com/x.js'), true);
  assert.equal(cancel(appUrl), false);
  const request = (permission: string, url: string) => {
    let granted: boolean | undefined;
    fake.session.permissionRequest!({ getURL: () => url }, permission, (g: boolean) => (granted = g));
    return granted;
  };
  assert.equal(request('media', appUrl), false);
  assert.equal(request('notifications', appUrl), false);
  assert.equal(request('clipboard-sanitized-write', appUrl), true);
  assert.equal(request('clipboard-sanitized-write', 'https://example.com/'), false);
  assert.equal(fake.session.permissionCheck!(null, 'clipboard-read'), false);
  assert.deepEqual(fake.calls.find((c) => c[0] === 'session.setSpellCheckerEnabled'), ['session.setSpellCheckerEnabled', false]);
});

test('navigation away, webviews and new windows are refused; http(s) links go to the browser', () => {
  const navigate = (event: string, url: string) => {
    let prevented = false;
    contents.emit(event, { url, preventDefault: () => (prevented = true) });
    return prevented;
  };
  for (const event of ['will-navigate', 'will-frame-navigate', 'will-redirect']) {
    assert.equal(navigate(event, 'https://evil.example/'), true, event);
    assert.equal(navigate(event, 'file:///etc/passwd'), true, event);
    assert.equal(navigate(event, appUrl), false, event);
  }
  let webview = false;
  contents.emit('will-attach-webview', { preventDefault: () => (webview = true) });
  assert.equal(webview, true);
  assert.deepEqual(contents.openHandler({ url: 'https://docs.velociraptor.app/' }), { action: 'deny' });
  assert.deepEqual(contents.openHandler({ url: 'file:///etc/passwd' }), { action: 'deny' });
  assert.deepEqual(contents.openHandler({ url: 'javascript:alert(1)' }), { action: 'deny' });
  assert.deepEqual(fake.opened, ['https://docs.velociraptor.app/']);
});

test('the menu pushes its commands to the window; a bare Esc is Stop', () => {
  const file = fake.menu!.template.find((s) => s.label === 'File')!.submenu!;
  const open = file.find((i) => i.label === 'Open CSV…')!;
  assert.equal(open.accelerator, 'CmdOrCtrl+O');
  contents.sent.length = 0;
  file.find((i) => i.label === 'Save')!.click!();
  contents.emit('before-input-event', {}, { type: 'keyDown', key: 'Escape', control: false, meta: false, alt: false, shift: false });
  contents.emit('before-input-event', {}, { type: 'keyDown', key: 'a', control: false, meta: false, alt: false, shift: false });
  assert.deepEqual(contents.sent, [['app:menu', 'save'], ['app:menu', 'stop']]);
});

test('IPC: the page\'s requests reach the AppService and its rows come back; other pages are refused', { timeout: 20_000 }, async () => {
  assert.deepEqual([...ipcMain.handlers.keys()].sort(), [...INVOKE_CHANNELS].sort());
  const event = (url: string) => ({ sender: contents, senderFrame: { url } });
  const r = await ipcMain.handlers.get('vql:run')!(event(appUrl), { query: 'SELECT _value AS N FROM range(end=3)' });
  assert.equal(r.ok, true);
  const end = Date.now() + 10_000;
  while (!contents.sent.some((m) => m[0] === 'vql:done' && m[1] === r.value) && Date.now() < end) await new Promise((res) => setTimeout(res, 10));
  const rows = contents.sent.filter((m) => m[0] === 'vql:rows' && m[1] === r.value).flatMap((m) => (m[2] as string[]).map((x) => JSON.parse(x).N));
  assert.deepEqual(rows, [0, 1, 2]);
  const list = await ipcMain.handlers.get('artifacts:list')!(event(appUrl));
  assert.ok(list.ok && list.value.some((a: { name: string; builtIn: boolean }) => a.name === 'Generic.Client.Stats' && a.builtIn));
  const evil = await ipcMain.handlers.get('artifacts:list')!(event('https://evil.example/'));
  assert.equal(evil.ok, false);
  assert.equal(evil.error.code, 'Forbidden');
});

test('the preload needs only electron, and exposes exactly the Bridge as window.vqlBridge', async () => {
  const exposed: Array<[string, Bridge]> = [];
  const page = new EventEmitter();
  const forwarded: unknown[][] = [];
  const fakeElectron = {
    contextBridge: { exposeInMainWorld: (key: string, api: Bridge) => exposed.push([key, api]) },
    ipcRenderer: {
      invoke: async (...args: unknown[]) => (forwarded.push(args), { ok: true, value: 'id-1' }),
      send: (...args: unknown[]) => forwarded.push(args),
      on: (c: string, fn: Listener) => page.on(c, fn),
      removeListener: (c: string, fn: Listener) => page.removeListener(c, fn),
    },
  };
  const required: string[] = [];
  const module = { exports: {} };
  vm.runInNewContext(readFileSync(preload, 'utf8'), {
    require: (m: string) => {
      required.push(m);
      if (m !== 'electron') throw new Error(`a sandboxed preload cannot require ${m}`);
      return fakeElectron;
    },
    module, exports: module.exports, Promise, Object, String,
  }, { filename: preload });
  assert.deepEqual(required, ['electron']);
  assert.equal(exposed.length, 1);
  const [key, api] = exposed[0]!;
  assert.equal(key, 'vqlBridge');
  assert.deepEqual(Object.keys(api).sort(), ['invoke', 'send', 'subscribe']);
  assert.deepEqual(await api.invoke('vql:run', { query: 'SELECT 1 FROM scope()' }), { ok: true, value: 'id-1' });
  const loose = api as unknown as { invoke(c: string): Promise<{ ok: boolean }> };
  assert.equal((await loose.invoke('shell:exec')).ok, false);
  const heard: unknown[][] = [];
  const off = api.subscribe('vql:done', (...a) => heard.push(a));
  page.emit('vql:done', { sender: 'event' }, 'id-1', { rows: 0 });
  off();
  page.emit('vql:done', { sender: 'event' }, 'id-2', { rows: 0 });
  assert.deepEqual(heard, [['id-1', { rows: 0 }]]);
  assert.deepEqual(forwarded, [['vql:run', { query: 'SELECT 1 FROM scope()' }]]);
});

test('the user\'s artifacts live in the datastore shared with vql monitor and vql serve', () => {
  assert.ok(existsSync(join(process.env.XDG_DATA_HOME!, 'vql-workbench', 'artifacts')));
});

test('closing the window detaches it: its requests are refused afterwards', async () => {
  win.destroy();
  const r = await ipcMain.handlers.get('artifacts:list')!({ sender: contents, senderFrame: { url: appUrl } });
  assert.equal(r.ok, false);
});

test('quitting closes the collector first: its datastore lock is released, then the app quits', async () => {
  const lock = join(process.env.XDG_DATA_HOME!, 'vql-workbench', 'collector.lock');
  assert.ok(existsSync(lock), 'the app holds the datastore while it runs');
  const app = (electron as unknown as { app: EventEmitter }).app;
  let prevented = false;
  app.emit('before-quit', { preventDefault: () => (prevented = true) });
  assert.equal(prevented, true, 'the quit waits for the collector');
  for (let i = 0; i < 200 && existsSync(lock); i++) await new Promise((r) => setTimeout(r, 25));
  assert.equal(existsSync(lock), false);
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(fake.calls.some((c) => c[0] === 'app.quit'));
});
