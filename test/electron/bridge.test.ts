// The IPC bridge end to end, without Electron: the preload's Bridge (preload-bridge.ts) over a
// stand-in ipcRenderer, the main side (bridge.ts) over a stand-in ipcMain, and the real
// AppService behind it. The stand-ins copy every payload with structuredClone, as Electron's
// IPC does, and hand listeners an event object, which the Bridge must not pass on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WindowBridge, type ContentsLike, type IpcEventLike, type IpcMainLike, type PushFn } from '../../main/electron/bridge.ts';
import { makeBridge, type IpcRendererLike } from '../../main/electron/preload-bridge.ts';
import { INVOKE_CHANNELS, SEND_CHANNELS } from '../../main/ipc/channels.ts';
import { AppService } from '../../main/app/service.ts';
import type { Bridge } from '../../main/ipc/contract.ts';

const APP_URL = 'file:///opt/vql/resources/app.asar/dist-renderer/index.html';
const userArtifacts = join(mkdtempSync(join(tmpdir(), 'vql-bridge-')), 'artifacts');

type Listener = (event: IpcEventLike, ...args: any[]) => unknown;

class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, Listener>();
  readonly listeners = new Map<string, Listener[]>();
  handle(channel: string, fn: Listener): void {
    assert.ok(!this.handlers.has(channel), `a second handler for ${channel}`);
    this.handlers.set(channel, fn);
  }
  on(channel: string, fn: Listener): this {
    this.listeners.set(channel, [...(this.listeners.get(channel) ?? []), fn]);
    return this;
  }
}

