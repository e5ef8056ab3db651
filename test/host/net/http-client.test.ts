// http_client() against servers of the test's own on 127.0.0.1 (HTTP, HTTPS with a self-signed
// certificate made by openssl, and a Unix socket): every argument that changes the request or
// the rows, fallback URLs, errors as rows and log lines, and cancellation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { collect, createRegistry, run, toJSON } from '../../../main/vql/index.ts';
import { registerFiles } from '../../../main/host/files/index.ts';
import { registerNet } from '../../../main/host/net/index.ts';
import { isLoopbackHost } from '../../../main/host/net/http-request.ts';
import { netRegistry, query } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'vql-http-'));
let base = '';
let closedPort = 0;
let server: Server;
/** Requests the server saw, by path. */
const seen = new Map<string, { method: string; url: string; headers: IncomingMessage['headers']; body: Buffer }>();
/** Responses that stall after their first bytes (for cancellation), to end at teardown. */
const stalled = new Set<ServerResponse>();

function handler(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const path = new URL(req.url!, 'http://x').pathname;
    seen.set(path, { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks) });
    const m = /^\/bytes\/(\d+)$/.exec(path);
    if (m) return void res.end('x'.repeat(Number(m[1])));
    switch (path) {
      case '/echo':
        res.setHeader('X-Multi', ['a', 'b']);
        res.setHeader('content-type', 'application/json');
        return void res.end(JSON.stringify({ method: req.method, url: req.url, body: Buffer.concat(chunks).toString() }));
      case '/notfound':
        res.statusCode = 404;
        return void res.end('nope');
      case '/redirect':
        res.statusCode = 302;
        res.setHeader('Location', '/bytes/3');
        return void res.end();
      case '/gzip':
        if (!/gzip/.test(String(req.headers['accept-encoding']))) return void res.end('plain');
        res.setHeader('Content-Encoding', 'gzip');
        return void res.end(gzipSync('hello compressed'));
      case '/setcookie':
        res.setHeader('Set-Cookie', ['session=abc123; Path=/; HttpOnly']);
        return void res.end('set');
      case '/cookie':
        return void res.end(String(req.headers.cookie ?? ''));
      case '/stall':
        res.write('first');
        stalled.add(res);
        return;
      default:
        res.end('ok');
    }
  });
}

before(async () => {
  server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  // A port that refuses connections: bound, then closed.
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  closedPort = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
});

