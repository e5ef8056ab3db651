// host(): DNS lookups through the system resolver (localhost, /etc/hosts) and through a DNS
// server of the test's own on 127.0.0.1 (server=, type=), and the failure cases. No network
// beyond this machine.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { collect } from '../../../main/vql/index.ts';
import { createHostRegistry } from '../../../main/host/index.ts';
import { query } from './helpers.ts';

/** A tiny authoritative DNS server: answers A, AAAA, TXT, CNAME for a few names, NXDOMAIN otherwise. */
const ZONE: Record<string, Array<{ type: number; data: Buffer }>> = {
  'test.example': [
    { type: 1, data: Buffer.from([127, 0, 0, 42]) },
    { type: 1, data: Buffer.from([127, 0, 0, 43]) },
    { type: 28, data: Buffer.from('fd000000000000000000000000000042', 'hex') },
    { type: 16, data: Buffer.concat([Buffer.from([5]), Buffer.from('hello'), Buffer.from([5]), Buffer.from('world')]) },
  ],
  'alias.example': [{ type: 5, data: encodeName('test.example') }],
};

function encodeName(name: string): Buffer {
  return Buffer.concat([...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
}

let server: Socket;
let port = 0;
let queries = 0;

before(async () => {
  server = createSocket('udp4');
  server.on('message', (msg, rinfo) => {
    queries++;
    let o = 12;
    const labels: string[] = [];
    while (msg[o]! > 0) {
      labels.push(msg.subarray(o + 1, o + 1 + msg[o]!).toString());
      o += msg[o]! + 1;
    }
    o++;
    const qtype = msg.readUInt16BE(o);
    const question = msg.subarray(12, o + 4);
    const name = labels.join('.').toLowerCase();
    const records = ZONE[name];
    const answers = (records ?? []).filter((r) => r.type === qtype || r.type === 5);
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2);
    header.writeUInt16BE(0x8180 | (records ? 0 : 3), 2); // response, RD+RA, NOERROR or NXDOMAIN
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const rrs = answers.map((r) => {
      const fixed = Buffer.alloc(10);
      fixed.writeUInt16BE(r.type, 0);
      fixed.writeUInt16BE(1, 2);
      fixed.writeUInt32BE(60, 4);
      fixed.writeUInt16BE(r.data.length, 8);
      return Buffer.concat([Buffer.from([0xc0, 12]), fixed, r.data]);
    });
    server.send(Buffer.concat([header, question, ...rrs]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => server.bind(0, '127.0.0.1', () => r()));
  port = server.address().port;
});

after(() => server.close());

/** Names /etc/hosts answers for, so that the system resolver never asks a DNS server off this machine. */
const HOSTS = existsSync('/etc/hosts') ? readFileSync('/etc/hosts', 'utf8') : '';
const hostsNames = new Set(HOSTS.split('\n').flatMap((l) => l.replace(/#.*/, '').trim().split(/\s+/).slice(1)));

test('host(name=) looks a name up with the system resolver: localhost is this machine', { skip: !hostsNames.has('localhost') && '/etc/hosts has no localhost (the lookup would leave this machine)' }, async () => {
  const { rows, logs } = await query(`SELECT host(name='localhost') AS H FROM scope()`);
  assert.deepEqual(logs, []);
  const h = rows[0]!.H as string[];
  assert.ok(Array.isArray(h) && h.length > 0, JSON.stringify(h));
  for (const a of h) assert.ok(a === '127.0.0.1' || a === '::1' || a.startsWith('127.'), a);
});

test('host(name=) sees /etc/hosts (ground truth: its first name)', async (t) => {
  const entry = HOSTS.split('\n').map((l) => l.replace(/#.*/, '').trim().split(/\s+/))
    .find((f) => f.length > 1 && /^\d+\.\d+\.\d+\.\d+$/.test(f[0]!) && f[0]!.startsWith('127.'));
  if (!entry) return t.skip('no 127.x entry in /etc/hosts');
  const { rows } = await query(`SELECT host(name=N) AS H FROM scope()`, { vars: { N: entry[1] } });
  assert.ok((rows[0]!.H as string[]).includes(entry[0]!), `${JSON.stringify(rows[0]!.H)} has ${entry[0]}`);
});

test('host(server=) asks that server: addresses (IPv4 then IPv6), as the artifacts index them', async () => {
  const { rows, logs } = await query(`SELECT host(name='test.example', server=S) AS All, host(name='test.example', server=S)[0] AS First
    FROM scope()`, { vars: { S: `127.0.0.1:${port}` } });
  assert.deepEqual(logs, []);
  assert.deepEqual(rows, [{ All: ['127.0.0.42', '127.0.0.43', 'fd00::42'], First: '127.0.0.42' }]);
  assert.ok(queries > 0);
});

test('host(type=) picks the record type: A, AAAA, TXT, CNAME (case-insensitive)', async () => {
  const { rows, logs } = await query(`SELECT host(name='test.example', server=S, type='A') AS A, host(name='test.example', server=S, type='aaaa') AS AAAA,
    host(name='test.example', server=S, type='TXT') AS TXT, host(name='alias.example', server=S, type='CNAME') AS CNAME FROM scope()`,
  { vars: { S: `127.0.0.1:${port}` } });
  assert.deepEqual(logs, []);
  assert.deepEqual(rows, [{ A: ['127.0.0.42', '127.0.0.43'], AAAA: ['fd00::42'], TXT: ['helloworld'], CNAME: ['test.example.'] }]);
});

test('host(): an unknown name, a bad type and a bad server log a message naming them and give NULL', async () => {
  const { rows, logs } = await query(`SELECT host(name='nosuch.example', server=S) AS A, host(name='test.example', server=S, type='SRVX') AS B,
    host(name='x', server='not a server!') AS C FROM scope()`, { vars: { S: `127.0.0.1:${port}` } });
  assert.deepEqual(rows, [{ A: null, B: null, C: null }]);
  assert.ok(logs.includes('warn: host: lookup nosuch.example: no such host'), logs.join('\n'));
  assert.ok(logs.some((l) => /^error: host: argument type: unknown type "SRVX"/.test(l)), logs.join('\n'));
  assert.ok(logs.some((l) => /^error: host: argument server: "not a server!"/.test(l)), logs.join('\n'));
});

test('host() stops when the query is cancelled (a server that never answers): NULL, no timeout logged', async () => {
  const silent = createSocket('udp4');
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
  const received = new Promise<void>((r) => silent.once('message', () => r()));
  const controller = new AbortController();
  const logs: string[] = [];
  const run = collect(`SELECT host(name='test.example', server=S) AS A FROM scope()`, {
    registry: createHostRegistry(), vars: { S: `127.0.0.1:${silent.address().port}` }, signal: controller.signal, log: (l, m) => logs.push(`${l}: ${m}`),
  });
  await received; // the lookup is under way
  controller.abort();
  const rows = await run.catch(() => []);
  silent.close();
  // Without cancellation the resolver would wait for its timeout and log "i/o timeout".
  assert.deepEqual(logs.filter((l) => l.includes('host:')), []);
  assert.ok(rows.every((r) => r.get('A') === null), JSON.stringify(rows));
});
