// Hostile input against the web host (`vql serve`): malformed request targets and headers, raw
// bytes, refused and reset upgrades, broken WebSocket frames, bad messages and contract abuse.
// After every case the host still answers its own page, and nothing was written into the user's
// artifact folder that a case did not ask for and was allowed.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { startWebHost, type WebHost, MAX_CONNECTIONS } from '../../main/web/host.ts';
import { INVOKE_CHANNELS } from '../../main/ipc/channels.ts';
import { MAX_WS_MESSAGE } from '../../main/ipc/limits.ts';
import { prng } from '../helpers/prng.ts';

const SECRET = 'the-secret-next-to-the-renderer';
let host: WebHost;
let dir: string;
const logged: string[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vql-sec-web-'));
  // A renderer folder of its own, beside a secret the host must never serve.
  mkdirSync(join(dir, 'static', 'assets'), { recursive: true });
  writeFileSync(join(dir, 'static', 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(join(dir, 'static', 'assets', 'a.js'), 'export {}');
  writeFileSync(join(dir, 'secret.txt'), SECRET);
  host = await startWebHost({ userArtifacts: join(dir, 'artifacts'), staticDir: join(dir, 'static'), log: (l) => logged.push(l), isolation: 'inline' });
});
after(() => host.close());

/** The host answers its own page, and the artifact folder holds only `allowed`. */
async function assertAlive(allowed: string[] = []): Promise<void> {
  const r = await fetch(host.url);
  assert.equal(r.status, 200, 'the host still serves its page');
  await r.arrayBuffer();
  const folder = join(dir, 'artifacts');
  assert.deepEqual(existsSync(folder) ? readdirSync(folder).sort() : [], allowed.sort(), 'nothing written into the artifact folder');
}

/** Sends raw bytes, then reads until the host closes the socket (or `ms` of silence), resetting if asked. */
function raw(bytes: string | Buffer, opts: { reset?: boolean; ms?: number } = {}): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s: Socket = tcpConnect(host.port, '127.0.0.1', () => {
      s.write(bytes);
      if (opts.reset) {
        s.resetAndDestroy();
        resolve('');
      }
    });
    s.on('data', (d) => chunks.push(d));
    s.on('error', () => resolve(Buffer.concat(chunks).toString('latin1')));
    s.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    s.setTimeout(opts.ms ?? 3000, () => {
      s.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
  });
}

