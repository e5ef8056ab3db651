/**
 * `host(name=, server=, type=, prefer_go=)` (Velociraptor's vql/networking/host.go, Go's
 * net.Resolver): a DNS lookup. The result is a list of strings; artifacts write
 * `host(name=X)[0]` or `foreach(row=host(name=X))`.
 *
 * - `type` (case-insensitive): empty (default) looks up the addresses of a name, IPv4 and IPv6
 *   (Go's LookupHost; the system resolver, so /etc/hosts counts); `A` and `AAAA` ask for one
 *   family; `CNAME` gives the canonical name; `NS`, `MX`, `TXT` the records' hosts / texts; `PTR`
 *   the names of an address.
 * - `server`: ask this DNS server (`1.2.3.4`, `1.2.3.4:5353`, `[::1]:53`) instead of the
 *   system resolver; /etc/hosts is then not consulted.
 * - `prefer_go`: accepted for compatibility; there is one resolver here.
 *
 * A failed lookup (no such host, timeout, refused) logs `host: lookup NAME: REASON` at warning
 * level and gives NULL. Lookups stop when the query is cancelled.
 */
import { lookup } from 'node:dns/promises';
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { FunctionDef, Value } from '../../vql/index.ts';

/** `host:port`, `host`, `[v6]:port` or a bare IPv6 address, as the resolver's server list wants it. */
function serverAddress(s: string): string {
  if (isIP(s) === 6) return `[${s}]:53`;
  if (s.startsWith('[')) return s.includes(']:') ? s : `${s}:53`;
  return s.includes(':') ? s : `${s}:53`;
}

async function resolveWith(resolver: Resolver | null, name: string, type: string): Promise<string[]> {
  const r = resolver ?? new Resolver();
  switch (type) {
    case '':
    case 'IP': {
      if (!resolver) {
        const all = await lookup(name, { all: true, verbatim: true });
        return all.map((a) => a.address);
      }
      const [v4, v6] = await Promise.allSettled([r.resolve4(name), r.resolve6(name)]);
      const out = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
      if (out.length === 0) throw (v4.status === 'rejected' ? v4.reason : (v6 as PromiseRejectedResult).reason) as Error;
      return out;
    }
    case 'A':
      return r.resolve4(name);
    case 'AAAA':
      return r.resolve6(name);
    case 'CNAME': {
      const c = await r.resolveCname(name);
      return c.map((x) => (x.endsWith('.') ? x : x + '.'));
    }
    case 'NS':
      return (await r.resolveNs(name)).map((x) => (x.endsWith('.') ? x : x + '.'));
    case 'MX':
      return (await r.resolveMx(name)).map((x) => (x.exchange.endsWith('.') ? x.exchange : x.exchange + '.'));
    case 'TXT':
      return (await r.resolveTxt(name)).map((parts) => parts.join(''));
    case 'PTR':
      return (await r.reverse(name)).map((x) => (x.endsWith('.') ? x : x + '.'));
    default:
      throw new Error(`unknown type ${JSON.stringify(type)} (use A, AAAA, CNAME, NS, MX, TXT or PTR)`);
  }
}

function reason(e: unknown): string {
  const code = (e as { code?: string }).code;
  if (code === 'ENOTFOUND' || code === 'ENODATA') return 'no such host';
  if (code === 'ETIMEOUT') return 'i/o timeout';
  if (code === 'ECONNREFUSED') return 'connection refused';
  return code ? `${code}: ${(e as Error).message}` : (e as Error).message;
}

export const host: FunctionDef = {
  name: 'host',
  doc: 'Look up a DNS name: its IP addresses (default), or type= CNAME, NS, MX, TXT, PTR, A, AAAA records; server= asks a given DNS server.',
  args: {
    name: { type: 'string', required: true, doc: 'The name to look up (an address for type=PTR)' },
    server: { type: 'string', doc: 'A DNS server (ip or ip:port) to ask instead of the system resolver' },
    type: { type: 'string', doc: 'The record type: empty for the addresses, or A, AAAA, CNAME, NS, MX, TXT, PTR' },
    prefer_go: { type: 'bool', doc: 'Accepted for compatibility (Go\'s own resolver); no effect here' },
  },
  async run(call) {
    const { args, scope } = call;
    const name = String(args.name ?? '');
    const type = String(args.type ?? '').toUpperCase();
    let resolver: Resolver | null = null;
    if (typeof args.server === 'string' && args.server !== '') {
      resolver = new Resolver({ timeout: 5000, tries: 2 });
      try {
        resolver.setServers([serverAddress(args.server)]);
      } catch (e) {
        call.log('error', `argument server: ${JSON.stringify(args.server)}: ${(e as Error).message}`);
        return null;
      }
    } else if (type !== '' && type !== 'IP') {
      resolver = new Resolver({ timeout: 5000, tries: 2 });
    }
    const signal = scope.signal;
    if (signal.aborted) return null;
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<'aborted'>((res) => {
      onAbort = () => {
        resolver?.cancel();
        res('aborted');
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const r = await Promise.race([resolveWith(resolver, name, type), aborted]);
      if (r === 'aborted') return null;
      return r as Value;
    } catch (e) {
      if (signal.aborted) return null;
      if (/^unknown type/.test((e as Error).message)) call.log('error', `argument type: ${(e as Error).message}`);
      else call.log('warn', `lookup ${name}: ${reason(e)}`);
      return null;
    } finally {
      signal.removeEventListener('abort', onAbort!);
    }
  },
};