after(() => {
  for (const r of stalled) r.destroy();
  server.closeAllConnections();
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('GET with params and headers: the row columns, canonical sorted response headers, User-Agent Velociraptor', async () => {
  const { rows, logs } = await query(`SELECT * FROM http_client(url='${base}/echo?x=1', params=dict(b='two words', a='1*~'), headers=dict(\`X-Test\`='yes', \`X-Num\`=3))`);
  assert.equal(rows.length, 1);
  const r = rows[0]!;
  assert.deepEqual(Object.keys(r), ['Url', 'Content', 'Response', 'Headers']);
  assert.equal(r.Url, `${base}/echo?x=1`);
  assert.equal(r.Response, 200);
  // Go's url.Values.Encode: keys sorted, QueryEscape (space as +, * escaped, ~ kept), added to the URL's own query.
  assert.deepEqual(JSON.parse(r.Content), { method: 'GET', url: '/echo?x=1&a=1%2A~&b=two+words', body: '' });
  assert.deepEqual(r.Headers['Content-Type'], ['application/json']);
  assert.deepEqual(r.Headers['X-Multi'], ['a', 'b']);
  assert.deepEqual(Object.keys(r.Headers), Object.keys(r.Headers).sort());
  const req = seen.get('/echo')!;
  assert.equal(req.headers['x-test'], 'yes');
  assert.equal(req.headers['x-num'], undefined, 'a non-string header is ignored');
  assert.equal(req.headers['user-agent'], 'Velociraptor');
  assert.ok(logs.some((l) => /^warn: http_client: argument headers: X-Num/.test(l)), logs.join('\n'));
  const ua = await query(`SELECT Content FROM http_client(url='${base}/echo', user_agent='probe/1')`);
  assert.ok(ua.rows.length === 1);
  assert.equal(seen.get('/echo')!.headers['user-agent'], 'probe/1');
});

test('POST with params sends a URL-encoded body without Content-Type; data wins over params (logged); methods', async () => {
  await query(`SELECT * FROM http_client(url='${base}/echo', method='post', params=dict(k='v w'))`);
  let req = seen.get('/echo')!;
  assert.equal(req.method, 'POST');
  assert.equal(req.body.toString(), 'k=v+w');
  assert.equal(req.headers['content-type'], undefined);
  const { logs } = await query(`SELECT * FROM http_client(url='${base}/echo', method='PUT', params=dict(k='v'), data='raw body')`);
  req = seen.get('/echo')!;
  assert.equal(req.method, 'PUT');
  assert.equal(req.body.toString(), 'raw body');
  assert.ok(logs.some((l) => /http_client: argument data is sent as the body/.test(l)), logs.join('\n'));
  for (const m of ['PATCH', 'DELETE']) {
    await query(`SELECT * FROM http_client(url='${base}/echo', method='${m}', data='x')`);
    assert.equal(seen.get('/echo')!.method, m);
  }
  const bad = await query(`SELECT * FROM http_client(url='${base}/echo', method='TRACE')`);
  assert.deepEqual(bad.rows, []);
  assert.ok(bad.logs.some((l) => /^error: http_client: argument method: TRACE/.test(l)), bad.logs.join('\n'));
});

test('files= sends multipart/form-data with the file read through its accessor, params as fields', async () => {
  const file = join(dir, 'upload.bin');
  writeFileSync(file, Buffer.from([0, 1, 2, 255, 10]));
  await query(`SELECT * FROM http_client(url='${base}/echo', method='POST', params=dict(note='hi'),
     files=[dict(file='evidence.bin', key='upload', path='${file}'), dict(file='inline.txt', key='text', path='inline data', accessor='data')])`);
  const req = seen.get('/echo')!;
  const type = String(req.headers['content-type']);
  const boundary = /^multipart\/form-data; boundary=(\S+)$/.exec(type)?.[1];
  assert.ok(boundary, type);
  assert.equal(Number(req.headers['content-length']), req.body.length);
  const body = req.body.toString('latin1');
  assert.ok(body.includes(`Content-Disposition: form-data; name="note"\r\n\r\nhi\r\n`), body);
  assert.ok(body.includes(`Content-Disposition: form-data; name="upload"; filename="evidence.bin"\r\nContent-Type: application/octet-stream\r\n\r\n\x00\x01\x02\xff\n\r\n`), body);
  assert.ok(body.includes(`name="text"; filename="inline.txt"`) && body.includes('inline data'), body);
  assert.ok(body.endsWith(`--${boundary}--\r\n`));
  const missing = await query(`SELECT * FROM http_client(url='${base}/echo', method='POST', files=dict(file='a', key='b', path='${join(dir, 'absent')}'))`);
  assert.deepEqual(missing.rows, []);
  assert.ok(missing.logs.some((l) => /^error: http_client: argument files: .*absent/.test(l)), missing.logs.join('\n'));
});

test('chunk_size: one row per chunk, a final "" row after an exact multiple, one "" row for an empty body', async () => {
  const contents = async (n: number, size: number) =>
    (await query(`SELECT Content, Response FROM http_client(url='${base}/bytes/${n}', chunk_size=${size})`)).rows.map((r) => r.Content);
  assert.deepEqual(await contents(10, 4), ['xxxx', 'xxxx', 'xx']);
  assert.deepEqual(await contents(8, 4), ['xxxx', 'xxxx', '']);
  assert.deepEqual(await contents(0, 4), ['']);
  assert.deepEqual(await contents(5, 0), ['xxxxx'], 'chunk_size 0 is the 4 MiB default');
});

test('tempfile_extension writes the body to a temp file (one row, Content is the path), removed when the query is cancelled', async () => {
  const controller = new AbortController();
  const { rows } = await query(`SELECT * FROM http_client(url='${base}/bytes/100', tempfile_extension='.bin', chunk_size=10)`, { signal: controller.signal });
  assert.equal(rows.length, 1);
  const path = rows[0]!.Content as string;
  assert.match(path, /\.bin$/);
  assert.match(path, /vql-run-[0-9a-f]{32}/, 'in the run\'s temp folder');
  assert.equal(readFileSync(path, 'utf8'), 'x'.repeat(100));
  controller.abort();
  assert.equal(existsSync(path), false);
});

test('several urls: a refused one and a non-2xx one are skipped (logged); the last one\'s status is returned as it is', async () => {
  const { rows, logs } = await query(`SELECT Url, Content, Response FROM http_client(url=['http://127.0.0.1:${closedPort}/', '${base}/notfound', '${base}/bytes/2'])`);
  assert.deepEqual(rows, [{ Url: `${base}/bytes/2`, Content: 'xx', Response: 200 }]);
  assert.equal(logs.filter((l) => /trying the next url/.test(l)).length, 2, logs.join('\n'));
  const last = await query(`SELECT Url, Content, Response FROM http_client(url='${base}/notfound')`);
  assert.deepEqual(last.rows, [{ Url: `${base}/notfound`, Content: 'nope', Response: 404 }]);
});

test('a transport error on the last url is a row {Response: 500, Content: error} and a WARNING naming http_client and the url', async () => {
  const url = `http://127.0.0.1:${closedPort}/x`;
  const { rows, logs } = await query(`SELECT * FROM http_client(url='${url}')`);
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.Response, 500);
  assert.equal(rows[0]!.Headers, null);
  assert.match(rows[0]!.Content, /^Get ".*": connect ECONNREFUSED/);
  assert.ok(logs.some((l) => l.startsWith(`warn: http_client: url ${url}: connect ECONNREFUSED`)), logs.join('\n'));
  const scheme = await query(`SELECT Response, Content FROM http_client(url='ftp://127.0.0.1/')`);
  assert.equal(scheme.rows[0]!.Response, 500);
  assert.match(scheme.rows[0]!.Content, /unsupported protocol scheme "ftp"/);
});

test('redirects are followed, gzip is asked for and decoded, and cookies persist within a query', async () => {
  const r = await query(`SELECT Url, Content, Response FROM http_client(url='${base}/redirect')`);
  assert.deepEqual(r.rows, [{ Url: `${base}/redirect`, Content: 'xxx', Response: 200 }]);
  const g = await query(`SELECT Content, Headers FROM http_client(url='${base}/gzip')`);
  assert.equal(g.rows[0]!.Content, 'hello compressed');
  assert.equal(g.rows[0]!.Headers['Content-Encoding'], undefined);
  const c = await query(`
    LET _ <= SELECT * FROM http_client(url='${base}/setcookie')
    SELECT Content FROM http_client(url='${base}/cookie', cookie_jar=dict(extra='1'))`);
  assert.deepEqual(c.rows, [{ Content: 'session=abc123; extra=1' }]);
});

test('a Unix socket URL (/path/to.sock:unix/path)', { skip: process.platform === 'win32' && 'no Unix sockets' }, async (t) => {
  const sock = join(dir, 'http.sock');
  const s = createServer(handler);
  await new Promise<void>((r) => s.listen(sock, r));
  t.after(() => s.close());
  const { rows } = await query(`SELECT Content, Response FROM http_client(url='${sock}:unix/bytes/4')`);
  assert.deepEqual(rows, [{ Content: 'xxxx', Response: 200 }]);
});

test('cancelling the query stops a response that never ends', async () => {
  const controller = new AbortController();
  const got: string[] = [];
  const it = run(`SELECT Content FROM http_client(url='${base}/stall', chunk_size=5)`, { registry: netRegistry(), signal: controller.signal });
  for await (const row of it) {
    got.push(JSON.parse(toJSON(row)).Content);
    controller.abort();
  }
  assert.deepEqual(got, ['first']);
});

function makeCert(): { key: string; cert: string } | null {
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
      '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  } catch {
    return null;
  }
}

