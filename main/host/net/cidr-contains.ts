/**
 * `cidr_contains(ip=, ranges=)` (Velociraptor's vql/functions/cidr.go): true when the address
 * is in any of the CIDR ranges (`192.168.0.0/24`, `fe80::/10`), with Go's `IPNet.Contains`
 * rules: an IPv4 address (or its IPv4-mapped IPv6 form) matches IPv4 ranges.
 *
 * Bad input gives false with a log line naming the argument: an `ip` that is not an address;
 * a range that is not CIDR notation is logged and skipped (the other ranges still count).
 */
import type { FunctionDef } from '../../vql/index.ts';
import { textOf } from '../files/text.ts';
import { netContains, parseCIDR, parseIP } from './ip-address.ts';
import { IPValue } from './ip.ts';

export const cidrContains: FunctionDef = {
  name: 'cidr_contains',
  doc: 'Is the IP address in any of the CIDR ranges (e.g. ranges=["192.168.0.0/16", "10.0.0.0/8"])?',
  args: {
    ip: { type: 'any', required: true, doc: 'An IP address (text or an ip() value)' },
    ranges: { type: 'strings', required: true, doc: 'CIDR network ranges' },
  },
  onArgError: false,
  run(call) {
    const { args } = call;
    const addr = args.ip instanceof IPValue ? args.ip.bytes : parseIP(textOf(args.ip));
    if (!addr) {
      call.log('error', `argument ip: ${JSON.stringify(textOf(args.ip))} is not an IP address`);
      return false;
    }
    for (const r of (args.ranges as string[]) ?? []) {
      const net = parseCIDR(r);
      if (!net) {
        call.log('error', `argument ranges: ${JSON.stringify(r)} is not a CIDR range (like 10.0.0.0/8)`);
        continue;
      }
      if (netContains(net, addr)) return true;
    }
    return false;
  },
};
