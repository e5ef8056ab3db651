/**
 * A port of Go's `net/url` parsing and printing (url.Parse, URL.String, URL.EscapedPath,
 * url.Values.Encode, URL.Query), which Velociraptor's url() function returns as it is: the
 * same fields (Scheme, Opaque, User, Host, Path, RawPath, OmitHost, ForceQuery, RawQuery,
 * Fragment, RawFragment), the same escaping and the same errors (`parse "x": invalid URL
 * escape "%zz"`). Strings are handled as UTF-8 bytes, as Go does.
 */

type Mode = 'path' | 'pathSegment' | 'host' | 'zone' | 'userPassword' | 'queryComponent' | 'fragment';

export interface Userinfo {
  readonly username: string;
  readonly password?: string;
}

export interface GoURL {
  Scheme: string;
  Opaque: string;
  User: Userinfo | null;
  Host: string;
  Path: string;
  RawPath: string;
  OmitHost: boolean;
  ForceQuery: boolean;
  RawQuery: string;
  Fragment: string;
  RawFragment: string;
}

export function emptyURL(): GoURL {
  return { Scheme: '', Opaque: '', User: null, Host: '', Path: '', RawPath: '', OmitHost: false, ForceQuery: false, RawQuery: '', Fragment: '', RawFragment: '' };
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const HEX = '0123456789ABCDEF';

function isAlnum(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);
}

function shouldEscape(c: number, mode: Mode): boolean {
  if (isAlnum(c)) return false;
  const ch = String.fromCharCode(c);
  if (mode === 'host' || mode === 'zone') {
    if ("!$&'()*+,;=:[]<>\"".includes(ch)) return false;
  }
  if ('-_.~'.includes(ch)) return false;
  if ('$&+,/:;=?@'.includes(ch)) {
    switch (mode) {
      case 'path':
        return ch === '?';
      case 'pathSegment':
        return ch === '/' || ch === ';' || ch === ',' || ch === '?';
      case 'userPassword':
        return ch === '@' || ch === '/' || ch === '?' || ch === ':';
      case 'queryComponent':
        return true;
      case 'fragment':
        return false;
      default:
        break;
    }
  }
  if (mode === 'fragment' && '!()*'.includes(ch)) return false;
  return true;
}

/** Go's url.escape. */
export function escape(s: string, mode: Mode): string {
  const b = enc.encode(s);
  let out = '';
  for (const c of b) {
    if (c === 0x20 && mode === 'queryComponent') out += '+';
    else if (shouldEscape(c, mode)) out += '%' + HEX[c >> 4] + HEX[c & 15];
    else out += String.fromCharCode(c);
  }
  // Only ASCII was emitted unescaped, except bytes >= 0x80 which are always escaped.
  return out;
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46));
}

function unhex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return c - 0x41 + 10;
}

export class URLError extends Error {}

/** Go's url.unescape; throws URLError with Go's message. */
export function unescape(s: string, mode: Mode): string {
  const b = enc.encode(s);
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    if (c === 0x25) {
      if (i + 2 >= b.length || !isHex(b[i + 1]) || !isHex(b[i + 2])) {
        throw new URLError(`invalid URL escape ${JSON.stringify(dec.decode(b.subarray(i, i + 3)))}`);
      }
      const piece = dec.decode(b.subarray(i, i + 3));
      if (mode === 'host' && unhex(b[i + 1]!) < 8 && piece !== '%25') throw new URLError(`invalid URL escape ${JSON.stringify(piece)}`);
      if (mode === 'zone') {
        const v = (unhex(b[i + 1]!) << 4) | unhex(b[i + 2]!);
        if (piece !== '%25' && v !== 0x20 && shouldEscape(v, 'host')) throw new URLError(`invalid URL escape ${JSON.stringify(piece)}`);
      }
      i += 3;
    } else {
      if ((mode === 'host' || mode === 'zone') && c < 0x80 && shouldEscape(c, mode)) {
        throw new URLError(`invalid character ${JSON.stringify(String.fromCharCode(c))} in host name`);
      }
      i++;
    }
  }
  const out: number[] = [];
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c === 0x25) {
      out.push((unhex(b[i + 1]!) << 4) | unhex(b[i + 2]!));
      i += 2;
    } else if (c === 0x2b && mode === 'queryComponent') {
      out.push(0x20);
    } else {
      out.push(c);
    }
  }
  return dec.decode(new Uint8Array(out));
}