const status = (response: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
const get = (target: string, headers = '') => `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\n${headers}Connection: close\r\n\r\n`;

describe('request targets and raw HTTP', () => {
  const T = () => host.token;
  const cases: Array<[string, () => string | Buffer, (code: number) => boolean]> = [
    ['//a:b', () => get('//a:b'), (c) => c === 401],
    ['//[', () => get('//['), (c) => c === 401],
    ['//%zz', () => get('//%zz'), (c) => c === 400],
    ['http://[', () => get('http://['), (c) => c === 400],
    ['absolute-form target', () => get(`http://127.0.0.1:${host.port}/?token=${T()}`), (c) => c === 400],
    ['/%E0%A4%A with the token', () => get(`/%E0%A4%A?token=${T()}`), (c) => c === 400],
    ['/% alone', () => get('/%'), (c) => c === 400],
    ['/%00 NUL in the path', () => get(`/%00?token=${T()}`), (c) => c === 400],
    ['asterisk-form', () => get('*'), (c) => c === 400],
    ['traversal ../', () => get(`/../secret.txt?token=${T()}`), (c) => c === 404],
    ['traversal %2e%2e%2f', () => get(`/%2e%2e%2fsecret.txt?token=${T()}`), (c) => c === 404],
    ['traversal assets/../../', () => get(`/assets/%2e%2e/%2e%2e/secret.txt?token=${T()}`), (c) => c === 404],
    ['traversal backslashes', () => get(`/..\\secret.txt?token=${T()}`), (c) => c === 404 || c === 400],
    ['an asset with the cookie', () => get('/assets/a.js', `Cookie: vql_token=${T()}\r\nSec-Fetch-Site: same-origin\r\n`), (c) => c === 200],
    ['a 100 KB target', () => get(`/${'a'.repeat(100_000)}`), (c) => c === 431 || c === 400 || c === 414 || c === 401],
    ['POST', () => `POST /?token=${T()} HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc`, (c) => c === 405],
    ['PUT', () => `PUT /x?token=${T()} HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`, (c) => c === 405],
    ['DELETE', () => `DELETE /index.html?token=${T()} HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nConnection: close\r\n\r\n`, (c) => c === 405],
    ['OPTIONS', () => `OPTIONS / HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nOrigin: http://evil.example\r\nConnection: close\r\n\r\n`, (c) => c === 403],
    ['TRACE', () => `TRACE /?token=${T()} HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nConnection: close\r\n\r\n`, (c) => c === 405],
    ['CONNECT', () => `CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n`, (c) => c === 400 || c === 0],
    ['HTTP/2 preface', () => 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', (c) => c === 400 || c === 0],
    ['HTTP/9.9', () => `GET / HTTP/9.9\r\nHost: 127.0.0.1:${host.port}\r\n\r\n`, (c) => c === 400 || c === 505 || c === 0],
    ['HTTP/0.9 request line', () => 'GET /\r\n\r\n', (c) => c === 400 || c === 403 || c === 0],
    ['bare CRLFs', () => '\r\n\r\n\r\n\r\n', (c) => c === 400 || c === 0],
    ['NUL in the request line', () => `GET /\0 HTTP/1.1\r\nHost: x\r\n\r\n`, (c) => c === 400 || c === 0],
    ['bytes above 0x7f in the target', () => Buffer.from(`GET /\xff\xfe?token=${T()} HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nConnection: close\r\n\r\n`, 'latin1'), (c) => c === 400 || c === 404 || c === 0],
    ['invalid header name', () => `GET / HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nBad Header: x\r\n\r\n`, (c) => c === 400],
    ['a 100 KB header', () => `GET / HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nX-Big: ${'b'.repeat(100_000)}\r\n\r\n`, (c) => c === 431 || c === 400],
    ['5,000 headers', () => `GET / HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\n${'X-A: 1\r\n'.repeat(5000)}\r\n`, (c) => c === 431 || c === 400 || c === 401],
    ['Content-Length and Transfer-Encoding together', () => `GET / HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, (c) => c === 400],
    ['a bad chunk size', () => `GET / HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n`, (c) => c === 400 || c === 401],
    ['a DNS-rebinding Host', () => `GET /?token=${T()} HTTP/1.1\r\nHost: evil.example:${host.port}\r\nConnection: close\r\n\r\n`, (c) => c === 403],
    ['no Host header', () => `GET /?token=${T()} HTTP/1.1\r\nConnection: close\r\n\r\n`, (c) => c === 400 || c === 403],
    ['another port\'s Origin with the token', () => get(`/?token=${T()}`, `Origin: http://127.0.0.1:${host.port + 1}\r\n`), (c) => c === 403],
    ['a same-site (other port) fetch with the cookie', () => get('/', `Cookie: vql_token=${T()}\r\nSec-Fetch-Site: same-site\r\n`), (c) => c === 403],
    ['a cross-site navigation with the token', () => get(`/?token=${T()}`, 'Sec-Fetch-Site: cross-site\r\n'), (c) => c === 403],
    ['a wrong token of the right length', () => get(`/?token=${'0'.repeat(64)}`), (c) => c === 401],
    ['a token of another length', () => get(`/?token=${T()}00`), (c) => c === 401],
    ['a token in a forged cookie', () => get('/', 'Cookie: vql_token=deadbeef\r\n'), (c) => c === 401],
  ];
  for (const [name, make, ok] of cases) {
    test(name, async () => {
      const response = await raw(make());
      assert.ok(!response.includes(SECRET), 'the secret beside the renderer folder is never served');
      const code = status(response);
      assert.ok(ok(code), `${name}: got status ${code}`);
      await assertAlive();
    });
  }
  const rand = prng(11);
  for (let i = 0; i < 12; i++) {
    test(`random bytes #${i + 1}`, async () => {
      const len = 1 + Math.floor(rand() * 4000);
      const buf = Buffer.alloc(len);
      for (let j = 0; j < len; j++) buf[j] = Math.floor(rand() * 256);
      await raw(buf, { ms: 1500 });
      await assertAlive();
    });
  }
  test('half a request, then a TCP reset', async () => {
    await raw(`GET /?token=${host.token} HTTP/1.1\r\nHost: 127.0.0.1`, { reset: true });
    await assertAlive();
  });
  test('a served file is only ever inside the renderer folder', async () => {
    const r = await raw(get(`/..%2f..%2fpackage.json?token=${host.token}`));
    assert.doesNotMatch(r, /"name": "vql-workbench"/);
    await assertAlive();
  });
});

/** A WebSocket upgrade request, raw. */
function upgrade(target: string, headers = ''): string {
  return `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n${headers}\r\n`;
}

describe('WebSocket upgrades', () => {
  const T = () => host.token;
  const cases: Array<[string, () => string, number]> = [
    ['no token', () => upgrade('/ws'), 401],
    ['the cookie alone (ambient)', () => upgrade('/ws', `Cookie: vql_token=${T()}\r\n`), 401],
    ['the cookie from another port\'s page', () => upgrade('/ws', `Cookie: vql_token=${T()}\r\nOrigin: http://127.0.0.1:${host.port + 7}\r\n`), 403],
    ['the token from another port\'s page', () => upgrade(`/ws?token=${T()}`, `Origin: http://127.0.0.1:${host.port + 7}\r\n`), 403],
    ['the token from localhost for a 127.0.0.1 host', () => upgrade(`/ws?token=${T()}`, `Origin: http://localhost:${host.port}\r\n`), 403],
    ['Origin null', () => upgrade(`/ws?token=${T()}`, 'Origin: null\r\n'), 403],
    ['a rebinding Host', () => upgrade(`/ws?token=${T()}`).replace(`Host: 127.0.0.1:${host.port}`, `Host: attacker.example:${host.port}`), 403],
    ['a bad target', () => upgrade(`//%zz?token=${T()}`), 400],
    ['another path', () => upgrade(`/other?token=${T()}`), 400],
    ['a wrong subprotocol token', () => upgrade('/ws', `Sec-WebSocket-Protocol: vql.v1, vql.token.${'1'.repeat(64)}\r\n`), 401],
    ['no WebSocket key', () => upgrade(`/ws?token=${T()}`).replace(/Sec-WebSocket-Key: .*\r\n/, ''), 400],
    ['version 99', () => upgrade(`/ws?token=${T()}`).replace('Version: 13', 'Version: 99'), 400],
  ];
  for (const [name, make, expected] of cases) {
    test(name, async () => {
      assert.equal(status(await raw(make())), expected, name);
      await assertAlive();
    });
  }
  test('a refused upgrade followed by a TCP reset', async () => {
    for (let i = 0; i < 20; i++) await raw(upgrade('/ws'), { reset: true });
    await assertAlive();
  });
  test(`no more than ${MAX_CONNECTIONS} connections at once; the open ones keep working`, async () => {
    const open: WebSocket[] = [];
    for (let i = 0; i < MAX_CONNECTIONS; i++) open.push(await socket());
    const r = await raw(upgrade(`/ws?token=${host.token}`));
    assert.equal(status(r), 503);
    assert.match(r, /connections are open/);
    const reply = await invoke(open[0]!, 'vql:format', ['select 1 from scope()']);
    assert.equal((reply.result as { ok: boolean }).ok, true);
    for (const ws of open) ws.close();
    await until(() => host.connections === 0);
    await assertAlive();
  });
});

function socket(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/ws`, ['vql.v1', `vql.token.${host.token}`]);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

async function until(f: () => boolean): Promise<void> {
  while (!f()) await new Promise((r) => setTimeout(r, 10));
}

interface Reply { type: string; id?: unknown; result?: { ok: boolean; error?: { code: string; message: string } }; message?: string }

/** The next message answering `send` (a reply with the id, or an error message). */
function next(ws: WebSocket, pred: (m: Reply) => boolean): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const closed = (code: number) => reject(new Error(`closed ${code}`));
    const on = (d: unknown) => {
      const m = JSON.parse(String(d)) as Reply;
      if (pred(m)) {
        ws.off('message', on);
        ws.off('close', closed);
        resolve(m);
      }
    };
    ws.on('message', on);
    ws.once('close', closed);
  });
}

let ids = 1000;
async function invoke(ws: WebSocket, channel: string, args: unknown): Promise<Reply> {
  const id = ids++;
  const p = next(ws, (m) => m.type === 'reply' && m.id === id);
  ws.send(JSON.stringify({ type: 'invoke', id, channel, args }));
  return p;
}

describe('WebSocket messages and the contract', () => {
  let ws: WebSocket;
  before(async () => {
    ws = await socket();
    ws.setMaxListeners(2000);
  });
  after(() => ws.close());

  for (const text of ['null', '1', '"text"', '[]', 'true', '{}', '{"type":"invoke"}', '{"type":"invoke","channel":"vql:check"}', '{"type":"send"}', '{"type":42,"channel":[]}', 'not json', '{"type":"invoke","id":{},"channel":"vql:check","args":["x"]}', '{"type":"invoke","id":1,"channel":"vql:check","args":"x"}', '\u0000']) {
    test(`message ${JSON.stringify(text)}`, async () => {
      const p = next(ws, (m) => m.type === 'error' || m.type === 'reply');
      ws.send(text);
      const m = await p;
      assert.ok(m.type === 'error' || (m.type === 'reply' && m.result?.ok === false) || m.type === 'reply', JSON.stringify(m));
      await assertAlive();
    });
  }
  test('a JSON array nested 200,000 deep', async () => {
    const p = next(ws, (m) => m.type === 'error');
    ws.send('['.repeat(200_000) + ']'.repeat(200_000));
    assert.equal((await p).type, 'error');
    await assertAlive();
  });
  test('a binary frame', async () => {
    const p = next(ws, (m) => m.type === 'error');
    ws.send(Buffer.from('{"type":"invoke"}'), { binary: true });
    assert.match((await p).message!, /binary/);
  });
  for (const channel of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '', 'vql:nope', 'x'.repeat(10_000)]) {
    test(`unknown channel ${JSON.stringify(channel.slice(0, 20))}`, async () => {
      const r = await invoke(ws, channel, []);
      assert.equal(r.result?.ok, false);
      assert.equal(r.result?.error?.code, 'UnknownChannel');
      assert.ok(r.result!.error!.message.length < 300);
    });
  }
  for (const channel of INVOKE_CHANNELS) {
    for (const args of [[null], [42], [{}], [[]], [{ query: 7, artifact: null, client: {}, names: 'x' }]]) {
      test(`${channel} with ${JSON.stringify(args)}`, async () => {
        const r = await invoke(ws, channel, args);
        assert.equal(r.type, 'reply');
        assert.equal(typeof r.result?.ok, 'boolean');
        await assertAlive();
      });
    }
    test(`${channel} with 2 MiB of text`, async () => {
      const pack = channel === 'packs:import' || channel === 'packs:preview';
      const r = await invoke(ws, channel, [pack ? 'QUFB'.repeat(2 ** 19) : 'x'.repeat(2 ** 21)]);
      if (channel === 'packs:preview') {
        // Within the pack limit, and no zip: nothing to add or replace, the zip named as the problem.
        const plan = r.result as unknown as { ok: boolean; value?: { add: unknown[]; replace: unknown[]; problems: Array<{ message: string }> } };
        assert.ok(plan.ok && plan.value!.add.length === 0 && plan.value!.replace.length === 0, JSON.stringify(r).slice(0, 300));
        assert.match(plan.value!.problems[0]!.message, /not a zip file/);
      } else if (channel === 'packs:import') {
        // 1.5 MiB of "AAA" is within the pack limit, and no zip: refused as a whole, nothing imported.
        const imported = r.result as unknown as { ok: boolean; value?: { imported: unknown[] } };
        assert.ok(!imported.ok || imported.value!.imported.length === 0, JSON.stringify(r).slice(0, 300));
      } else {
        assert.equal(r.result?.ok, false);
        assert.equal(r.result?.error?.code, 'TooLarge');
      }
      await assertAlive();
    });
  }
  test('a 15 MB live check gets a TooLarge reply, and the connection works on', async () => {
    const r = await invoke(ws, 'vql:check', ['SELECT * FROM info() WHERE ' + 'x'.repeat(15e6)]);
    assert.equal(r.result?.error?.code, 'TooLarge');
    assert.match(r.result!.error!.message, /1 MiB/);
    assert.equal((await invoke(ws, 'vql:check', ['SELECT * FROM info()'])).result?.ok, true);
  });
  test('save with a traversal name, an overlong name, and a valid one', async () => {
    const bad = await invoke(ws, 'artifacts:save', ['name: ../../evil\nsources:\n- query: SELECT * FROM info()\n']);
    assert.equal(bad.result?.ok, false);
    const long = await invoke(ws, 'artifacts:save', [`name: Custom.${'A'.repeat(5000)}\nsources:\n- query: SELECT * FROM info()\n`]);
    assert.equal(long.result?.ok, false);
    assert.match(long.result!.error!.message, /most is 200/);
    assert.doesNotMatch(long.result!.error!.message, /ENAMETOOLONG/);
    await assertAlive();
    const good = await invoke(ws, 'artifacts:save', ['name: Custom.Ok\nsources:\n- query: SELECT * FROM info()\n']);
    assert.equal(good.result?.ok, true);
    await assertAlive(['Custom.Ok.yaml']);
    assert.equal((await invoke(ws, 'artifacts:delete', ['Custom.Ok'])).result?.ok, true);
    assert.equal((await invoke(ws, 'artifacts:delete', ['../../../etc/passwd'])).result?.ok, false);
    await assertAlive();
  });
  test('send on unknown channels and with bad arguments is ignored', async () => {
    for (const channel of ['constructor', '__proto__', 'vql:cancel', 'events:unsubscribe']) {
      ws.send(JSON.stringify({ type: 'send', channel, args: [{}, null, 'x'.repeat(5000)] }));
    }
    assert.equal((await invoke(ws, 'vql:format', ['select 1 from scope()'])).result?.ok, true);
  });
  test('a thousand requests at once: the connection answers each, some with Busy', async () => {
    const replies = await Promise.all(Array.from({ length: 1000 }, () => invoke(ws, 'vql:format', ['select 1 from scope()'])));
    assert.equal(replies.length, 1000);
    assert.ok(replies.every((r) => r.result?.ok === true || r.result?.error?.code === 'Busy'));
  });
});

/** Opens a raw WebSocket (handshake by hand) and returns the socket after the 101. */
function rawSocket(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect(host.port, '127.0.0.1', () => s.write(upgrade('/ws', `Sec-WebSocket-Protocol: vql.v1, vql.token.${host.token}\r\n`)));
    s.once('data', (d) => (String(d).startsWith('HTTP/1.1 101') ? resolve(s) : reject(new Error(String(d)))));
    s.on('error', () => undefined);
  });
}

/** A client frame: FIN + opcode, masked unless told otherwise. */
function frame(opcode: number, payload: Buffer, opts: { mask?: boolean; fin?: boolean } = {}): Buffer {
  const mask = opts.mask ?? true;
  const head = [(opts.fin ?? true ? 0x80 : 0) | opcode];
  const len = payload.length;
  if (len < 126) head.push((mask ? 0x80 : 0) | len);
  else if (len < 65536) head.push((mask ? 0x80 : 0) | 126, len >> 8, len & 255);
  else {
    head.push((mask ? 0x80 : 0) | 127, 0, 0, 0, 0, (len >>> 24) & 255, (len >>> 16) & 255, (len >>> 8) & 255, len & 255);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), payload]);
  const key = randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ key[i % 4]!));
  return Buffer.concat([Buffer.from(head), key, masked]);
}

/** Writes `bytes` on a fresh raw WebSocket and waits for the host to close it. */
async function closesOn(bytes: Buffer): Promise<void> {
  const s = await rawSocket();
  await new Promise<void>((resolve) => {
    s.on('close', () => resolve());
    s.write(bytes);
    s.setTimeout(5000, () => {
      s.destroy();
      resolve();
    });
  });
}

describe('broken WebSocket frames end that connection only', () => {
  const cases: Array<[string, () => Buffer]> = [
    ['invalid UTF-8 in a text frame', () => frame(0x1, Buffer.from([0x7b, 0xc3, 0x28, 0x7d]))],
    ['an unmasked client frame', () => frame(0x1, Buffer.from('{}'), { mask: false })],
    ['opcode 0x3 (reserved)', () => frame(0x3, Buffer.from('x'))],
    ['opcode 0xB (reserved control)', () => frame(0xb, Buffer.from('x'))],
    ['a fragmented ping', () => frame(0x9, Buffer.from('x'), { fin: false })],
    ['a 200-byte ping', () => frame(0x9, Buffer.alloc(200))],
    ['a continuation with nothing to continue', () => frame(0x0, Buffer.from('x'))],
    ['a declared length over the message limit', () => Buffer.from([0x81, 0xff, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3, 4])],
    ['RSV bits set', () => Buffer.from([0xf1, 0x80, 1, 2, 3, 4])],
    ['a close with an invalid code', () => frame(0x8, Buffer.from([0x03, 0xe7]))],
  ];
  for (const [name, make] of cases) {
    test(name, async () => {
      await closesOn(make());
      await assertAlive();
    });
  }
  test('a message over the size limit gets close code 1009', async () => {
    const ws = await socket();
    const code = await new Promise<number>((resolve) => {
      ws.on('close', (c) => resolve(c));
      ws.on('error', () => undefined);
      ws.send('x'.repeat(MAX_WS_MESSAGE + 1));
    });
    assert.equal(code, 1009);
    await assertAlive();
  });
  test('the host logged the protocol errors and went on', () => {
    assert.ok(logged.some((l) => /protocol error/.test(l)), logged.join('\n'));
  });
});
