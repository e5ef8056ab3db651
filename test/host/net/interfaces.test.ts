// interfaces() against the machine: `ip -j addr` (iproute2) when present, else Node's view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { query } from './helpers.ts';

const linux = process.platform === 'linux';

function ipJson(): Array<Record<string, any>> | null {
  try {
    return JSON.parse(execFileSync('ip', ['-j', 'addr'], { encoding: 'utf8' })) as Array<Record<string, any>>;
  } catch {
    return null;
  }
}

test('interfaces() lists what ip -j addr lists: name, index, MTU, MAC, flags, CIDR addresses', { skip: !linux || !ipJson() ? 'needs Linux and ip(8)' : false }, async () => {
  const ip = ipJson()!;
  const { rows, logs } = await query('SELECT * FROM interfaces()');
  assert.deepEqual(logs, []);
  assert.deepEqual(rows.map((r) => r.Name), [...ip].sort((a, b) => a.ifindex - b.ifindex).map((i) => i.ifname));
  for (const link of ip) {
    const r = rows.find((x) => x.Name === link.ifname)!;
    assert.deepEqual(Object.keys(r), ['Name', 'HardwareAddr', 'MTU', 'Index', 'Flags', 'Loopback', 'PointToPoint', 'Up', 'HardwareAddrString', 'Addrs', 'AddrsString', 'MulticastAddrs', 'MulticastAddrsString']);
    assert.equal(r.Index, link.ifindex);
    assert.equal(r.MTU, link.mtu);
    const zeroMac = !link.address || /^(00:)*00$/.test(link.address);
    assert.equal(r.HardwareAddrString, zeroMac ? '' : link.address);
    if (!zeroMac) assert.equal(Buffer.from(r.HardwareAddr, 'base64').toString('hex').match(/../g)!.join(':'), link.address);
    const flags = new Set<string>(link.flags);
    const ours = new Set<string>(r.Flags.split('|').filter(Boolean));
    for (const [kernel, go] of [['UP', 'up'], ['BROADCAST', 'broadcast'], ['LOOPBACK', 'loopback'], ['POINTOPOINT', 'pointtopoint'], ['MULTICAST', 'multicast']]) {
      assert.equal(ours.has(go!), flags.has(kernel!), `${link.ifname} ${go}: ${r.Flags} vs ${link.flags}`);
    }
    assert.equal(r.Up, flags.has('UP') ? 'Y' : 'N');
    assert.equal(r.Loopback, flags.has('LOOPBACK') ? 'Y' : 'N');
    const cidrs = (link.addr_info as Array<{ local: string; prefixlen: number }>).map((a) => `${a.local}/${a.prefixlen}`);
    assert.deepEqual([...r.AddrsString].sort(), cidrs.sort(), link.ifname);
    assert.equal(r.Addrs.length, cidrs.length);
  }
});

test('interfaces(): Addrs are IPNets (IP, Mask.String in hex) and HardwareAddr.String is the MAC text', async () => {
  const { rows } = await query(
    "SELECT Name, HardwareAddr.String AS Mac, HardwareAddrString, Addrs.IP AS IP, Addrs.Mask.String AS Mask, AddrsString FROM interfaces() WHERE Loopback = 'Y' OR len(list=Addrs) > 0",
  );
  const node = networkInterfaces();
  const lo = rows.find((r) => r.AddrsString.includes('127.0.0.1/8'));
  assert.ok(lo, JSON.stringify(rows));
  const i = lo.IP.indexOf('127.0.0.1');
  assert.equal(lo.Mask[i], 'ff000000');
  assert.ok(Object.values(node).flat().some((a) => a?.cidr === '127.0.0.1/8'));
  for (const r of rows) if (r.HardwareAddrString) assert.equal(r.Mac, r.HardwareAddrString);
});

test('Generic.Network.InterfaceAddresses query shape: flatten over Addrs gives one row per address', async () => {
  const { rows, logs } = await query(`
    LET interface_address = SELECT Index, MTU, Name, HardwareAddr.String AS HardwareAddr, Flags, Addrs FROM interfaces()
    SELECT Index, MTU, Name, HardwareAddr, Flags, Addrs.IP as IP, Addrs.Mask.String as Mask FROM flatten(query=interface_address)`);
  assert.deepEqual(logs, []);
  const total = Object.values(networkInterfaces()).flat().length;
  const withAddr = rows.filter((r) => r.IP !== null);
  assert.equal(withAddr.length, total);
  const v4 = withAddr.find((r) => r.IP === '127.0.0.1');
  assert.equal(v4?.Mask, 'ff000000');
});
