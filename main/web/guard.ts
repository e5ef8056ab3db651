/**
 * The web host's gate: what a request must carry to be answered. Pure functions over the
 * request's target and headers, so every rule is tested without a server.
 *
 * The threat: other pages and programs on the same machine. Any web page the user visits can
 * make the browser send requests to 127.0.0.1 (an <img>, a form, a WebSocket), and a page served
 * by another local program (a dev server, a notebook) is *same-site* with the host: browsers send
 * it `SameSite=Strict` cookies. So:
 * - the Host header must name this host (127.0.0.1 or localhost at our port): a DNS-rebinding
 *   page on another name is refused;
 * - an Origin header, when present, must be exactly the origin we serve (scheme, host, port), on
 *   every request and on the WebSocket upgrade; `Sec-Fetch-Site`, when present, must say
 *   `same-origin` (or `none`: the user opened the URL);
 * - the token must be presented: for page loads in the URL, a header, or the cookie the page got;
 *   for the WebSocket never by the cookie alone (it is ambient): the page sends it itself, as a
 *   WebSocket subprotocol (`vql.token.<hex>`), or a tool sends it in the URL or a header.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { WS_TOKEN_PROTOCOL } from './ws-protocol.ts';

/** The cookie that lets the page's own assets load after the first, tokened request. */
export const TOKEN_COOKIE = 'vql_token';

export interface Target {
  /** Percent-decoded path, starting with `/`. */
  readonly path: string;
  readonly query: URLSearchParams;
}

/**
 * The path and query of an origin-form request target (`/path?query`), or null for anything
 * else: an absolute-form target (`http://[`), an authority (`//a:b` is read as a path here, never
 * as a URL), a bad percent escape (`%zz`, `%E0%A4%A`), or a NUL. Never throws.
 */
export function parseTarget(raw: string | undefined): Target | null {
  if (!raw || raw[0] !== '/') return null;
  const q = raw.indexOf('?');
  const rawPath = q < 0 ? raw : raw.slice(0, q);
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  return { path, query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

/** Host header values that name this host. */
export function ownHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

/**
 * Why a request must be refused for where it comes from, or null when it may go on: the Host,
 * the Origin (exactly `http://` + that Host) and the Fetch Metadata checks above.
 */
export function refusedOrigin(headers: IncomingHttpHeaders, port: number): string | null {
  const host = headers.host ?? '';
  if (!ownHosts(port).includes(host)) return `the Host header ${JSON.stringify(host.slice(0, 100))} is not this host`;
  const origin = headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) return `the origin ${JSON.stringify(origin.slice(0, 100))} is not this host's page`;
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `a ${String(site).slice(0, 20)} request (another page's)`;
  return null;
}

/** Compares tokens in constant time. */
export function sameToken(given: string | null | undefined, token: string): boolean {
  if (!given || given.length !== token.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(token));
}

/** The token of the `Authorization: Bearer` header. */
function bearer(headers: IncomingHttpHeaders): string | null {
  const auth = headers.authorization;
  return auth?.startsWith('Bearer ') ? auth.slice(7) : null;
}

/** The token of the cookie, if any. */
function cookieToken(headers: IncomingHttpHeaders): string | null {
  const m = new RegExp(`(?:^|;\\s*)${TOKEN_COOKIE}=([0-9a-f]+)`).exec(headers.cookie ?? '');
  return m ? m[1]! : null;
}

/** The token offered as a WebSocket subprotocol. */
export function protocolToken(headers: IncomingHttpHeaders): string | null {
  for (const p of String(headers['sec-websocket-protocol'] ?? '').split(',')) {
    const name = p.trim();
    if (name.startsWith(WS_TOKEN_PROTOCOL)) return name.slice(WS_TOKEN_PROTOCOL.length);
  }
  return null;
}

/** Does an HTTP request carry some token (URL, header or cookie), right or not? A wrong one is most likely an old start's. */
export function httpTokenOffered(target: Target, headers: IncomingHttpHeaders): boolean {
  return [target.query.get('token'), bearer(headers), cookieToken(headers)].some((t) => !!t);
}

/** Does an HTTP request carry the token (URL, header, or the page's cookie)? */
export function httpAuthorized(target: Target, headers: IncomingHttpHeaders, token: string): boolean {
  return [target.query.get('token'), bearer(headers), cookieToken(headers)].some((t) => sameToken(t, token));
}

/** Does a WebSocket upgrade carry the token itself (subprotocol, URL or header: not the cookie alone)? */
export function upgradeAuthorized(target: Target, headers: IncomingHttpHeaders, token: string): boolean {
  return [protocolToken(headers), target.query.get('token'), bearer(headers)].some((t) => sameToken(t, token));
}
