// netstat() and connections() against sockets this test opens (TCP listen + connection on
// 127.0.0.1 and ::1, a UDP socket, a Unix socket), /proc/net/tcp and ss(8) when present.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { query } from './helpers.ts';
import { parseHexAddr, inetSockets } from '../../../main/host/net/proc-net.ts';

const linux = process.platform === 'linux';

async function listen(server: Server, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
  return (server.address() as { port: number }).port;
}

async function connected(port: number, host: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, host, () => resolve(s));
    s.once('error', reject);
  });
}

test('parseHexAddr decodes /proc/net addresses as Go prints them', () => {
  assert.deepEqual(parseHexAddr('0100007F:0016'), { ip: '127.0.0.1', port: 22 });
  assert.deepEqual(parseHexAddr('00000000000000000000000001000000:1F90'), { ip: '::1', port: 8080 });
  // IPv4-mapped IPv6 prints as IPv4 (Go's net.IP.String).
  assert.deepEqual(parseHexAddr('0000000000000000FFFF00000100007F:0050'), { ip: '127.0.0.1', port: 80 });
  assert.deepEqual(parseHexAddr('B80D0120000000000000000001000000:0001'), { ip: '2001:db8::1', port: 1 });
  // Four host-order words: FE800000 00000000 020000FF FFFE0000.
  assert.equal(parseHexAddr('000080FE00000000FF0000020000FEFF:0001').ip, 'fe80::200:ff:fffe:0');
});

test('inetSockets keeps Velociraptor\'s state names and drops unknown states', () => {
  const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
  const line = (st: string, inode: number) => `   0: 0100007F:0016 0100007F:D431 ${st} 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0 100 0 0 10 0\n`;
  const rows = inetSockets('tcp', header + line('01', 1) + line('0A', 2) + line('0C', 3) + line('06', 4));
  assert.deepEqual(rows.map((r) => r.status), ['ESTAB', 'LISTEN', 'TIME_WAIT']);
  assert.deepEqual(rows[0]!.raddr, { ip: '127.0.0.1', port: 0xd431 });
});

test('netstat() shows this test\'s TCP (v4 and v6) and UDP sockets with this pid, as /proc/net/tcp and ss do', { skip: !linux && 'Linux only' }, async (t) => {
  const server = createServer((s) => s.on('error', () => {}));
  const port = await listen(server, '127.0.0.1');
  const client = await connected(port, '127.0.0.1');
  const server6 = createServer();
  let port6 = 0;
  try {
    port6 = await listen(server6, '::1');
  } catch {
    // No IPv6 loopback on this machine.
  }
  const udp = createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  const udpPort = udp.address().port;
  t.after(() => {
    client.destroy();
    server.close();
    server6.close();
    udp.close();
  });

  const { rows, raw, logs } = await query('SELECT * FROM netstat()');
  assert.ok(logs.some((l) => /^info: netstat: gathered \d+ socket entries$/.test(l)), logs.join('\n'));
  assert.deepEqual(Object.keys(rows[0]!), ['Fd', 'Family', 'Type', 'Laddr', 'Raddr', 'Status', 'Pid']);
  const listenRow = rows.find((r) => r.Laddr.Port === port && r.Status === 'LISTEN');
  assert.deepEqual(listenRow, { Fd: 0, Family: 2, Type: 1, Laddr: { IP: '127.0.0.1', Port: port }, Raddr: { IP: '0.0.0.0', Port: 0 }, Status: 'LISTEN', Pid: process.pid });
  const out = rows.find((r) => r.Raddr.Port === port && r.Laddr.Port === client.localPort);
  assert.equal(out?.Status, 'ESTAB');
  assert.equal(out?.Pid, process.pid);
  const inbound = rows.find((r) => r.Laddr.Port === port && r.Raddr.Port === client.localPort);
  assert.equal(inbound?.Status, 'ESTAB');
  assert.equal(inbound?.Pid, process.pid);
  const u = rows.find((r) => r.Type === 2 && r.Laddr.Port === udpPort);
  assert.deepEqual(u, { Fd: 0, Family: 2, Type: 2, Laddr: { IP: '127.0.0.1', Port: udpPort }, Raddr: { IP: '0.0.0.0', Port: 0 }, Status: 'CLOSE', Pid: process.pid });
  if (port6) {
    const v6 = rows.find((r) => r.Laddr.Port === port6 && r.Status === 'LISTEN');
    assert.deepEqual(v6?.Laddr, { IP: '::1', Port: port6 });
    assert.equal(v6?.Family, 10);
  }
  // The methods are readable by name but are not columns.
  const methods = await query(`SELECT FamilyString, TypeString, Timestamp, Pid FROM netstat() WHERE Laddr.Port = ${port} AND Status = 'LISTEN'`);
  assert.deepEqual(methods.rows, [{ FamilyString: 'IPv4', TypeString: 'TCP', Timestamp: '0001-01-01T00:00:00Z', Pid: process.pid }]);
  assert.ok(raw.length > 0);

  // Ground truth: the listening socket's line in /proc/net/tcp, and ss(8)'s owner.
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  assert.match(readFileSync('/proc/net/tcp', 'utf8'), new RegExp(`0100007F:${hexPort} 00000000:0000 0A `));
  let ss = '';
  try {
    ss = execFileSync('ss', ['-tanpH', `sport = :${port}`], { encoding: 'utf8' });
  } catch {
    t.diagnostic('ss(8) not available: skipped the ss comparison');
  }
  if (ss) {
    const ssLines = ss.trim().split('\n');
    assert.ok(ssLines.some((l) => /^LISTEN\s/.test(l) && l.includes(`127.0.0.1:${port}`) && l.includes(`pid=${process.pid},`)), ss);
    const ours = rows.filter((r) => r.Type === 1 && r.Laddr.Port === port);
    assert.equal(ours.length, ssLines.length, `ours ${JSON.stringify(ours)} vs ss ${ss}`);
  }
});

test('connections() adds Unix sockets (path in Laddr.IP, LISTEN for a listening one)', { skip: !linux && 'Linux only' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vql-netstat-'));
  const path = join(dir, 'test.sock');
  const server = createServer();
  await new Promise<void>((r) => server.listen(path, r));
  t.after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const { rows } = await query(`SELECT Family, Type, Laddr, Status, Pid, FamilyString, TypeString FROM connections() WHERE Laddr.IP = '${path}'`);
  assert.deepEqual(rows, [{ Family: 1, Type: 1, Laddr: { IP: path, Port: 0 }, Status: 'LISTEN', Pid: process.pid, FamilyString: 'unix', TypeString: 'STREAM' }]);
  const n = await query(`SELECT * FROM netstat() WHERE Laddr.IP = '${path}'`);
  assert.deepEqual(n.rows, [], 'netstat() has no Unix sockets');
});
