// The web host: loopback only, a per-start token on every request and connection, and the
// app contract over WebSocket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { startWebHost } from '../../main/web/host.ts';

const dir = mkdtempSync(join(tmpdir(), 'vql-web-'));
const host = await startWebHost({ userArtifacts: join(dir, 'artifacts') });
test.after(() => host.close());

test('HTTP without the token gets 401 and nothing else', async () => {
  const r = await fetch(`http://127.0.0.1:${host.port}/`);
  assert.equal(r.status, 401);
  assert.equal(r.headers.get('set-cookie'), null);
  assert.equal((await fetch(`http://127.0.0.1:${host.port}/?token=${'0'.repeat(64)}`)).status, 401);
});

test('with the token: the page, a strict CSP, and a cookie for its assets', async () => {
  assert.match(host.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
  const r = await fetch(host.url);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  assert.match(r.headers.get('set-cookie') ?? '', /vql_token=[0-9a-f]{64}; HttpOnly; SameSite=Strict/);
  const viaCookie = await fetch(`http://127.0.0.1:${host.port}/`, { headers: { cookie: `vql_token=${host.token}` } });
  assert.equal(viaCookie.status, 200);
});

function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

test('a WebSocket without the token is refused with 401', async () => {
  await assert.rejects(connect(`ws://127.0.0.1:${host.port}/ws`), /HTTP 401|socket hang up|Unexpected server response: 401/);
});

test('the contract over WebSocket: run a query, get pushed rows and the end', { timeout: 10_000 }, async () => {
  const ws = await connect(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`);
  const messages: Array<{ type: string; id?: number; channel?: string; args?: unknown[]; result?: { ok: boolean; value?: unknown } }> = [];
  ws.on('message', (d) => messages.push(JSON.parse(String(d))));
  ws.send(JSON.stringify({ type: 'invoke', id: 1, channel: 'vql:run', args: [{ query: 'SELECT _value AS N FROM range(end=5)' }] }));
  const until = async (f: () => boolean) => {
    while (!f()) await new Promise((r) => setTimeout(r, 10));
  };
  await until(() => messages.some((m) => m.type === 'push' && m.channel === 'vql:done'));
  const reply = messages.find((m) => m.type === 'reply' && m.id === 1)!;
  assert.equal(reply.result!.ok, true);
  const rows = messages.filter((m) => m.channel === 'vql:rows').flatMap((m) => (m.args![1] as string[]).map((r) => JSON.parse(r)));
  assert.deepEqual(rows.map((r) => r.N), [0, 1, 2, 3, 4]);
  // A syntax error is the reply, with its span.
  ws.send(JSON.stringify({ type: 'invoke', id: 2, channel: 'vql:run', args: [{ query: 'SELECT * FROM' }] }));
  await until(() => messages.some((m) => m.type === 'reply' && m.id === 2));
  const bad = messages.find((m) => m.type === 'reply' && m.id === 2)!.result as unknown as { ok: false; error: { code: string; span: { line: number } } };
  assert.equal(bad.ok, false);
  assert.equal(bad.error.code, 'ParseError');
  ws.close();
});

test('a WebSocket from another origin is refused', async () => {
  await assert.rejects(connect(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`, { origin: 'http://evil.example' }), /403/);
});
