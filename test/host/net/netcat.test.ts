import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collect, createRegistry, toJSON } from '../../../main/vql/index.ts';
import { registerNet } from '../../../main/host/net/index.ts';
import { splitHostPort } from '../../../main/host/net/netcat.ts';
import { query } from './helpers.ts';

const posix = process.platform !== 'win32';

/** A server on 127.0.0.1 (or a Unix socket path) that runs `onConnection` for each client. */
async function serve(onConnection: (socket: Socket, n: number) => void, path?: string): Promise<{ server: Server; address: string; close(): Promise<void> }> {
  let n = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnection(socket, ++n);
  });
  if (path) server.listen(path);
  else server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const a = server.address();
  const address = typeof a === 'string' ? a : `127.0.0.1:${a!.port}`;
  return {
    server,
    address,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A port of 127.0.0.1 nobody listens on. */
async function closedPort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)))]).finally(() => clearTimeout(timer));
}

test('netcat: rows split on sep (default a newline, not kept); what is left at the end is the last row', async () => {
  const srv = await serve((s) => s.end('a\nbb\n\nccc'));
  try {
    const { rows, logs } = await query(`SELECT * FROM netcat(address=A)`, { vars: { A: srv.address } });
    assert.deepEqual(logs, []);
    assert.deepEqual(rows, [{ Data: 'a' }, { Data: 'bb' }, { Data: '' }, { Data: 'ccc' }]);
    const other = await query(`SELECT Data FROM netcat(address=A, sep='||')`, { vars: { A: srv.address } });
    assert.deepEqual(other.rows.map((r) => r.Data), ['a\nbb\n\nccc']);
  } finally {
    await srv.close();
  }
  const multi = await serve((s) => s.end('x||yy||z||'));
  try {
    const { rows } = await query(`SELECT Data FROM netcat(address=A, sep='||')`, { vars: { A: multi.address } });
    assert.deepEqual(rows.map((r) => r.Data), ['x', 'yy', 'z']);
  } finally {
    await multi.close();
  }
});

