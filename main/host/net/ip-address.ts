/**
 * IP addresses as Go's `net` package sees them, for ip() and cidr_contains(): Velociraptor
 * hands these functions to Go's `net.ParseIP`, `net.ParseCIDR`, `IPNet.Contains` and
 * `net.IP.String()`, so parsing and printing follow Go exactly (not Node's `net` module, which
 * accepts zones and prints differently):
 *
 * - an address is 4 bytes (from an integer) or 16 bytes (parsed: IPv4 becomes the
 *   IPv4-mapped `::ffff:a.b.c.d` form); both print an IPv4 address in dotted form;
 * - IPv4 text rejects leading zeros (`01.2.3.4`), IPv6 text rejects zones (`fe80::1%eth0`);
 * - IPv6 prints in RFC 5952 form: lower-case hex, the longest run of two or more zero groups
 *   (the first one on a tie) written `::`.
 */

export type IPBytes = Uint8Array;

const V4_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** Dotted IPv4 text to 4 bytes (Go's parseIPv4), or null. */
function parseV4(s: string): Uint8Array | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^[0-9]{1,3}$/.test(p)) return null;
    if (p.length > 1 && p[0] === '0') return null; // Go 1.17+: no octal-looking leading zeros
    const n = Number(p);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

/** IPv6 text (with an optional trailing dotted IPv4) to 16 bytes (Go's parseIPv6), or null. */
function parseV6(s: string): Uint8Array | null {
  const out = new Uint8Array(16);
  let ellipsis = -1;
  let rest = s;
  if (rest.startsWith('::')) {
    ellipsis = 0;
    rest = rest.slice(2);
    if (rest === '') return out;
  }
  let i = 0;
  while (i < 16) {
    const m = /^[0-9a-fA-F]{1,4}/.exec(rest);
    if (!m) return null;
    // A dotted IPv4 address may end the text.
    if (rest.length > m[0].length && rest[m[0].length] === '.') {
      if (ellipsis < 0 && i !== 12) return null;
      if (i + 4 > 16) return null;
      const v4 = parseV4(rest);
      if (!v4) return null;
      out.set(v4, i);
      i += 4;
      rest = '';
      break;
    }
    const n = parseInt(m[0], 16);
    out[i] = n >> 8;
    out[i + 1] = n & 0xff;
    i += 2;
    rest = rest.slice(m[0].length);
    if (rest === '') break;
    if (rest[0] !== ':' || rest.length === 1) return null;
    rest = rest.slice(1);
    if (rest[0] === ':') {
      if (ellipsis >= 0) return null;
      ellipsis = i;
      rest = rest.slice(1);
      if (rest === '') break;
    }
  }
  if (rest !== '') return null;
  if (i < 16) {
    if (ellipsis < 0) return null;
    const n = 16 - i;
    for (let j = i - 1; j >= ellipsis; j--) out[j + n] = out[j]!;
    for (let j = ellipsis + n - 1; j >= ellipsis; j--) out[j] = 0;
  } else if (ellipsis >= 0) {
    return null; // an ellipsis must stand for at least one group
  }
  return out;
}

/** Go's `net.ParseIP`: 16 bytes, or null when the text is not an address. */
export function parseIP(s: string): IPBytes | null {
  for (const c of s) {
    if (c === '.') {
      const v4 = parseV4(s);
      return v4 ? v4To16(v4) : null;
    }
    if (c === ':') return parseV6(s);
  }
  return null;
}

function v4To16(v4: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  out.set(V4_PREFIX, 0);
  out.set(v4, 12);
  return out;
}

/** Go's `IP.To4()`: the 4-byte form of an IPv4 (or IPv4-mapped) address, else null. */
export function to4(ip: IPBytes): Uint8Array | null {
  if (ip.length === 4) return ip;
  if (ip.length === 16 && V4_PREFIX.every((b, i) => ip[i] === b)) return ip.subarray(12, 16);
  return null;
}

/** Go's `IP.To16()`. */
export function to16(ip: IPBytes): Uint8Array | null {
  if (ip.length === 4) return v4To16(ip);
  return ip.length === 16 ? ip : null;
}

/** Go's `IP.String()`. */
export function ipString(ip: IPBytes): string {
  if (ip.length === 0) return '<nil>';
  const v4 = to4(ip);
  if (v4) return Array.from(v4).join('.');
  if (ip.length !== 16) return '?' + Buffer.from(ip).toString('hex');
  // The longest run of zero groups (at least two), the first one on a tie.
  let bestStart = -1;
  let bestLen = 0;
  for (let g = 0; g < 8; ) {
    let e = g;
    while (e < 8 && ip[2 * e] === 0 && ip[2 * e + 1] === 0) e++;
    if (e - g >= 2 && e - g > bestLen) {
      bestStart = g;
      bestLen = e - g;
    }
    g = e > g ? e : g + 1;
  }
  let out = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      out += '::';
      g += bestLen - 1;
      continue;
    }
    if (g > 0 && !out.endsWith(':')) out += ':';
    out += ((ip[2 * g]! << 8) | ip[2 * g + 1]!).toString(16);
  }
  return out;
}

