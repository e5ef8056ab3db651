// The page's socket bridge (renderer/lib/socket-bridge.ts) against real web hosts: when the host
// stops, requests fail at once with Disconnected (nothing hangs on "Starting…") and a running
// query ends; when a host comes back on the same port with the same token (`--token-file`),
// the bridge reconnects by itself and the page asks again for what the host keeps per
// connection; a host restarted with another token is told apart from a stopped one.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket as NodeWebSocket } from 'ws';
import { startWebHost, type WebHost } from '../../main/web/host.ts';
import { tokenFromFile } from '../../main/web/token-file.ts';
import { WS_PROTOCOL, WS_TOKEN_PROTOCOL } from '../../main/web/ws-protocol.ts';
import { httpProbe, socketBridge, type SocketBridge } from '../../renderer/lib/socket-bridge.ts';
import type { ConnectionStatus } from '../../renderer/lib/connection.ts';
import { QueryRunner } from '../../renderer/lib/state/queries.ts';

const dir = mkdtempSync(join(tmpdir(), 'vql-reconnect-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const tokenFile = join(dir, 'token');

/** A host as `vql serve --port PORT --token-file FILE` starts it. */
async function serve(port = 0, file = tokenFile): Promise<WebHost> {
  return startWebHost({ port, token: tokenFromFile(file).token, userArtifacts: join(dir, 'artifacts'), isolation: 'inline', log: () => undefined });
}

/** The page's bridge over the `ws` package (Node 20 has no WebSocket), with short waits between attempts. */
function pageBridge(port: number, token: string): SocketBridge {
  return socketBridge(
    () => new NodeWebSocket(`ws://127.0.0.1:${port}/ws`, [WS_PROTOCOL, `${WS_TOKEN_PROTOCOL}${token}`]) as unknown as WebSocket,
    { probe: httpProbe(`http://127.0.0.1:${port}/`, token), delays: [20, 50, 100] },
  );
}

/** Resolves with the first status that passes `want` (the current one included). */
function statusWhere(b: SocketBridge, want: (s: ConnectionStatus) => boolean): Promise<ConnectionStatus> {
  return new Promise((resolve) => {
    if (want(b.connection.status)) return resolve(b.connection.status);
    const off = b.connection.subscribe((s) => {
      if (want(s)) {
        off();
        resolve(s);
      }
    });
  });
}

test('host stopped: Disconnected at once; same port and token file: reconnected, resubscribed', { timeout: 30_000 }, async () => {
  let host = await serve();
  const port = host.port;
  const bridge = pageBridge(port, host.token);
  try {
    await bridge.ready;
    assert.deepEqual(bridge.connection.status, { state: 'open', reconnects: 0 });
    const check = await bridge.invoke('vql:check', 'SELECT * FROM info()');
    assert.equal(check.ok, true);
    let reconnected = 0;
    bridge.connection.onReconnect(() => reconnected++);

    // A request waiting for its reply when the host goes.
    const runner = new QueryRunner(bridge);
    await runner.run('SELECT * FROM clock(ms=20)');
    assert.equal(runner.state.status, 'running');
    await host.close();
    const lost = await statusWhere(bridge, (s) => s.state === 'lost');
    assert.equal(lost.state === 'lost' && lost.reason, 'down', 'nothing answers: the host is stopped');
    assert.equal(runner.state.status, 'failed', 'the running query ended with the connection');
    assert.equal(runner.state.error?.code, 'Disconnected');
    // A request made while the host is away fails at once: no "Starting…" forever.
    const away = await bridge.invoke('vql:check', 'SELECT 1 FROM scope()');
    assert.equal(!away.ok && away.error.code, 'Disconnected');
    assert.match(!away.ok ? away.error.message : '', /reconnects by itself/);
    const start = await runner.run('SELECT 1 FROM scope()');
    assert.equal(start.status, 'failed');
    assert.equal(start.error?.code, 'Disconnected');

    // `vql serve` again, on the same port with the same token file.
    host = await serve(port);
    assert.equal(host.token, tokenFromFile(tokenFile).token);
    const back = await statusWhere(bridge, (s) => s.state === 'open');
    assert.deepEqual(back, { state: 'open', reconnects: 1 });
    assert.equal(reconnected, 1, 'onReconnect ran once, for the page to subscribe again');
    const again = await bridge.invoke('vql:check', 'SELECT * FROM info()');
    assert.equal(again.ok, true, 'requests work again');
    await runner.run('SELECT _value AS N FROM range(end=3)');
    await new Promise<void>((resolve) => {
      const off = runner.subscribe((s) => s.status === 'done' && (off(), resolve()));
      if (runner.state.status === 'done') resolve();
    });
    assert.equal(runner.state.rows, 3);
    runner.dispose();
  } finally {
    bridge.close();
    await host.close();
  }
});

test('a host restarted with another token is told apart (reason token), and Retry now reconnects when it is back', { timeout: 30_000 }, async () => {
  const first = join(dir, 'first-token');
  let host = await serve(0, first);
  const port = host.port;
  const bridge = pageBridge(port, host.token);
  try {
    await bridge.ready;
    await host.close();
    await statusWhere(bridge, (s) => s.state === 'lost');
    // Restarted without the token file: a new token, which this page does not have.
    host = await serve(port, join(dir, 'other-token'));
    const refused = await statusWhere(bridge, (s) => s.state === 'lost' && s.reason === 'token');
    assert.ok(refused.state === 'lost' && refused.attempt >= 1);
    const r = await bridge.invoke('vql:check', 'SELECT 1 FROM scope()');
    assert.equal(!r.ok && r.error.code, 'Disconnected');
    // Restarted once more with the first token file: the page's token works again.
    await host.close();
    host = await serve(port, first);
    bridge.connection.retry();
    await statusWhere(bridge, (s) => s.state === 'open');
    assert.equal((await bridge.invoke('vql:check', 'SELECT * FROM info()')).ok, true);
  } finally {
    bridge.close();
    await host.close();
  }
});

test('requests made before the first connection opens wait for it; a bridge that never connects fails them', { timeout: 30_000 }, async () => {
  const host = await serve(0, join(dir, 'third-token'));
  const bridge = pageBridge(host.port, host.token);
  try {
    const early = bridge.invoke('vql:check', 'SELECT * FROM info()');
    assert.equal(bridge.connection.status.state, 'connecting');
    assert.equal((await early).ok, true, 'queued until the socket opened');
  } finally {
    bridge.close();
    await host.close();
  }
  // Nothing listens there any more: the first attempt fails, and so does the queued request.
  const nowhere = pageBridge(host.port, host.token);
  try {
    const r = await nowhere.invoke('vql:check', 'SELECT * FROM info()');
    assert.equal(!r.ok && r.error.code, 'Disconnected');
    const s = await statusWhere(nowhere, (x) => x.state === 'lost');
    assert.equal(s.state === 'lost' && s.reason, 'down');
  } finally {
    nowhere.close();
  }
});
