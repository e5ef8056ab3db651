/**
 * `netstat()` and `connections()` (VQL-FUNCTIONS.md 3.3, Velociraptor's
 * vql/networking/netstat_linux.go): the sockets of this machine, all gathered first, then one
 * row per socket, a ConnectionStat:
 * - columns (SELECT *, JSON): `Fd` (always 0), `Family` (2 AF_INET, 10 AF_INET6, 1 AF_UNIX),
 *   `Type` (1 stream, 2 datagram), `Laddr` and `Raddr` (`{IP, Port}`), `Status`, `Pid`
 *   (-1 when no process's fd table holds the socket, e.g. another user's without root);
 * - methods, readable by name but not in SELECT * or JSON: `FamilyString` (IPv4, IPv6, unix),
 *   `TypeString` (TCP, UDP...), `Timestamp` (the zero time on Linux, as in Velociraptor).
 * Linux reads /proc/net/tcp, tcp6, udp and udp6 (main/host/net/proc-net.ts); `connections()`,
 * which Linux.Network.NetstatEnriched calls, gives the same rows plus the Unix sockets of
 * /proc/net/unix (Laddr.IP = the socket's path). Other systems: not implemented (logged, no rows).
 */
import { ABSENT, GET_MEMBER, MEMBERS, VDict, VTime, type Absent, type HostObject, type PluginDef, type Value } from '../../vql/index.ts';
import { AF_INET, AF_INET6, AF_UNIX, linuxSockets, type Socket } from './proc-net.ts';

const COLUMNS = ['Fd', 'Family', 'Type', 'Laddr', 'Raddr', 'Status', 'Pid'] as const;
/** Go's zero time. */
const ZERO_TIME = new VTime(-62135596800n * 1_000_000_000n);

/** One socket: Velociraptor's ConnectionStat with its three methods. */
export class ConnectionStat implements HostObject {
  private readonly values: Record<(typeof COLUMNS)[number], Value>;
  constructor(readonly socket: Socket) {
    this.values = {
      Fd: 0,
      Family: socket.family,
      Type: socket.type,
      Laddr: new VDict([['IP', socket.laddr.ip], ['Port', socket.laddr.port]]),
      Raddr: new VDict([['IP', socket.raddr.ip], ['Port', socket.raddr.port]]),
      Status: socket.status,
      Pid: socket.pid,
    };
  }
  [MEMBERS](): readonly string[] {
    return COLUMNS;
  }
  [GET_MEMBER](name: string): Value | Absent {
    switch (name) {
      case 'FamilyString':
        return familyString(this.socket.family);
      case 'TypeString':
        return typeString(this.socket);
      case 'Timestamp':
        return ZERO_TIME;
    }
    return name in this.values ? this.values[name as (typeof COLUMNS)[number]] : ABSENT;
  }
  toJSON(): Record<string, Value> {
    return { ...this.values };
  }
}

function familyString(f: number): string {
  if (f === AF_INET) return 'IPv4';
  if (f === AF_INET6) return 'IPv6';
  if (f === AF_UNIX) return 'unix';
  return String(f);
}

function typeString(s: Socket): string {
  if (s.family === AF_UNIX) return s.type === 1 ? 'STREAM' : s.type === 2 ? 'DGRAM' : s.type === 5 ? 'SEQPACKET' : String(s.type);
  return s.type === 1 ? 'TCP' : s.type === 2 ? 'UDP' : String(s.type);
}

function socketPlugin(name: string, unix: boolean, doc: string): PluginDef {
  return {
    name,
    doc,
    args: {},
    *run({ signal, log }) {
      if (process.platform !== 'linux') {
        log('error', `not implemented on ${process.platform} yet (Linux only: /proc/net)`);
        return;
      }
      const sockets = linuxSockets(unix, signal);
      log('info', `gathered ${sockets.length} socket entries`);
      for (const s of sockets) {
        if (signal.aborted) return;
        yield new ConnectionStat(s);
      }
    },
  };
}

export const netstat = socketPlugin(
  'netstat',
  false,
  'The TCP and UDP sockets of this machine (Linux: /proc/net/tcp, tcp6, udp, udp6): Fd, Family, Type, Laddr {IP, Port}, Raddr, ' +
    'Status (LISTEN, ESTAB...), Pid (-1 when unknown); FamilyString, TypeString and Timestamp are readable by name.',
);

export const connections = socketPlugin(
  'connections',
  true,
  'Like netstat(), plus the Unix sockets of /proc/net/unix (Laddr.IP is the path; TypeString STREAM, DGRAM...). Linux only.',
);