/** A window's web contents plus the ipcRenderer of the page inside it. */
class FakeWindow extends EventEmitter implements ContentsLike {
  private static next = 1;
  readonly id = FakeWindow.next++;
  private destroyed = false;
  readonly page = new EventEmitter();
  ipcCalls = 0;
  constructor(private readonly main: FakeIpcMain, public frameUrl = APP_URL) {
    super();
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  send(channel: string, ...args: unknown[]): void {
    assert.ok(!this.destroyed, 'send to a destroyed window');
    this.page.emit(channel, { sender: 'the ipcRenderer event' }, ...structuredClone(args));
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('destroyed');
  }
  private event(): IpcEventLike {
    return { sender: this, senderFrame: { url: this.frameUrl } };
  }
  readonly ipc: IpcRendererLike = {
    invoke: async (channel, ...args) => {
      this.ipcCalls++;
      const h = this.main.handlers.get(channel);
      if (!h) throw new Error(`No handler registered for '${channel}'`);
      return structuredClone(await h(this.event(), ...structuredClone(args)));
    },
    send: (channel, ...args) => {
      this.ipcCalls++;
      for (const fn of this.main.listeners.get(channel) ?? []) fn(this.event(), ...structuredClone(args));
    },
    on: (channel, fn) => this.page.on(channel, fn),
    removeListener: (channel, fn) => this.page.removeListener(channel, fn),
  };
  readonly bridge: Bridge = makeBridge(this.ipc);
}

function setup() {
  const ipc = new FakeIpcMain();
  const bridge = new WindowBridge(ipc, (url) => url === APP_URL);
  /** Every push each service made, delivered or not (to see what a closed window missed). */
  const made: Array<{ window: number; pushes: Array<[string, unknown[]]>; service: AppService }> = [];
  const open = (frameUrl = APP_URL) => {
    const w = new FakeWindow(ipc, frameUrl);
    bridge.attach(w, (push: PushFn) => {
      const entry = { window: w.id, pushes: [] as Array<[string, unknown[]]>, service: undefined as unknown as AppService };
      entry.service = new AppService({ userArtifacts, batchMs: 20, push: (channel, ...args) => {
        entry.pushes.push([channel, args]);
        push(channel, ...args);
      } });
      made.push(entry);
      return entry.service;
    });
    return w;
  };
  return { ipc, bridge, made, open };
}

const until = async (what: string, f: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

test('main registers exactly the contract\'s channels', () => {
  const { ipc } = setup();
  assert.ok(ipc.handlers.has('vql:run') && ipc.handlers.has('packs:import'));
  assert.deepEqual([...ipc.handlers.keys()].sort(), [...INVOKE_CHANNELS].sort());
  assert.deepEqual([...ipc.listeners.keys()].sort(), [...SEND_CHANNELS].sort());
});

test('a query through the preload bridge: reply, streamed rows and the end, without the IPC event', { timeout: 20_000 }, async () => {
  const { open } = setup();
  const w = open();
  const rows: number[] = [];
  let done: { rows: number; cancelled: boolean } | undefined;
  const seen: unknown[][] = [];
  w.bridge.subscribe('vql:rows', (...args) => {
    seen.push(args);
    rows.push(...args[1].map((r) => JSON.parse(r).N as number));
  });
  w.bridge.subscribe('vql:done', (_id, summary) => (done = summary));
  const r = await w.bridge.invoke('vql:run', { query: 'SELECT _value AS N FROM range(end=5)' });
  assert.equal(r.ok, true);
  await until('vql:done', () => !!done);
  assert.deepEqual(rows, [0, 1, 2, 3, 4]);
  assert.deepEqual(done, { ...done, rows: 5, cancelled: false });
  // Listeners get the contract's arguments only: (id, rows), never Electron's event.
  assert.equal(typeof seen[0]![0], 'string');
  assert.equal(seen[0]!.length, 2);
  // A syntax error is the reply, with its span.
  const bad = await w.bridge.invoke('vql:run', { query: 'SELECT * FROM' });
  assert.equal(bad.ok, false);
  if (!bad.ok) assert.equal(bad.error.span?.line, 1);
});

test('the preload refuses channels outside the contract before they reach IPC', async () => {
  const { open } = setup();
  const w = open();
  // What a compromised page could call: any string, any payload.
  const loose = w.bridge as unknown as { invoke(c: string, ...a: unknown[]): Promise<unknown>; send(c: string, ...a: unknown[]): void; subscribe(c: string, fn: () => void): () => void };
  const r = await loose.invoke('fs:readFile', '/etc/passwd');
  assert.deepEqual(r, { ok: false, error: { code: 'UnknownChannel', message: 'fs:readFile is not a request of the workbench contract' } });
  loose.send('vql:run', 'x');
  const off = loose.subscribe('ELECTRON_BROWSER_REQUIRE', () => assert.fail('subscribed to a foreign channel'));
  w.page.emit('ELECTRON_BROWSER_REQUIRE', {}, 'x');
  off();
  assert.equal(w.ipcCalls, 0);
  assert.equal(w.page.listenerCount('ELECTRON_BROWSER_REQUIRE'), 0);
});

test('unsubscribe removes the listener', () => {
  const { open, bridge } = setup();
  const w = open();
  const got: string[] = [];
  const off = w.bridge.subscribe('app:menu', (cmd) => got.push(cmd));
  bridge.pushTo(w, 'app:menu', 'save');
  off();
  bridge.pushTo(w, 'app:menu', 'run');
  assert.deepEqual(got, ['save']);
  assert.equal(w.page.listenerCount('app:menu'), 0);
});

test('requests from another page, or from a window without a service, are refused', async () => {
  const { open, ipc, made } = setup();
  const evil = open('https://attacker.example/');
  const r = await evil.bridge.invoke('artifacts:list');
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.error.code, 'Forbidden');
  const stray = new FakeWindow(ipc);
  const s = await stray.bridge.invoke('artifacts:list');
  assert.equal(s.ok, false);
  // The trusted page gets an answer from the same channel.
  const good = await open().bridge.invoke('artifacts:list');
  assert.equal(good.ok, true);
  assert.equal(made.length, 2);
});

test('each window hears only its own pushes; closing a window cancels its queries', { timeout: 20_000 }, async () => {
  const { open, made, bridge } = setup();
  const a = open();
  const b = open();
  const aRows: string[] = [];
  const bRows: string[] = [];
  a.bridge.subscribe('vql:rows', (id) => aRows.push(id));
  b.bridge.subscribe('vql:rows', (id) => bRows.push(id));
  const ra = await a.bridge.invoke('vql:run', { query: 'SELECT * FROM clock(ms=20)' });
  const rb = await b.bridge.invoke('vql:run', { query: 'SELECT * FROM clock(ms=20)' });
  assert.ok(ra.ok && rb.ok);
  await until('rows in both windows', () => aRows.length > 0 && bRows.length > 0);
  assert.ok(aRows.every((id) => id === ra.value) && bRows.every((id) => id === rb.value));
  a.destroy();
  assert.equal(bridge.size, 1);
  const aService = made.find((m) => m.window === a.id)!;
  await until('a\'s query cancelled', () => aService.pushes.some(([c, args]) => c === 'vql:done' && (args[1] as { cancelled: boolean }).cancelled));
  // b's query still runs until b stops it.
  const before = bRows.length;
  await until('more rows in b', () => bRows.length > before);
  let bDone: { cancelled: boolean } | undefined;
  b.bridge.subscribe('vql:done', (_id, s) => (bDone = s));
  b.bridge.send('vql:cancel', rb.value);
  await until('b stopped', () => !!bDone);
  assert.equal(bDone!.cancelled, true);
  b.destroy();
  assert.equal(bridge.size, 0);
});

test('a reload cancels the old page\'s queries and gives the new page a fresh service', { timeout: 20_000 }, async () => {
  const { open, made } = setup();
  const w = open();
  w.emit('did-navigate'); // the initial load: nothing to cancel
  assert.equal(made.length, 1);
  const rows: string[] = [];
  const ended: string[] = [];
  w.bridge.subscribe('vql:rows', (id) => rows.push(id));
  w.bridge.subscribe('vql:done', (id) => ended.push(id));
  const r = await w.bridge.invoke('vql:run', { query: 'SELECT * FROM clock(ms=20)' });
  assert.ok(r.ok);
  await until('rows', () => rows.length > 0);
  w.emit('did-navigate'); // reload
  assert.equal(made.length, 2);
  await until('old query cancelled', () => made[0]!.pushes.some(([c]) => c === 'vql:done'));
  const heard = rows.length;
  await new Promise((res) => setTimeout(res, 100));
  // The old service's last pushes (its rows, its end) do not reach the reloaded page.
  assert.equal(rows.length, heard);
  assert.ok(!ended.includes(r.value), 'the old query\'s end reached the reloaded page');
  const again = await w.bridge.invoke('vql:run', { query: 'SELECT 1 AS One FROM scope()' });
  assert.ok(again.ok);
  await until('new service answers', () => made[1]!.pushes.some(([c]) => c === 'vql:done'));
  w.destroy();
});

test('pushTo skips a closed window', () => {
  const { open, bridge } = setup();
  const w = open();
  w.destroy();
  assert.doesNotThrow(() => bridge.pushTo(w, 'app:menu', 'stop'));
});