function getScheme(raw: string): [string, string] {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)) continue;
    if ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e) {
      if (i === 0) return ['', raw];
      continue;
    }
    if (c === 0x3a) {
      if (i === 0) throw new URLError('missing protocol scheme');
      return [raw.slice(0, i), raw.slice(i + 1)];
    }
    return ['', raw];
  }
  return ['', raw];
}

function validOptionalPort(port: string): boolean {
  if (port === '') return true;
  if (port[0] !== ':') return false;
  return /^[0-9]*$/.test(port.slice(1));
}

function parseHost(host: string): string {
  if (host.startsWith('[')) {
    const i = host.lastIndexOf(']');
    if (i < 0) throw new URLError("missing ']' in host");
    const colonPort = host.slice(i + 1);
    if (!validOptionalPort(colonPort)) throw new URLError(`invalid port ${JSON.stringify(colonPort)} after host`);
    const zone = host.slice(0, i).indexOf('%25');
    if (zone >= 0) {
      return unescape(host.slice(0, zone), 'host') + unescape(host.slice(zone, i), 'zone') + unescape(host.slice(i), 'host');
    }
  } else {
    const i = host.lastIndexOf(':');
    if (i !== -1) {
      const colonPort = host.slice(i);
      if (!validOptionalPort(colonPort)) throw new URLError(`invalid port ${JSON.stringify(colonPort)} after host`);
    }
  }
  return unescape(host, 'host');
}

function validUserinfo(s: string): boolean {
  return /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(s);
}

function parseAuthority(authority: string): [Userinfo | null, string] {
  const i = authority.lastIndexOf('@');
  const host = parseHost(i < 0 ? authority : authority.slice(i + 1));
  if (i < 0) return [null, host];
  const userinfo = authority.slice(0, i);
  if (!validUserinfo(userinfo)) throw new URLError('net/url: invalid userinfo');
  const colon = userinfo.indexOf(':');
  if (colon < 0) return [{ username: unescape(userinfo, 'userPassword') }, host];
  return [{ username: unescape(userinfo.slice(0, colon), 'userPassword'), password: unescape(userinfo.slice(colon + 1), 'userPassword') }, host];
}

function setPath(u: GoURL, p: string): void {
  u.Path = unescape(p, 'path');
  u.RawPath = escape(u.Path, 'path') === p ? '' : p;
}

function setFragment(u: GoURL, f: string): void {
  u.Fragment = unescape(f, 'fragment');
  u.RawFragment = escape(u.Fragment, 'fragment') === f ? '' : f;
}

function parseNoFragment(raw: string): GoURL {
  if (/[\x00-\x1f\x7f]/.test(raw)) throw new URLError('net/url: invalid control character in URL');
  const u = emptyURL();
  if (raw === '*') {
    u.Path = '*';
    return u;
  }
  let [scheme, rest] = getScheme(raw);
  u.Scheme = scheme.toLowerCase();
  if (rest.endsWith('?') && rest.split('?').length === 2) {
    u.ForceQuery = true;
    rest = rest.slice(0, -1);
  } else {
    const q = rest.indexOf('?');
    if (q >= 0) {
      u.RawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
  }
  if (!rest.startsWith('/')) {
    if (u.Scheme !== '') {
      u.Opaque = rest;
      return u;
    }
    const segment = rest.split('/')[0]!;
    if (segment.includes(':')) throw new URLError('first path segment in URL cannot contain colon');
  }
  if ((u.Scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
    let authority = rest.slice(2);
    rest = '';
    const i = authority.indexOf('/');
    if (i >= 0) {
      rest = authority.slice(i);
      authority = authority.slice(0, i);
    }
    [u.User, u.Host] = parseAuthority(authority);
  } else if (u.Scheme !== '' && rest.startsWith('/')) {
    u.OmitHost = true;
  }
  setPath(u, rest);
  return u;
}

/** Go's url.Parse. Throws URLError with Go's message (`parse "x": ...`). */
export function parseURL(raw: string): GoURL {
  const hash = raw.indexOf('#');
  const u = hash < 0 ? raw : raw.slice(0, hash);
  let url: GoURL;
  try {
    url = parseNoFragment(u);
  } catch (e) {
    throw new URLError(`parse ${JSON.stringify(u)}: ${(e as Error).message}`);
  }
  if (hash < 0) return url;
  try {
    setFragment(url, raw.slice(hash + 1));
  } catch (e) {
    throw new URLError(`parse ${JSON.stringify(raw)}: ${(e as Error).message}`);
  }
  return url;
}

function validEncoded(s: string, mode: Mode): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ("!$&'()*+,;=:@[]".includes(s[i]!)) continue;
    if (c === 0x25) continue;
    if (shouldEscape(c, mode)) return false;
  }
  return true;
}

