// ip() and cidr_contains(): Go's net.ParseIP / IP.String / IPNet.Contains behaviour, each
// argument, and the bad-input cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { query } from './helpers.ts';

test('ip(parse=) prints Go\'s canonical text: IPv4-mapped IPv6 as dotted IPv4, IPv6 compressed', async () => {
  const { rows, logs } = await query(`SELECT ip(parse='0:0:0:0:0:FFFF:129.144.52.38') AS A, ip(parse='2001:DB8:0:0:1:0:0:1') AS B,
    ip(parse='fe80:0:0:0:0:0:0:1') AS C, ip(parse='::') AS D, ip(parse='1:0:0:2:0:0:0:3') AS E, ip(parse='::ffff:10.1.2.3') AS F,
    ip(parse='192.168.001.1') AS G, ip(parse='1.2.3') AS H, ip(parse='fe80::1%eth0') AS I, ip(parse='::1:2:3:4:5:6:7:8') AS J FROM scope()`);
  assert.deepEqual(rows, [{ A: '129.144.52.38', B: '2001:db8::1:0:0:1', C: 'fe80::1', D: '::', E: '1:0:0:2::3', F: '10.1.2.3', G: null, H: null, I: null, J: null }]);
  assert.ok(logs.every((l) => l.startsWith('debug: ip: argument parse')), logs.join('\n'));
});

test('ip(netaddr4_le=) and ip(netaddr4_be=) read an IPv4 address from an integer; 0 or none gives NULL', async () => {
  // 10.0.0.1 stored in memory as bytes 0a 00 00 01 reads as 0x0100000a little-endian.
  const { rows } = await query(`SELECT ip(netaddr4_le=0x0100000a) AS LE, ip(netaddr4_be=0x0a000001) AS BE,
    ip(netaddr4_le=0, netaddr4_be=0x7f000001) AS Fallback, ip(netaddr4_le=0) AS Zero, ip() AS None,
    ip(netaddr4_le=0x1ffffffff) AS Wide FROM scope()`);
  assert.deepEqual(rows, [{ LE: '10.0.0.1', BE: '10.0.0.1', Fallback: '127.0.0.1', Zero: null, None: null, Wide: '255.255.255.255' }]);
});

test('ip() members are Go\'s net.IP methods', async () => {
  const { rows } = await query(`SELECT _value AS A, ip(parse=_value).IsPrivate AS Private, ip(parse=_value).IsLoopback AS Loopback,
      ip(parse=_value).IsMulticast AS Multicast, ip(parse=_value).IsLinkLocalUnicast AS LinkLocal, ip(parse=_value).IsUnspecified AS Unspecified,
      ip(parse=_value).IsGlobalUnicast AS Global, ip(parse=_value).IsLinkLocalMulticast AS LLMulticast, ip(parse=_value).IsInterfaceLocalMulticast AS ILMulticast
    FROM foreach(row=['192.168.1.2', '172.31.0.1', '172.32.0.1', '127.0.0.1', '::1', '224.0.0.5', 'ff02::1', 'ff01::1', '169.254.1.1', 'fe80::1', '0.0.0.0', '8.8.8.8', 'fd00::1', '255.255.255.255'])`);
  const t = (p: boolean, l: boolean, m: boolean, ll: boolean, u: boolean, g: boolean, llm: boolean, ilm: boolean) =>
    ({ Private: p, Loopback: l, Multicast: m, LinkLocal: ll, Unspecified: u, Global: g, LLMulticast: llm, ILMulticast: ilm });
  const F = false;
  const T = true;
  assert.deepEqual(Object.fromEntries(rows.map(({ A, ...r }) => [A, r])), {
    '192.168.1.2': t(T, F, F, F, F, T, F, F),
    '172.31.0.1': t(T, F, F, F, F, T, F, F),
    '172.32.0.1': t(F, F, F, F, F, T, F, F),
    '127.0.0.1': t(F, T, F, F, F, F, F, F),
    '::1': t(F, T, F, F, F, F, F, F),
    '224.0.0.5': t(F, F, T, F, F, F, T, F),
    'ff02::1': t(F, F, T, F, F, F, T, F),
    'ff01::1': t(F, F, T, F, F, F, F, T),
    '169.254.1.1': t(F, F, F, T, F, F, F, F),
    'fe80::1': t(F, F, F, T, F, F, F, F),
    '0.0.0.0': t(F, F, F, F, T, F, F, F),
    '8.8.8.8': t(F, F, F, F, F, T, F, F),
    'fd00::1': t(T, F, F, F, F, T, F, F),
    '255.255.255.255': t(F, F, F, F, F, F, F, F),
  });
});