test('netcat: sep="" gives the data in pieces of at most chunk_size bytes; a longer record is cut at chunk_size', async () => {
  const data = Array.from({ length: 10_000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
  const srv = await serve((s) => s.end(data));
  try {
    const { rows, logs } = await query(`SELECT Data FROM netcat(address=A, sep='', chunk_size=1000)`, { vars: { A: srv.address } });
    assert.deepEqual(logs, []);
    assert.ok(rows.length >= 10, `${rows.length} rows`);
    assert.ok(rows.every((r) => r.Data.length <= 1000 && r.Data.length > 0));
    assert.equal(rows.map((r) => r.Data).join(''), data);
  } finally {
    await srv.close();
  }
  const long = await serve((s) => s.end('abcdefghij\nkl\n'));
  try {
    const { rows } = await query(`SELECT Data FROM netcat(address=A, chunk_size=4)`, { vars: { A: long.address } });
    assert.deepEqual(rows.map((r) => r.Data), ['abcd', 'efgh', 'ij', 'kl']);
  } finally {
    await long.close();
  }
});

test('netcat: send= is written once connected', async () => {
  const srv = await serve((s) => {
    let got = '';
    s.on('data', (b) => {
      got += b.toString();
      if (got.endsWith('\n')) s.end(`got: ${got.trim()}\nbye\n`);
    });
  });
  try {
    const { rows, logs } = await query(`SELECT Data FROM netcat(address=A, send='hello\n')`, { vars: { A: srv.address } });
    assert.deepEqual(logs, []);
    assert.deepEqual(rows.map((r) => r.Data), ['got: hello', 'bye']);
  } finally {
    await srv.close();
  }
});

test('netcat: type="unix" reads a Unix socket', { skip: !posix }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vql-netcat-'));
  const srv = await serve((s) => s.end('u1\nu2\n'), join(dir, 'nc.sock'));
  try {
    const { rows, logs } = await query(`SELECT Data FROM netcat(address=A, type='unix')`, { vars: { A: srv.address } });
    assert.deepEqual(logs, []);
    assert.deepEqual(rows.map((r) => r.Data), ['u1', 'u2']);
    const tcp = await query(`SELECT Data FROM netcat(address=A, type='udp')`, { vars: { A: srv.address } });
    assert.deepEqual(tcp.rows, []);
    assert.ok(tcp.logs.some((l) => /^error: netcat: type "udp": must be tcp or unix/.test(l)), tcp.logs.join('\n'));
  } finally {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('netcat: a refused connection is a log line naming the address, and no rows', async () => {
  const port = await closedPort();
  const { rows, logs } = await query(`SELECT * FROM netcat(address=A)`, { vars: { A: `127.0.0.1:${port}` } });
  assert.deepEqual(rows, []);
  assert.ok(logs.some((l) => l.startsWith(`error: netcat: 127.0.0.1:${port}: `) && l.includes('ECONNREFUSED')), logs.join('\n'));
  const bad = await query(`SELECT * FROM netcat(address='no-port')`);
  assert.deepEqual(bad.rows, []);
  assert.ok(bad.logs.some((l) => /address "no-port": not host:port/.test(l)), bad.logs.join('\n'));
  if (posix) {
    const missing = await query(`SELECT * FROM netcat(address='/nonexistent/nc.sock', type='unix')`);
    assert.deepEqual(missing.rows, []);
    assert.ok(missing.logs.some((l) => l.startsWith('error: netcat: /nonexistent/nc.sock: ')), missing.logs.join('\n'));
  }
});

test('netcat: retry= connects again after the connection closes, until the query stops', async () => {
  const srv = await serve((s, n) => s.end(`conn ${n}\n`));
  try {
    const { rows, logs } = await query(`SELECT Data FROM netcat(address=A, retry=0.05) LIMIT 3`, { vars: { A: srv.address } });
    assert.deepEqual(logs, []);
    assert.deepEqual(rows.map((r) => r.Data), ['conn 1', 'conn 2', 'conn 3']);
  } finally {
    await srv.close();
  }
});

test('netcat: retry= also after a refused connection, logging each failure', async () => {
  const port = await closedPort();
  const ac = new AbortController();
  const logs: string[] = [];
  let failures = 0;
  let started: (() => void) | undefined;
  const secondFailure = new Promise<void>((r) => (started = r));
  const registry = createRegistry();
  registerNet(registry, {});
  const done = collect(`SELECT * FROM netcat(address=A, retry=0.02)`, {
    registry,
    vars: { A: `127.0.0.1:${port}` },
    signal: ac.signal,
    log: (l, m) => {
      logs.push(`${l}: ${m}`);
      if (/ECONNREFUSED/.test(m) && ++failures === 2) started!();
    },
  });
  await within(30_000, secondFailure, 'a second attempt');
  ac.abort();
  assert.deepEqual(await within(30_000, done, 'the query to stop'), []);
});

test('netcat: LIMIT stops reading and closes the socket', async () => {
  let closed: (() => void) | undefined;
  const serverSawClose = new Promise<void>((r) => (closed = r));
  const srv = await serve((s) => {
    let i = 0;
    const timer = setInterval(() => s.write(`line ${i++}\n`), 5);
    s.on('close', () => {
      clearInterval(timer);
      closed!();
    });
  });
  try {
    const { rows } = await query(`SELECT Data FROM netcat(address=A) LIMIT 2`, { vars: { A: srv.address } });
    assert.deepEqual(rows.map((r) => r.Data), ['line 0', 'line 1']);
    await within(30_000, serverSawClose, 'the server to see the socket close');
  } finally {
    await srv.close();
  }
});

test('netcat: cancelling the query closes an idle connection at once', async () => {
  let connected: (() => void) | undefined;
  const isConnected = new Promise<void>((r) => (connected = r));
  let closed: (() => void) | undefined;
  const serverSawClose = new Promise<void>((r) => (closed = r));
  const srv = await serve((s) => {
    s.write('hello\n');
    s.on('close', () => closed!());
    connected!();
  });
  try {
    const ac = new AbortController();
    const done = query(`SELECT Data FROM netcat(address=A)`, { vars: { A: srv.address }, signal: ac.signal });
    await within(30_000, isConnected, 'a connection');
    ac.abort();
    await within(30_000, done, 'the query to stop');
    await within(30_000, serverSawClose, 'the server to see the socket close');
  } finally {
    await srv.close();
  }
});

test('netcat: with HostOptions.network loopback, only this machine and Unix sockets are reached', async () => {
  const registry = createRegistry();
  registerNet(registry, { network: 'loopback' });
  const logs: string[] = [];
  const run = (text: string, vars: Record<string, unknown> = {}) =>
    collect(text, { registry, vars, log: (l, m) => logs.push(`${l}: ${m}`) }).then((r) => JSON.parse(toJSON(r)) as Array<Record<string, unknown>>);
  assert.deepEqual(await run(`SELECT * FROM netcat(address='192.0.2.1:9')`), []);
  assert.ok(logs.some((l) => /^error: netcat: 192\.0\.2\.1:9: 192\.0\.2\.1 is not this machine/.test(l)), logs.join('\n'));
  const srv = await serve((s) => s.end('local\n'));
  try {
    assert.deepEqual(await run(`SELECT Data FROM netcat(address=A)`, { A: srv.address }), [{ Data: 'local' }]);
    assert.deepEqual(await run(`SELECT Data FROM netcat(address=A)`, { A: srv.address.replace('127.0.0.1', 'localhost') }), [{ Data: 'local' }]);
  } finally {
    await srv.close();
  }
  if (posix) {
    const dir = mkdtempSync(join(tmpdir(), 'vql-netcat-'));
    const unix = await serve((s) => s.end('unix\n'), join(dir, 'nc.sock'));
    try {
      assert.deepEqual(await run(`SELECT Data FROM netcat(address=A, type='unix')`, { A: unix.address }), [{ Data: 'unix' }]);
    } finally {
      await unix.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  assert.deepEqual(splitHostPort('[::1]:80'), { host: '::1', port: 80 });
  assert.deepEqual(splitHostPort(':8000'), { host: 'localhost', port: 8000 });
  assert.equal(splitHostPort('example.com'), null);
  assert.equal(splitHostPort('::1:80'), null);
  assert.equal(splitHostPort('host:70000'), null);
});
