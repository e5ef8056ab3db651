/**
 * `netcat(address=, type=, send=, sep=, chunk_size=, retry=)` (Velociraptor's
 * vql/functions/netcat.go): connects to a TCP address (`host:port`, `[::1]:port`; type "tcp",
 * the default) or a Unix socket (type "unix", address the socket's path), writes `send` when
 * given, and emits what it reads as rows `{Data}`:
 *
 * - split on `sep` (default "\n"; the separator is not kept); a record longer than `chunk_size`
 *   bytes is emitted in pieces of `chunk_size`, so a stream without separators cannot grow
 *   without bound;
 * - with `sep=""`, the data as it arrives, in pieces of at most `chunk_size` bytes (default 64 KiB);
 * - at the end of the stream what is left is the last row.
 *
 * Data is text (a byte string when it is not UTF-8). `retry` (seconds, > 0): after the
 * connection closes or fails, wait that long and connect again, until the query is cancelled.
 * A connection error is a log line naming the address (no row). Cancellation (LIMIT, Ctrl-C)
 * closes the socket at once. With HostOptions.network 'loopback' only this machine (127.0.0.0/8,
 * ::1, localhost) and Unix sockets may be reached, as for http_client().
 */
import { createConnection, type NetConnectOpts } from 'node:net';
import { VDict, abortableSleep, type PluginCall, type PluginDef } from '../../vql/index.ts';
import { bytesToValue } from '../../vql/values/kinds.ts';
import { textBytes } from '../files/text.ts';
import { isLoopbackHost } from './http-request.ts';

const DEFAULT_CHUNK = 64 * 1024;

/** `host:port` or `[v6]:port` (Go's net.SplitHostPort; an empty host is this machine), or null. */
export function splitHostPort(address: string): { host: string; port: number } | null {
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d{1,5})$/.exec(address);
  if (!m) return null;
  const port = Number(m[3]);
  if (port > 65535) return null;
  return { host: (m[1] ?? m[2]) || 'localhost', port };
}

function dataRow(b: Buffer): VDict {
  return new VDict([['Data', bytesToValue(b)]]);
}

interface Session {
  target: NetConnectOpts;
  address: string;
  send: Uint8Array;
  /** Empty: no splitting, pieces as they arrive. */
  sep: Buffer;
  chunk: number;
}

/** One connection: its rows until the stream ends (or fails: logged), the socket closed after. */
async function* connectOnce(s: Session, call: PluginCall): AsyncGenerator<VDict> {
  const { signal } = call;
  const socket = createConnection(s.target);
  const onAbort = () => socket.destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    if (s.send.length) socket.write(s.send);
    let pending: Buffer = Buffer.alloc(0);
    for await (const data of socket as AsyncIterable<Buffer>) {
      if (s.sep.length === 0) {
        for (let i = 0; i < data.length; i += s.chunk) yield dataRow(data.subarray(i, i + s.chunk));
        continue;
      }
      pending = pending.length ? Buffer.concat([pending, data]) : data;
      let start = 0;
      for (;;) {
        const i = pending.indexOf(s.sep, start);
        if (i >= 0 && i - start <= s.chunk) {
          yield dataRow(pending.subarray(start, i));
          start = i + s.sep.length;
        } else if ((i >= 0 ? i : pending.length) - start > s.chunk) {
          // More than chunk_size bytes before the next separator: a piece of chunk_size.
          yield dataRow(pending.subarray(start, start + s.chunk));
          start += s.chunk;
        } else {
          break;
        }
      }
      pending = pending.subarray(start);
    }
    if (pending.length && !signal.aborted) yield dataRow(pending);
  } catch (e) {
    if (!signal.aborted) call.log('error', `${s.address}: ${(e as Error).message}`);
  } finally {
    signal.removeEventListener('abort', onAbort);
    socket.destroy();
  }
}

async function* run(call: PluginCall, loopbackOnly: boolean): AsyncGenerator<VDict> {
  const { args, signal } = call;
  const log = call.log.bind(call);
  const address = String(args.address ?? '');
  const type = String(args.type ?? '').toLowerCase() || 'tcp';
  let target: NetConnectOpts;
  if (type === 'unix') {
    if (!address) {
      log('error', 'address: no socket path given');
      return;
    }
    target = { path: address };
  } else if (type === 'tcp') {
    const hp = splitHostPort(address);
    if (!hp) {
      log('error', `address ${JSON.stringify(address)}: not host:port`);
      return;
    }
    if (loopbackOnly && !isLoopbackHost(hp.host)) {
      log('error', `${address}: ${hp.host} is not this machine: this run may only reach 127.0.0.1, ::1, localhost and Unix sockets`);
      return;
    }
    target = { host: hp.host, port: hp.port };
  } else {
    log('error', `type ${JSON.stringify(args.type)}: must be tcp or unix`);
    return;
  }
  const session: Session = {
    target,
    address,
    send: args.send === undefined || args.send === null ? new Uint8Array() : textBytes(args.send),
    sep: Buffer.from(args.sep === undefined ? '\n' : String(args.sep ?? '')),
    chunk: Number(args.chunk_size ?? 0) > 0 ? Math.floor(Number(args.chunk_size)) : DEFAULT_CHUNK,
  };
  const retryMs = Number(args.retry ?? 0) * 1000;
  for (;;) {
    yield* connectOnce(session, call);
    if (!(retryMs > 0) || signal.aborted) return;
    if (!(await abortableSleep(retryMs, signal))) return;
  }
}

/** The netcat plugin; `loopbackOnly` limits it to this machine (HostOptions.network). */
export function netcatPlugin(loopbackOnly = false): PluginDef {
  return { ...netcatDef, run: (call) => run(call, loopbackOnly) };
}

const netcatDef: Omit<PluginDef, 'run'> = {
  name: 'netcat',
  doc:
    'Connect to a TCP address (host:port) or a Unix socket (type="unix"), send data, and emit what is read as rows {Data}: ' +
    'split on sep (default a newline), or with sep="" in pieces of at most chunk_size bytes. retry=N reconnects after N seconds.',
  args: {
    address: { type: 'string', required: true, doc: 'host:port, or the path of a Unix socket' },
    type: { type: 'string', doc: 'tcp or unix', default: 'tcp' },
    send: { type: 'any', doc: 'Data to send once connected' },
    sep: { type: 'string', doc: 'The separator that splits the data into rows; "" for pieces as they arrive', default: '\\n' },
    chunk_size: { type: 'int', doc: 'Largest row, in bytes', default: '65536' },
    retry: { type: 'float', doc: 'Seconds to wait before connecting again after the connection closes or fails (0: do not)', default: '0' },
  },
};