test('ip() values print as text (format, str), compare with text, and have String/To4/To16', async () => {
  const { rows } = await query(`SELECT format(format='%v|%s', args=[ip(parse='::1'), ip(parse='10.1.2.3')]) AS F, str(str=ip(netaddr4_be=0x01020304)) AS S,
    ip(parse='10.1.2.3') = '10.1.2.3' AS Eq, ip(parse='::ffff:10.1.2.3') = '10.1.2.3' AS EqMapped, ip(parse='10.1.2.3') = '10.1.2.4' AS Ne,
    ip(parse='10.1.2.3').String AS Str, ip(parse='::1').To4 AS To4, ip(parse='10.1.2.3').To16 AS To16 FROM scope()`);
  assert.deepEqual(rows, [{ F: '::1|10.1.2.3', S: '1.2.3.4', Eq: true, EqMapped: true, Ne: false, Str: '10.1.2.3', To4: null, To16: '10.1.2.3' }]);
});

test('cidr_contains() is Velociraptor\'s golden vector, and follows IPNet.Contains for IPv6 and mapped addresses', async () => {
  const { rows, logs } = await query(`SELECT cidr_contains(ip="192.168.0.132", ranges="192.168.0.0/24") AS A,
    cidr_contains(ip="191.168.0.132", ranges="192.168.0.0/24") AS B,
    cidr_contains(ip="10.168.0.132", ranges=["192.168.0.0/24", "10.0.0.0/8"]) AS C,
    cidr_contains(ip="fe80::1:2", ranges="fe80::/10") AS D, cidr_contains(ip="fe80::1:2", ranges="10.0.0.0/8") AS E,
    cidr_contains(ip="::ffff:10.1.1.1", ranges="10.0.0.0/8") AS F, cidr_contains(ip=ip(parse='172.16.5.4'), ranges="172.16.0.0/12") AS G,
    cidr_contains(ip="10.1.1.1", ranges="10.1.1.1/32") AS H, cidr_contains(ip="10.1.1.2", ranges="10.1.1.1/32") AS I,
    cidr_contains(ip="1.2.3.4", ranges="0.0.0.0/0") AS J FROM scope()`);
  assert.deepEqual(logs, []);
  assert.deepEqual(rows, [{ A: true, B: false, C: true, D: true, E: false, F: true, G: true, H: true, I: false, J: true }]);
});

test('cidr_contains(): a bad ip is false with an error naming it; a bad range is logged and skipped', async () => {
  const { rows, logs } = await query(`SELECT cidr_contains(ip="nope", ranges="10.0.0.0/8") AS A,
    cidr_contains(ip="10.1.1.1", ranges=["10.0.0.0/33", "bad", "10.0.0.0/8"]) AS B, cidr_contains(ip="10.1.1.1", ranges="10.0.0.0") AS C FROM scope()`);
  assert.deepEqual(rows, [{ A: false, B: true, C: false }]);
  assert.ok(logs.some((l) => /^error: cidr_contains: argument ip: "nope" is not an IP address/.test(l)), logs.join('\n'));
  assert.ok(logs.some((l) => /^error: cidr_contains: argument ranges: "10.0.0.0\/33" is not a CIDR range/.test(l)), logs.join('\n'));
  assert.ok(logs.some((l) => /argument ranges: "bad"/.test(l)), logs.join('\n'));
  assert.ok(logs.some((l) => /argument ranges: "10.0.0.0"/.test(l)), logs.join('\n'));
});