/** The predicates of Go's net.IP, by their Go method names. */
export const IP_PREDICATES: Record<string, (ip: IPBytes) => boolean> = {
  IsGlobalUnicast(ip) {
    if (ip.length !== 4 && ip.length !== 16) return false;
    const v4 = to4(ip);
    if (v4 && v4.every((b) => b === 0xff)) return false; // the limited broadcast address
    return !IP_PREDICATES.IsUnspecified!(ip) && !IP_PREDICATES.IsLoopback!(ip) && !IP_PREDICATES.IsMulticast!(ip) && !IP_PREDICATES.IsLinkLocalUnicast!(ip);
  },
  IsInterfaceLocalMulticast: (ip) => ip.length === 16 && ip[0] === 0xff && (ip[1]! & 0x0f) === 0x01,
  IsLinkLocalMulticast(ip) {
    const v4 = to4(ip);
    if (v4) return v4[0] === 224 && v4[1] === 0 && v4[2] === 0;
    return ip.length === 16 && ip[0] === 0xff && (ip[1]! & 0x0f) === 0x02;
  },
  IsLinkLocalUnicast(ip) {
    const v4 = to4(ip);
    if (v4) return v4[0] === 169 && v4[1] === 254;
    return ip.length === 16 && ip[0] === 0xfe && (ip[1]! & 0xc0) === 0x80;
  },
  IsLoopback(ip) {
    const v4 = to4(ip);
    if (v4) return v4[0] === 127;
    return ip.length === 16 && ip.subarray(0, 15).every((b) => b === 0) && ip[15] === 1;
  },
  IsMulticast(ip) {
    const v4 = to4(ip);
    if (v4) return (v4[0]! & 0xf0) === 0xe0;
    return ip.length === 16 && ip[0] === 0xff;
  },
  IsPrivate(ip) {
    const v4 = to4(ip);
    if (v4) return v4[0] === 10 || (v4[0] === 172 && (v4[1]! & 0xf0) === 16) || (v4[0] === 192 && v4[1] === 168);
    return ip.length === 16 && (ip[0]! & 0xfe) === 0xfc;
  },
  IsUnspecified(ip) {
    const v4 = to4(ip);
    if (v4) return v4.every((b) => b === 0);
    return ip.length === 16 && ip.every((b) => b === 0);
  },
};

/** A parsed network: Go's `IPNet` (IP masked; both 4 bytes for IPv4, 16 for IPv6). */
export interface IPNet {
  readonly ip: Uint8Array;
  readonly mask: Uint8Array;
}

function cidrMask(ones: number, bits: number): Uint8Array {
  const m = new Uint8Array(bits / 8);
  for (let i = 0; i < m.length; i++) {
    const n = Math.min(8, Math.max(0, ones - i * 8));
    m[i] = (0xff << (8 - n)) & 0xff;
  }
  return m;
}

/** Go's `net.ParseCIDR` network part, or null when `s` is not CIDR notation. */
export function parseCIDR(s: string): IPNet | null {
  const slash = s.indexOf('/');
  if (slash < 0) return null;
  const addr = s.slice(0, slash);
  const bitsText = s.slice(slash + 1);
  let ip = parseIP(addr);
  if (!ip) return null;
  const v4 = addr.includes(':') ? null : to4(ip);
  const bits = v4 ? 32 : 128;
  if (!/^[0-9]+$/.test(bitsText) || bitsText.length > 3) return null;
  const ones = Number(bitsText);
  if (ones > bits) return null;
  if (v4) ip = v4;
  const mask = cidrMask(ones, bits);
  return { ip: maskIP(ip, mask), mask };
}

/** Go's `IP.Mask`. */
function maskIP(ip: Uint8Array, mask: Uint8Array): Uint8Array {
  let x = ip;
  if (mask.length === 16 && x.length === 4) mask = mask.subarray(12);
  if (mask.length === 4 && x.length === 16 && to4(x)) x = x.subarray(12);
  const out = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i]! & (mask[i] ?? 0);
  return out;
}

/** Go's `IPNet.Contains` (with its networkNumberAndMask). */
export function netContains(n: IPNet, addr: IPBytes): boolean {
  let nn: Uint8Array | null = to4(n.ip);
  if (!nn) {
    nn = n.ip;
    if (nn.length !== 16) return false;
  }
  let m = n.mask;
  if (m.length === 4) {
    if (nn.length !== 4) return false;
  } else if (m.length === 16) {
    if (nn.length === 4) m = m.subarray(12);
  } else {
    return false;
  }
  const ip = to4(addr) ?? addr;
  if (ip.length !== nn.length) return false;
  for (let i = 0; i < ip.length; i++) if ((nn[i]! & m[i]!) !== (ip[i]! & m[i]!)) return false;
  return true;
}