function unescapeOr(s: string, mode: Mode): string | null {
  try {
    return unescape(s, mode);
  } catch {
    return null;
  }
}

/** Go's URL.EscapedPath. */
export function escapedPath(u: GoURL): string {
  if (u.RawPath !== '' && validEncoded(u.RawPath, 'path') && unescapeOr(u.RawPath, 'path') === u.Path) return u.RawPath;
  if (u.Path === '*') return '*';
  return escape(u.Path, 'path');
}

/** Go's URL.EscapedFragment. */
export function escapedFragment(u: GoURL): string {
  if (u.RawFragment !== '' && validEncoded(u.RawFragment, 'fragment') && unescapeOr(u.RawFragment, 'fragment') === u.Fragment) return u.RawFragment;
  return escape(u.Fragment, 'fragment');
}

/** Go's Userinfo.String. */
export function userString(ui: Userinfo): string {
  let s = escape(ui.username, 'userPassword');
  if (ui.password !== undefined) s += ':' + escape(ui.password, 'userPassword');
  return s;
}

/** Go's URL.String. */
export function urlString(u: GoURL): string {
  let buf = '';
  if (u.Scheme !== '') buf += u.Scheme + ':';
  if (u.Opaque !== '') {
    buf += u.Opaque;
  } else {
    if (u.Scheme !== '' || u.Host !== '' || u.User !== null) {
      if (!(u.OmitHost && u.Host === '' && u.User === null)) {
        if (u.Host !== '' || u.Path !== '' || u.User !== null) buf += '//';
        if (u.User) buf += userString(u.User) + '@';
        if (u.Host !== '') buf += escape(u.Host, 'host');
      }
    }
    const path = escapedPath(u);
    if (path !== '' && path[0] !== '/' && u.Host !== '') buf += '/';
    if (buf === '') {
      const segment = path.split('/')[0]!;
      if (segment.includes(':')) buf += './';
    }
    buf += path;
  }
  if (u.ForceQuery || u.RawQuery !== '') buf += '?' + u.RawQuery;
  if (u.Fragment !== '') buf += '#' + escapedFragment(u);
  return buf;
}

/** Go's url.ParseQuery as URL.Query() uses it: bad pairs are skipped. Keys in first-seen order. */
export function parseQuery(q: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of q.split('&')) {
    if (part === '' || part.includes(';')) continue;
    const eqAt = part.indexOf('=');
    const k = unescapeOr(eqAt < 0 ? part : part.slice(0, eqAt), 'queryComponent');
    const v = unescapeOr(eqAt < 0 ? '' : part.slice(eqAt + 1), 'queryComponent');
    if (k === null || v === null) continue;
    const list = out.get(k);
    if (list) list.push(v);
    else out.set(k, [v]);
  }
  return out;
}

/** Go's url.Values.Encode: keys sorted, `k=v` pairs joined with `&`, query-escaped. */
export function encodeQuery(values: ReadonlyMap<string, readonly string[]>): string {
  const keys = [...values.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const parts: string[] = [];
  for (const k of keys) {
    const ek = escape(k, 'queryComponent');
    for (const v of values.get(k)!) parts.push(ek + '=' + escape(v, 'queryComponent'));
  }
  return parts.join('&');
}

/** Go's URL.Hostname. */
export function hostname(u: GoURL): string {
  const [host] = splitHostPort(u.Host);
  return host;
}

/** Go's URL.Port. */
export function port(u: GoURL): string {
  const [, p] = splitHostPort(u.Host);
  return p;
}

function splitHostPort(hostPort: string): [string, string] {
  let host = hostPort;
  let port = '';
  const colon = host.lastIndexOf(':');
  if (colon !== -1 && validOptionalPort(host.slice(colon))) {
    port = host.slice(colon + 1);
    host = host.slice(0, colon);
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return [host, port];
}

/** Go's URL.RequestURI. */
export function requestURI(u: GoURL): string {
  let result = u.Opaque;
  if (result === '') {
    result = escapedPath(u);
    if (result === '') result = '/';
  } else if (result.startsWith('//')) {
    result = u.Scheme + ':' + result;
  }
  if (u.ForceQuery || u.RawQuery !== '') result += '?' + u.RawQuery;
  return result;
}
