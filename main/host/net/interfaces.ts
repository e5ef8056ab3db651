/**
 * `interfaces()` (VQL-FUNCTIONS.md 3.2, Velociraptor's vql/networking/network.go): one row per
 * network interface, as Go's `net.Interfaces()` sees them, in index order.
 *
 * Linux reads what Go reads through netlink from /sys/class/net (every interface, up or down,
 * with or without addresses), the addresses from Node's getifaddrs (`os.networkInterfaces()`),
 * and the multicast groups from /proc/net/igmp and /proc/net/igmp6 (as Go does). Go's rules:
 * - `Flags` are Go's names joined by `|` in Go's order: up, broadcast, loopback, pointtopoint,
 *   multicast, running (running: the kernel's IFF_RUNNING, i.e. up with operstate up or unknown);
 * - an all-zero hardware address (loopback) is no address: `HardwareAddrString` is "";
 * - `HardwareAddr` is bytes (base64 in JSON; `.String` gives aa:bb:...), `Addrs` are IPNets
 *   (`.IP`, `.Mask`, `.Mask.String` in Go's hex form `ffffff00`), `MulticastAddrs` IPAddrs.
 * macOS and Windows: the interfaces that have addresses (Node lists no others); `Index` and
 * `MTU` are 0 there, `Flags` only up and loopback, and the multicast columns are empty.
 */
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { readFileSync, readdirSync } from 'node:fs';
import { ABSENT, GET_MEMBER, MEMBERS, VDict, type Absent, type HostObject, type PluginDef, type Value } from '../../vql/index.ts';

/** Go's `[]byte` types with a String method (HardwareAddr, IPMask): base64 in JSON. */
export class GoBytes implements HostObject {
  constructor(readonly bytes: Uint8Array, readonly text: string) {}
  [MEMBERS](): readonly string[] {
    return [];
  }
  [GET_MEMBER](name: string): Value | Absent {
    return name === 'String' ? this.text : ABSENT;
  }
  toJSON(): string {
    return Buffer.from(this.bytes).toString('base64');
  }
}

function hardwareAddr(mac: string): GoBytes | null {
  const bytes = Uint8Array.from(mac.split(':').map((h) => parseInt(h, 16)));
  if (bytes.length === 0 || bytes.some((b) => Number.isNaN(b)) || bytes.every((b) => b === 0)) return null;
  return new GoBytes(bytes, mac.toLowerCase());
}

/** Go's `net.IPNet`: `IP` (text) and `Mask` (bytes; `.String` is hex). */
function ipNet(info: NetworkInterfaceInfo): VDict {
  const prefix = Number(info.cidr?.split('/')[1] ?? 0);
  const len = info.family === 'IPv4' ? 4 : 16;
  const mask = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    mask[i] = (0xff << (8 - bits)) & 0xff;
  }
  return new VDict([['IP', info.address], ['Mask', new GoBytes(mask, Buffer.from(mask).toString('hex'))]]);
}

/** Go's `net.Flags` names, in bit order. */
const FLAG_NAMES = ['up', 'broadcast', 'loopback', 'pointtopoint', 'multicast', 'running'] as const;
type FlagName = (typeof FLAG_NAMES)[number];

function flagText(flags: Set<FlagName>): string {
  return FLAG_NAMES.filter((f) => flags.has(f)).join('|');
}

/** Linux IFF_* bits of /sys/class/net/X/flags. */
const IFF_UP = 0x1;
const IFF_BROADCAST = 0x2;
const IFF_LOOPBACK = 0x8;
const IFF_POINTOPOINT = 0x10;
const IFF_MULTICAST = 0x1000;

interface Link {
  name: string;
  index: number;
  mtu: number;
  flags: Set<FlagName>;
  mac: string;
}

function readSys(name: string, file: string): string {
  try {
    return readFileSync(`/sys/class/net/${name}/${file}`, 'utf8').trim();
  } catch {
    return '';
  }
}

function linuxLinks(): Link[] {
  let names: string[];
  try {
    names = readdirSync('/sys/class/net');
  } catch {
    return [];
  }
  const out: Link[] = [];
  for (const name of names) {
    const index = Number(readSys(name, 'ifindex'));
    if (!Number.isInteger(index) || index <= 0) continue;
    const raw = parseInt(readSys(name, 'flags'), 16) || 0;
    const flags = new Set<FlagName>();
    if (raw & IFF_UP) flags.add('up');
    if (raw & IFF_BROADCAST) flags.add('broadcast');
    if (raw & IFF_LOOPBACK) flags.add('loopback');
    if (raw & IFF_POINTOPOINT) flags.add('pointtopoint');
    if (raw & IFF_MULTICAST) flags.add('multicast');
    const oper = readSys(name, 'operstate');
    if (raw & IFF_UP && (oper === 'up' || oper === 'unknown')) flags.add('running');
    out.push({ name, index, mtu: Number(readSys(name, 'mtu')) || 0, flags, mac: readSys(name, 'address') });
  }
  return out.sort((a, b) => a.index - b.index);
}

