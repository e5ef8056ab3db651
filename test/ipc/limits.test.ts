// Request size limits (main/ipc/limits.ts): measured without walking past the limit, refused by
// the service whatever the transport, and refused by the page's socket client before sending.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket as NodeWebSocket } from 'ws';
import { MAX_PACK_BASE64_WS, MAX_REQUEST_TEXT, MAX_WS_MESSAGE, requestTooLarge, textSize } from '../../main/ipc/limits.ts';
import { DEFAULT_ZIP_LIMITS } from '../../main/artifacts/pack-zip.ts';
import { AppService } from '../../main/app/service.ts';
import { startWebHost } from '../../main/web/host.ts';
import { socketBridge } from '../../renderer/lib/api.ts';

test('textSize counts strings and keys, and stops past the limit', () => {
  assert.equal(textSize(['ab', { cd: 'e', f: ['gh', 1, null] }]), 2 + 2 + 1 + 1 + 2);
  const huge = Array.from({ length: 100_000 }, () => 'x'.repeat(100));
  assert.ok(textSize(huge, 1000) <= 1100, 'measuring stops just past the limit');
});

test('requestTooLarge: text channels at 1 MiB; packs only over the WebSocket', () => {
  assert.equal(requestTooLarge('vql:check', ['x'.repeat(MAX_REQUEST_TEXT)]), null);
  assert.match(requestTooLarge('vql:check', ['x'.repeat(MAX_REQUEST_TEXT + 1)])!, /vql:check: .*1 MiB/);
  assert.match(requestTooLarge('vql:run', [{ query: 'x'.repeat(MAX_REQUEST_TEXT + 1) }])!, /vql:run/);
  assert.equal(requestTooLarge('packs:import', ['A'.repeat(20 * 2 ** 20)]), null);
  assert.equal(requestTooLarge('packs:import', ['A'.repeat(MAX_PACK_BASE64_WS)], true), null);
  assert.match(requestTooLarge('packs:import', ['A'.repeat(MAX_PACK_BASE64_WS + 4)], true)!, /larger than 16 MiB/);
});

test('the WebSocket carries the largest pack the importer accepts, and no more', () => {
  assert.equal(MAX_PACK_BASE64_WS, Math.ceil(DEFAULT_ZIP_LIMITS.maxZipBytes / 3) * 4);
  assert.ok(MAX_WS_MESSAGE > MAX_PACK_BASE64_WS + 100, 'room for the message around the base64');
});

test('the service refuses an over-large request with TooLarge, not by doing the work', async () => {
  const service = new AppService({ userArtifacts: join(mkdtempSync(join(tmpdir(), 'vql-limits-')), 'a'), push: () => undefined, isolation: 'inline' });
  const r = await service.invoke('artifacts:check', 'name: X\n' + '#'.repeat(2 * MAX_REQUEST_TEXT));
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.error.code, 'TooLarge');
  const unknown = await (service.invoke as (channel: string) => Promise<{ ok: boolean; error?: { code: string } }>)('constructor');
  assert.equal(unknown.error?.code, 'UnknownChannel');
});

test('the page\'s socket client answers TooLarge itself and never sends the text', async () => {
  const seen: string[] = [];
  const host = await startWebHost({ userArtifacts: join(mkdtempSync(join(tmpdir(), 'vql-limits-ws-')), 'a'), isolation: 'inline', log: (l) => seen.push(l) });
  const g = globalThis as { WebSocket?: unknown };
  const had = g.WebSocket;
  g.WebSocket ??= NodeWebSocket; // Node 20 has no global WebSocket; the client reads WebSocket.OPEN
  let sent = 0;
  let bridge: ReturnType<typeof socketBridge> | undefined;
  try {
    bridge = socketBridge(() => {
      const ws = new NodeWebSocket(`ws://127.0.0.1:${host.port}/ws`, ['vql.v1', `vql.token.${host.token}`]);
      const send = ws.send.bind(ws);
      ws.send = ((data: string) => {
        sent += data.length;
        send(data);
      }) as typeof ws.send;
      return ws as unknown as WebSocket;
    });
    await bridge.ready;
    const big = await bridge.invoke('vql:check', 'x'.repeat(17e6));
    assert.equal(!big.ok && big.error.code, 'TooLarge');
    assert.equal(sent, 0, 'nothing was sent');
    const small = await bridge.invoke('vql:check', 'SELECT * FROM info()');
    assert.equal(small.ok, true);
    assert.ok(sent > 0 && sent < 200);
  } finally {
    bridge?.close(); // else it keeps trying to reconnect to the closed host, and the process never ends
    if (had === undefined) delete g.WebSocket;
    await host.close();
  }
});