test('HTTPS with a self-signed certificate: refused by default (500 row), accepted with skip_verify, disable_ssl_security or root_ca', async (t) => {
  const pem = makeCert();
  if (!pem) return t.skip('openssl not available: no certificate to test HTTPS with');
  const s = createHttpsServer({ key: pem.key, cert: pem.cert }, handler);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  t.after(() => s.close());
  const url = `https://127.0.0.1:${(s.address() as { port: number }).port}/bytes/6`;
  const refused = await query(`SELECT Response, Content FROM http_client(url='${url}')`);
  assert.equal(refused.rows[0]!.Response, 500);
  assert.match(refused.rows[0]!.Content, /self[- ]signed certificate/i);
  assert.ok(refused.logs.some((l) => /^warn: http_client: url https:/.test(l)));
  const skip = await query(`SELECT Response, Content FROM http_client(url='${url}', skip_verify=TRUE)`);
  assert.deepEqual(skip.rows, [{ Response: 200, Content: 'xxxxxx' }]);
  const old = await query(`SELECT Response, Content FROM http_client(url='${url}', disable_ssl_security=TRUE)`);
  assert.deepEqual(old.rows, [{ Response: 200, Content: 'xxxxxx' }]);
  assert.ok(old.logs.some((l) => /^warn: http_client: argument disable_ssl_security is deprecated/.test(l)));
  const ca = await query(`SELECT Response, Content FROM http_client(url='${url}', root_ca=Cert)`, { vars: { Cert: pem.cert } });
  assert.deepEqual(ca.rows, [{ Response: 200, Content: 'xxxxxx' }]);
});

test('secret= and secret:// URLs are a clear error (managed secrets need a server)', async () => {
  const { rows, logs } = await query(`SELECT * FROM http_client(url='secret://mine')`);
  assert.deepEqual(rows, []);
  assert.ok(logs.some((l) => /^error: http_client: argument secret/.test(l)), logs.join('\n'));
});

test('with HostOptions.network loopback, only this machine is reached (redirects included)', async () => {
  const registry = createRegistry();
  registerFiles(registry, {});
  registerNet(registry, { network: 'loopback' });
  const logs: string[] = [];
  const rows = JSON.parse(toJSON(await collect(`SELECT Url, Response, Content FROM http_client(url=['http://192.0.2.1:9/x', '${base}/bytes/2'])`, { registry, log: (l, m) => logs.push(`${l}: ${m}`) })));
  assert.deepEqual(rows, [{ Url: `${base}/bytes/2`, Response: 200, Content: 'xx' }]);
  assert.ok(logs.some((l) => /192\.0\.2\.1 is not this machine/.test(l)), logs.join('\n'));
  const out = JSON.parse(toJSON(await collect(`SELECT Response, Content FROM http_client(url='http://localhost:1/')`, { registry })));
  assert.match(out[0].Content, /ECONNREFUSED/, 'localhost is allowed');
  assert.equal(isLoopbackHost('[::1]'), true);
  assert.equal(isLoopbackHost('127.8.9.10'), true);
  assert.equal(isLoopbackHost('example.com'), false);
  assert.equal(isLoopbackHost('127.0.0.1.example.com'), false);
});
