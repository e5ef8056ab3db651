/**
 * Linux sockets from /proc/net (tcp, tcp6, udp, udp6, unix) and the processes that own them
 * (the `socket:[inode]` links under /proc/<pid>/fd), for netstat() and connections().
 * Synchronous reads of small pseudo-files; no child process.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { endianness } from 'node:os';
import { readProcFile } from '../system/proc.ts';
import { ipText } from './interfaces.ts';

export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;

/** One socket as Velociraptor's ConnectionStat holds it. */
export interface Socket {
  family: number;
  type: number;
  laddr: { ip: string; port: number };
  raddr: { ip: string; port: number };
  status: string;
  inode: number;
  pid: number;
}

/** The kernel's TCP states (include/net/tcp_states.h) under Velociraptor's names; others are dropped. */
const TCP_STATES: Record<number, string> = {
  1: 'ESTAB',
  2: 'SYN_SENT',
  3: 'SYN_RCVD',
  4: 'FIN_WAIT1',
  5: 'FIN_WAIT2',
  6: 'TIME_WAIT',
  7: 'CLOSE',
  8: 'CLOSE_WAIT',
  9: 'LAST_ACK',
  10: 'LISTEN',
  11: 'CLOSING',
};

/** `0100007F:0016` (IPv4 as a host-order word) or 32 hex digits (four host-order words) and a port. */
export function parseHexAddr(text: string): { ip: string; port: number } {
  const [hex = '', port = '0'] = text.split(':');
  const bytes = new Uint8Array(hex.length / 2);
  // Each 32-bit word is in the machine's byte order.
  const big = endianness() === 'BE';
  for (let w = 0; w < hex.length / 8; w++) {
    let word = parseInt(hex.slice(w * 8, w * 8 + 8), 16);
    if (big) word = ((word & 0xff) << 24 | (word & 0xff00) << 8 | (word >>> 8) & 0xff00 | word >>> 24) >>> 0;
    bytes[w * 4] = word & 0xff;
    bytes[w * 4 + 1] = (word >>> 8) & 0xff;
    bytes[w * 4 + 2] = (word >>> 16) & 0xff;
    bytes[w * 4 + 3] = word >>> 24;
  }
  return { ip: ipText(bytes), port: parseInt(port, 16) || 0 };
}

/** The inet sockets of one /proc/net table (`tcp`, `tcp6`, `udp`, `udp6`). */
export function inetSockets(table: 'tcp' | 'tcp6' | 'udp' | 'udp6', text = readProcFile(`/proc/net/${table}`) ?? ''): Socket[] {
  const family = table.endsWith('6') ? AF_INET6 : AF_INET;
  const type = table.startsWith('tcp') ? SOCK_STREAM : SOCK_DGRAM;
  const out: Socket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const status = TCP_STATES[parseInt(f[3]!, 16)];
    if (status === undefined) continue;
    out.push({ family, type, laddr: parseHexAddr(f[1]!), raddr: parseHexAddr(f[2]!), status, inode: Number(f[9]), pid: -1 });
  }
  return out;
}

const SO_ACCEPTCON = 0x10000;
const SS_CONNECTED = 3;

/**
 * The Unix sockets of /proc/net/unix: `Laddr.IP` is the path (`@name` for the abstract
 * namespace, '' for unnamed ones), `Type` the socket type (1 stream, 2 datagram, 5 seqpacket),
 * `Status` LISTEN (accepting), ESTAB (connected) or CLOSE.
 */
export function unixSockets(text = readProcFile('/proc/net/unix') ?? ''): Socket[] {
  const out: Socket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 7) continue;
    const flags = parseInt(f[3]!, 16);
    const state = parseInt(f[5]!, 16);
    const status = flags & SO_ACCEPTCON ? 'LISTEN' : state === SS_CONNECTED ? 'ESTAB' : 'CLOSE';
    const path = f.slice(7).join(' ');
    out.push({ family: AF_UNIX, type: parseInt(f[4]!, 16), laddr: { ip: path, port: 0 }, raddr: { ip: '', port: 0 }, status, inode: Number(f[6]), pid: -1 });
  }
  return out;
}

/** Socket inode -> owning pid, from the `socket:[N]` links of every /proc/<pid>/fd (the lowest pid wins). */
export function socketOwners(signal?: AbortSignal): Map<number, number> {
  const owners = new Map<number, number>();
  let pids: number[];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
  } catch {
    return owners;
  }
  for (const pid of pids) {
    if (signal?.aborted) break;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // Gone, or another user's process without privileges.
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (!link.startsWith('socket:[')) continue;
      const inode = Number(link.slice(8, -1));
      if (!owners.has(inode)) owners.set(inode, pid);
    }
  }
  return owners;
}

/** tcp, tcp6, udp and udp6 sockets (and, with `unix`, Unix sockets), with their owners (-1 when unknown). */
export function linuxSockets(unix: boolean, signal?: AbortSignal): Socket[] {
  const all = [...inetSockets('tcp'), ...inetSockets('tcp6'), ...inetSockets('udp'), ...inetSockets('udp6')];
  if (unix) all.push(...unixSockets());
  const owners = socketOwners(signal);
  for (const s of all) s.pid = s.inode === 0 ? -1 : owners.get(s.inode) ?? -1;
  return all;
}
