/**
 * One HTTP(S) exchange for http_client(), with Go's net/http client behaviour where artifacts
 * can see it: redirects followed (at most 10; 301/302/303 turn into a GET without body,
 * 307/308 keep the method and body), `Accept-Encoding: gzip` added and the body transparently
 * decompressed (the response then has no Content-Encoding / Content-Length headers), response
 * header names in Go's canonical form (`Content-Type`) with every value kept, a 10000 s client
 * timeout, and cancellation by the query's signal. URLs of the form
 * `/path/to.sock:unix/http/path` go over a Unix socket.
 */
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';

/** Go's http.Client timeout in Velociraptor's http_client. */
export const CLIENT_TIMEOUT_MS = 10_000_000;
const MAX_REDIRECTS = 10;

export interface RequestSpec {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Buffer | null;
  skipVerify: boolean;
  rootCa: string;
  signal: AbortSignal;
  /** Only this machine may be reached (HostOptions.network 'loopback'); redirects included. */
  loopbackOnly?: boolean;
  /** Cookie header for a host (the query's jar), and a sink for Set-Cookie. */
  cookies?: { get(host: string): string; set(host: string, setCookie: string[]): void };
}

export interface Response {
  status: number;
  /** Canonical header name -> values. */
  headers: Map<string, string[]>;
  body: Readable;
}

/** Go's `textproto.CanonicalMIMEHeaderKey`: `content-type` -> `Content-Type`. */
export function canonicalHeader(name: string): string {
  if (!/^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/.test(name)) return name;
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
}

/** Whether a URL host names this machine: localhost, 127.0.0.0/8 or ::1 (as literals). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::1' || /^(0:){7}1$/.test(h) || h === '::ffff:127.0.0.1';
}

/** Splits `/path/to.sock:unix/http/path` into the socket and the request path. */
export function unixSocketUrl(url: string): { socketPath: string; path: string } | null {
  const m = /^(\/.+?):unix(\/.*)?$/.exec(url);
  return m ? { socketPath: m[1]!, path: m[2] ?? '/' } : null;
}

function once(spec: RequestSpec, url: string, method: string, body: Buffer | null, addedGzip: boolean): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const headers: OutgoingHttpHeaders = { ...spec.headers };
    if (body) headers['Content-Length'] = String(body.length);
    if (addedGzip) headers['Accept-Encoding'] = 'gzip';
    const unix = unixSocketUrl(url);
    let req;
    if (unix) {
      req = httpRequest({ socketPath: unix.socketPath, path: unix.path, method, headers: { Host: 'localhost', ...headers } });
    } else {
      const u = new URL(url);
      if (spec.loopbackOnly && !isLoopbackHost(u.hostname)) {
        reject(new Error(`${u.hostname} is not this machine: this run may only reach 127.0.0.1, ::1, localhost and Unix sockets`));
        return;
      }
      const cookie = spec.cookies?.get(u.host);
      if (cookie && !Object.keys(headers).some((k) => k.toLowerCase() === 'cookie')) headers.Cookie = cookie;
      if (u.protocol === 'https:') {
        req = httpsRequest(u, {
          method,
          headers,
          rejectUnauthorized: !spec.skipVerify,
          ca: spec.rootCa ? [...rootCertificates, spec.rootCa] : undefined,
        });
      } else if (u.protocol === 'http:') {
        req = httpRequest(u, { method, headers });
      } else {
        reject(new Error(`unsupported protocol scheme "${u.protocol.replace(/:$/, '')}"`));
        return;
      }
    }
    const onAbort = () => req.destroy(new Error('cancelled'));
    const timer = setTimeout(() => req.destroy(new Error(`Client.Timeout exceeded (${CLIENT_TIMEOUT_MS / 1000} s)`)), CLIENT_TIMEOUT_MS);
    timer.unref();
    spec.signal.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      clearTimeout(timer);
      spec.signal.removeEventListener('abort', onAbort);
    };
    req.on('response', (res) => {
      res.once('close', done);
      if (!unix) {
        const set = res.headers['set-cookie'];
        if (set?.length) spec.cookies?.set(new URL(url).host, set);
      }
      resolve(res);
    });
    req.on('error', (e) => {
      done();
      reject(e);
    });
    req.end(body ?? undefined);
  });
}

/** Sends the request (following redirects) and returns the final response with a readable body. */
export async function send(spec: RequestSpec): Promise<Response> {
  let url = spec.url;
  let method = spec.method;
  let body = spec.body;
  const userEncoding = Object.keys(spec.headers).some((k) => /^(accept-encoding|range)$/i.test(k));
  const addedGzip = !userEncoding && method !== 'HEAD';
  for (let hops = 0; ; hops++) {
    const res = await once(spec, url, method, body, addedGzip);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if ([301, 302, 303, 307, 308].includes(status) && location && !unixSocketUrl(url)) {
      res.resume();
      if (hops >= MAX_REDIRECTS) throw new Error(`stopped after ${MAX_REDIRECTS} redirects`);
      url = new URL(location, url).toString();
      if (status !== 307 && status !== 308) {
        if (method !== 'GET' && method !== 'HEAD') method = 'GET';
        body = null;
      }
      continue;
    }
    const headers = new Map<string, string[]>();
    const raw = res.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const k = canonicalHeader(raw[i]!);
      const l = headers.get(k);
      if (l) l.push(raw[i + 1]!);
      else headers.set(k, [raw[i + 1]!]);
    }
    let stream: Readable = res;
    if (addedGzip && /^gzip$/i.test(headers.get('Content-Encoding')?.[0] ?? '')) {
      headers.delete('Content-Encoding');
      headers.delete('Content-Length');
      const gunzip = createGunzip();
      res.on('error', (e) => gunzip.destroy(e));
      stream = res.pipe(gunzip);
    }
    return { status, headers, body: stream };
  }
}
