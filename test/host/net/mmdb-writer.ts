/**
 * A small MaxMind DB (.mmdb, format 2.0) writer for the geoip() tests: an IPv6 search tree
 * (IPv4 networks under ::/96, as GeoLite2 stores them) of 28-bit records, a data section of
 * maps, strings, doubles, unsigned ints, booleans and arrays, and the metadata. libmaxminddb's
 * `mmdblookup` reads what it writes back in the tests, so the writer is checked too.
 */
import { isIPv4, isIPv6 } from 'node:net';

type Data = string | number | boolean | Data[] | { [k: string]: Data } | { double: number } | { uint32: number } | { uint64: bigint };

function ctrl(type: number, size: number): number[] {
  const ext = type > 7;
  const first = (ext ? 0 : type << 5);
  let head: number[];
  if (size < 29) head = [first | size];
  else if (size < 29 + 256) head = [first | 29, size - 29];
  else if (size < 285 + 65536) head = [first | 30, (size - 285) >> 8, (size - 285) & 0xff];
  else head = [first | 31, ((size - 65821) >> 16) & 0xff, ((size - 65821) >> 8) & 0xff, (size - 65821) & 0xff];
  return ext ? [head[0]!, type - 7, ...head.slice(1)] : head;
}

function uint(n: bigint): number[] {
  const out: number[] = [];
  for (let v = n; v > 0n; v >>= 8n) out.unshift(Number(v & 0xffn));
  return out;
}

export function encode(v: Data): number[] {
  if (typeof v === 'string') {
    const b = [...Buffer.from(v, 'utf8')];
    return [...ctrl(2, b.length), ...b];
  }
  if (typeof v === 'boolean') return ctrl(14, v ? 1 : 0);
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0) {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(v);
      return [...ctrl(3, 8), ...b];
    }
    const b = uint(BigInt(v));
    return v <= 0xffff ? [...ctrl(5, b.length), ...b] : [...ctrl(6, b.length), ...b];
  }
  if (Array.isArray(v)) return [...ctrl(11, v.length), ...v.flatMap(encode)];
  if ('double' in v && typeof v.double === 'number') {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v.double);
    return [...ctrl(3, 8), ...b];
  }
  if ('uint32' in v && typeof v.uint32 === 'number') {
    const b = uint(BigInt(v.uint32));
    return [...ctrl(6, b.length), ...b];
  }
  if ('uint64' in v && typeof v.uint64 === 'bigint') {
    const b = uint(v.uint64);
    return [...ctrl(9, b.length), ...b];
  }
  const keys = Object.keys(v);
  return [...ctrl(7, keys.length), ...keys.flatMap((k) => [...encode(k), ...encode((v as Record<string, Data>)[k]!)])];
}

/** An address as 128 bits (IPv4 as ::a.b.c.d). */
function bits(ip: string): number[] {
  const bytes = new Uint8Array(16);
  if (isIPv4(ip)) ip.split('.').forEach((p, i) => (bytes[12 + i] = Number(p)));
  else if (isIPv6(ip)) {
    const [head, tail] = ip.includes('::') ? ip.split('::') as [string, string] : [ip, ''];
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
    groups.forEach((g, i) => {
      const n = parseInt(g, 16);
      bytes[2 * i] = n >> 8;
      bytes[2 * i + 1] = n & 0xff;
    });
  } else throw new Error(`not an IP: ${ip}`);
  return [...bytes].flatMap((b) => Array.from({ length: 8 }, (_, k) => (b >> (7 - k)) & 1));
}

interface Node {
  child: [Node | number | null, Node | number | null];
}

/** A database mapping each network (`1.2.3.0/24`, `2001:db8::/32`) to its record. */
export function buildMmdb(networks: ReadonlyArray<readonly [string, Data]>, databaseType = 'Test-City'): Buffer {
  const data: number[] = [];
  const root: Node = { child: [null, null] };
  for (const [net, record] of networks) {
    const [ip, len] = net.split('/') as [string, string];
    const prefix = (isIPv4(ip) ? 96 : 0) + Number(len);
    const offset = data.length;
    data.push(...encode(record));
    let node = root;
    const b = bits(ip);
    for (let i = 0; i < prefix - 1; i++) {
      const next = node.child[b[i]!];
      if (typeof next === 'object' && next !== null) node = next;
      else node = (node.child[b[i]!] = { child: [null, null] });
    }
    node.child[b[prefix - 1]!] = offset;
  }
  // Number the nodes breadth first.
  const nodes: Node[] = [];
  const queue: Node[] = [root];
  while (queue.length) {
    const n = queue.shift()!;
    nodes.push(n);
    for (const c of n.child) if (typeof c === 'object' && c !== null) queue.push(c);
  }
  const index = new Map(nodes.map((n, i) => [n, i]));
  const count = nodes.length;
  const record = (c: Node | number | null): number => (c === null ? count : typeof c === 'number' ? count + 16 + c : index.get(c)!);
  const tree = Buffer.alloc(count * 7);
  nodes.forEach((n, i) => {
    const l = record(n.child[0]);
    const r = record(n.child[1]);
    const o = i * 7;
    tree[o] = (l >> 16) & 0xff;
    tree[o + 1] = (l >> 8) & 0xff;
    tree[o + 2] = l & 0xff;
    tree[o + 3] = ((l >> 24) << 4) | ((r >> 24) & 0x0f);
    tree[o + 4] = (r >> 16) & 0xff;
    tree[o + 5] = (r >> 8) & 0xff;
    tree[o + 6] = r & 0xff;
  });
  const metadata = encode({
    node_count: { uint32: count },
    record_size: 28,
    ip_version: 6,
    database_type: databaseType,
    languages: ['en'],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: { uint64: 1700000000n },
    description: { en: 'vql-workbench test database' },
  });
  return Buffer.concat([tree, Buffer.alloc(16), Buffer.from(data), Buffer.from('\xab\xcd\xefMaxMind.com', 'latin1'), Buffer.from(metadata)]);
}