/** Go's IP text of 16 raw bytes (an IPv4-mapped address prints as IPv4). */
export function ipText(b: Uint8Array): string {
  if (b.length === 4) return b.join('.');
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return Array.from(b.subarray(12)).join('.');
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((b[i]! << 8) | b[i + 1]!);
  // RFC 5952: the longest run (2 or more) of zero words becomes '::' (the first when tied).
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(':');
  return hex.slice(0, best).join(':') + '::' + hex.slice(best + bestLen).join(':');
}

/** Multicast groups per interface name, from /proc/net/igmp (IPv4) and /proc/net/igmp6, as Go reads them. */
function multicastGroups(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (name: string, ip: string) => {
    const l = out.get(name);
    if (l) l.push(ip);
    else out.set(name, [ip]);
  };
  let igmp = '';
  try {
    igmp = readFileSync('/proc/net/igmp', 'utf8');
  } catch {
    // No IPv4 multicast table.
  }
  let current = '';
  for (const line of igmp.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (!line.startsWith('\t') && f.length >= 2) {
      current = f[1]!.replace(/:$/, '');
    } else if (line.startsWith('\t') && current && /^[0-9A-Fa-f]{8}$/.test(f[0] ?? '')) {
      // The group is a little-endian 32-bit word.
      const w = parseInt(f[0]!, 16);
      add(current, [w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24].join('.'));
    }
  }
  let igmp6 = '';
  try {
    igmp6 = readFileSync('/proc/net/igmp6', 'utf8');
  } catch {
    // No IPv6 multicast table.
  }
  for (const line of igmp6.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 3 || !/^[0-9a-fA-F]{32}$/.test(f[2]!)) continue;
    add(f[1]!, ipText(Uint8Array.from(Buffer.from(f[2]!, 'hex'))));
  }
  return out;
}

/** Node's addresses per interface; alias labels (`eth0:1`) belong to their interface. */
function addressesByName(): Map<string, NetworkInterfaceInfo[]> {
  const out = new Map<string, NetworkInterfaceInfo[]>();
  for (const [label, infos] of Object.entries(networkInterfaces())) {
    const name = label.replace(/:.*$/, '');
    const l = out.get(name) ?? [];
    l.push(...(infos ?? []));
    out.set(name, l);
  }
  return out;
}

function row(link: Link, addrs: NetworkInterfaceInfo[], groups: string[]): VDict {
  const hw = hardwareAddr(link.mac);
  const d = new VDict();
  d.map.set('Name', link.name);
  d.map.set('HardwareAddr', hw);
  d.map.set('MTU', link.mtu);
  d.map.set('Index', link.index);
  d.map.set('Flags', flagText(link.flags));
  d.map.set('Loopback', link.flags.has('loopback') ? 'Y' : 'N');
  d.map.set('PointToPoint', link.flags.has('pointtopoint') ? 'Y' : 'N');
  d.map.set('Up', link.flags.has('up') ? 'Y' : 'N');
  d.map.set('HardwareAddrString', hw ? hw.text : '');
  d.map.set('Addrs', addrs.map(ipNet));
  d.map.set('AddrsString', addrs.map((a) => a.cidr ?? a.address));
  d.map.set('MulticastAddrs', groups.map((ip) => new VDict([['IP', ip], ['Zone', '']])));
  d.map.set('MulticastAddrsString', groups);
  return d;
}

/** The interfaces of this machine as rows. */
export function interfaceRows(platform: NodeJS.Platform = process.platform): VDict[] {
  const addrs = addressesByName();
  if (platform === 'linux') {
    const links = linuxLinks();
    if (links.length) {
      const groups = multicastGroups();
      return links.map((l) => row(l, addrs.get(l.name) ?? [], groups.get(l.name) ?? []));
    }
  }
  const out: VDict[] = [];
  for (const [name, infos] of addrs) {
    const flags = new Set<FlagName>(['up']);
    if (infos.some((i) => i.internal)) flags.add('loopback');
    out.push(row({ name, index: 0, mtu: 0, flags, mac: infos[0]?.mac ?? '' }, infos, []));
  }
  return out;
}

export const interfaces: PluginDef = {
  name: 'interfaces',
  doc:
    'The network interfaces of this machine: Name, HardwareAddr, MTU, Index, Flags (up|broadcast|...), Loopback, PointToPoint, Up ' +
    '(Y/N), HardwareAddrString, Addrs (IP, Mask), AddrsString (CIDR), MulticastAddrs, MulticastAddrsString. ' +
    'Linux: every interface (from /sys/class/net); macOS/Windows: those with addresses, Index and MTU 0.',
  args: {},
  *run() {
    yield* interfaceRows();
  },
};
