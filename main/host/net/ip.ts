/**
 * `ip(parse=, netaddr4_le=, netaddr4_be=)` (Velociraptor's vql/functions/ip.go, a wrapper of
 * Go's net.IP): an IP address from text or from a 32-bit integer.
 *
 * - `netaddr4_le` (checked first) and `netaddr4_be`: an IPv4 address stored as an integer in
 *   little- or big-endian byte order (wtmp's `ut_addr_v6[0]` read as a little-endian uint32 is
 *   `netaddr4_le`). Only values above 0 count; larger ones keep their low 32 bits.
 * - `parse`: IPv4, IPv6 or IPv4-mapped IPv6 text, as Go's `net.ParseIP` reads it.
 *
 * The result serializes (and prints, and compares with a string) as Go's canonical text:
 * `0:0:0:0:0:FFFF:129.144.52.38` gives `129.144.52.38`. Members are Go's methods:
 * IsGlobalUnicast, IsInterfaceLocalMulticast, IsLinkLocalMulticast, IsLinkLocalUnicast,
 * IsLoopback, IsMulticast, IsPrivate, IsUnspecified, String, To4, To16.
 * No argument (or 0) gives NULL. Text that is not an address gives NULL (Velociraptor returns
 * Go's nil net.IP, which serializes as ""): a log line at debug level names it.
 */
import { ABSENT, GET_MEMBER, MEMBERS, type Absent, type FunctionDef, type HostObject, type ProtocolHandler, type Registry, type Value } from '../../vql/index.ts';
import { IP_PREDICATES, ipString, parseIP, to16, to4, type IPBytes } from './ip-address.ts';

const IP_MEMBERS = [...Object.keys(IP_PREDICATES), 'String', 'To4', 'To16'];

/** A Go net.IP value. */
export class IPValue implements HostObject {
  constructor(readonly bytes: IPBytes) {}
  toString(): string {
    return ipString(this.bytes);
  }
  toJSON(): string {
    return this.toString();
  }
  [MEMBERS](): readonly string[] {
    return IP_MEMBERS;
  }
  [GET_MEMBER](name: string): Value | Absent {
    const pred = IP_PREDICATES[name];
    if (pred) return pred(this.bytes);
    switch (name) {
      case 'String':
        return this.toString();
      case 'To4': {
        const b = to4(this.bytes);
        return b ? new IPValue(b) : null;
      }
      case 'To16': {
        const b = to16(this.bytes);
        return b ? new IPValue(b) : null;
      }
      default:
        return ABSENT;
    }
  }
}

function fromUint32(n: bigint, littleEndian: boolean): IPValue {
  const v = Number(BigInt.asUintN(32, n));
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, littleEndian);
  return new IPValue(b);
}

function positive(v: Value): bigint | null {
  if (v === undefined || v === null) return null;
  const n = typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)));
  return n > 0n ? n : null;
}

export const ip: FunctionDef = {
  name: 'ip',
  doc: 'An IP address from text (parse=) or a 32-bit integer (netaddr4_le=, netaddr4_be=); prints as Go\'s canonical text, members IsPrivate, IsLoopback, IsMulticast...',
  args: {
    netaddr4_le: { type: 'int', doc: 'An IPv4 address held in an integer, little-endian byte order' },
    netaddr4_be: { type: 'int', doc: 'An IPv4 address held in an integer, big-endian (network) byte order' },
    parse: { type: 'string', doc: 'IP address text (IPv4, IPv6, IPv4-mapped IPv6)' },
  },
  onArgError: false,
  run(call) {
    const { args } = call;
    const le = positive(args.netaddr4_le);
    if (le !== null) return fromUint32(le, true);
    const be = positive(args.netaddr4_be);
    if (be !== null) return fromUint32(be, false);
    const text = typeof args.parse === 'string' ? args.parse : '';
    if (text === '') return null;
    const b = parseIP(text);
    if (!b) {
      call.log('debug', `argument parse: ${JSON.stringify(text)} is not an IP address`);
      return null;
    }
    return new IPValue(b);
  },
};

/** `ip(...) = "1.2.3.4"` compares the canonical text; two addresses compare as addresses. */
const ipEq: ProtocolHandler = {
  name: 'IP = text',
  applies: (a, b) => (a instanceof IPValue && (typeof b === 'string' || b instanceof IPValue)) || (typeof a === 'string' && b instanceof IPValue),
  apply(a, b) {
    const x = a instanceof IPValue ? to16(a.bytes) : parseIP(a as string);
    const y = b instanceof IPValue ? to16(b.bytes) : parseIP(b as string);
    if (!x || !y) return false;
    return x.every((v, i) => v === y[i]);
  },
};

/** Teaches `=` about IP values. */
export function installIpProtocols(registry: Registry): void {
  registry.protocols.eq.push(ipEq);
}
