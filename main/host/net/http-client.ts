/**
 * `http_client()` (VQL-FUNCTIONS.md 4.1, Velociraptor's vql/networking/http_client.go, version
 * 3): real HTTP and HTTPS requests (Node's http/https; the exchange is in http-request.ts).
 *
 * Rows `{Url, Content, Response, Headers}`: `Url` as given, `Content` a chunk of the body
 * (`chunk_size`, default 4 MiB: a body of N chunks gives N rows, and an empty body or one that
 * is an exact multiple of the chunk size ends with a row whose Content is ""), `Response` the
 * status, `Headers` the response headers (canonical name -> list of values, sorted by name).
 * With `tempfile_extension` the body goes to a temporary file instead and one row carries its
 * path; the file is in the run's temp folder, removed when the run ends (or at once when the
 * query is cancelled).
 *
 * - `url` may list several URLs: on a transport error or a status outside 200-299 the next is
 *   tried; the last one's status is returned as it is, and its transport error (refused, TLS,
 *   timeout) is a row `{Url, Content: <error>, Response: 500}` and a WARNING log line naming the
 *   url (Velociraptor logs nothing; an artifact checks Response, as Linux.Debian.Packages does).
 * - With HostOptions.network 'loopback' only this machine may be reached (test runs).
 * - `params`: the query string of a GET (added to the URL's own, keys sorted as Go's
 *   url.Values.Encode); for POST, PUT, PATCH and DELETE, a URL-encoded body WITHOUT a
 *   Content-Type header (as Velociraptor: set it in `headers`). `data` is the raw body and wins
 *   over `params` and `files` (logged). `files` sends multipart/form-data (params become fields).
 * - `headers` takes string values only (others are ignored); `user_agent` defaults to Velociraptor.
 * - `skip_verify` (or the deprecated `disable_ssl_security`, logged) turns off TLS verification;
 *   `root_ca` adds PEM roots.
 * - Cookies set by a server are kept per query and sent back to the same host; `cookie_jar`
 *   (a dict of name -> value) adds cookies to send.
 * - Differences: `secret` and `secret://` URLs (managed secrets need a Velociraptor server) are
 *   an error; proxies from HTTP_PROXY are not used; `remove_last` keeps the file like the
 *   default (both are removed with the run's temp folder).
 */
import { createWriteStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { ABSENT, VDict, goText, type PluginCall, type PluginDef, type Scope, type Value } from '../../vql/index.ts';
import { bytesToValue } from '../../vql/values/kinds.ts';
import { accessorFor, readAll } from '../files/accessors.ts';
import { pathText } from '../files/ospath.ts';
import { runState } from '../collect/run-files.ts';
import { send, unixSocketUrl, type RequestSpec, type Response } from './http-request.ts';

const DEFAULT_CHUNK = 4 * 1024 * 1024;
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** Go's url.QueryEscape: unreserved bytes as they are, space as '+', the rest %XX. */
export function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (b === 0x20) out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** The string form of a dict value (Go's %v; strings as they are). */
function text(v: Value): string {
  return typeof v === 'string' ? v : goText(v);
}

/** Go's url.Values.Encode of a params dict: keys sorted, a list value gives one pair per item. */
export function encodeParams(params: VDict): string {
  const pairs: string[] = [];
  for (const key of [...params.keys()].sort()) {
    const v = params.get(key);
    for (const item of Array.isArray(v) ? v : [v]) pairs.push(`${queryEscape(key)}=${queryEscape(text(item))}`);
  }
  return pairs.join('&');
}

/** A multipart/form-data body, as Go's mime/multipart writes it. */
async function multipart(params: VDict | null, files: VDict[], scope: Scope): Promise<{ body: Buffer; type: string }> {
  const boundary = randomBytes(30).toString('hex');
  const parts: Buffer[] = [];
  const quote = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  for (const key of params ? params.keys() : []) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${quote(key)}"\r\n\r\n${text(params!.get(key))}\r\n`));
  }
  for (const f of files) {
    const field = (k: string): Value => {
      const v = f.get(k);
      return v === ABSENT || v === undefined ? null : v;
    };
    const path = field('path');
    let content: Uint8Array;
    try {
      content = await readAll(accessorFor(scope, field('accessor')), path, scope);
    } catch (e) {
      throw new Error(`cannot read ${pathText(path)}: ${(e as Error).message}`);
    }
    const name = text(field('file') ?? '') || pathText(path);
    const key = text(field('key') ?? '') || 'file';
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${quote(key)}"; filename="${quote(name)}"\r\nContent-Type: application/octet-stream\r\n\r\n`));
    parts.push(Buffer.from(content), Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

const JAR = Symbol('http_client-cookies');

/** The query's cookie jar: host -> name -> value. */
function jarOf(scope: Scope, extra: VDict | null): NonNullable<RequestSpec['cookies']> {
  let jar = scope.env.context.get(JAR) as Map<string, Map<string, string>> | undefined;
  if (!jar) scope.env.context.set(JAR, (jar = new Map()));
  const hosts = jar;
  return {
    get(host) {
      const cookies = new Map(hosts.get(host) ?? []);
      if (extra) for (const [k, v] of extra.entries()) cookies.set(k, text(v));
      return [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    },
    set(host, setCookie) {
      const m = hosts.get(host) ?? new Map<string, string>();
      for (const line of setCookie) {
        const pair = line.split(';')[0]!;
        const eq = pair.indexOf('=');
        if (eq > 0) m.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
      }
      hosts.set(host, m);
    },
  };
}

/**
 * A temp file for the body, in the run's temp folder (main/host/collect/run-files.ts: removed
 * when the run ends, or when the process exits for runs nobody ends), and removed at once if
 * the query is cancelled.
 */
function newTempFile(extension: string, scope: Scope, signal: AbortSignal): string {
  const ext = extension && !extension.startsWith('.') ? '.' + extension : extension;
  const path = join(runState(scope).tempFolder(), `tmp${randomBytes(6).toString('hex')}${ext.replace(/[/\\]/g, '_')}`);
  signal.addEventListener('abort', () => rmSync(path, { force: true }), { once: true });
  return path;
}

function headersDict(h: Map<string, string[]>): VDict {
  return new VDict([...h.keys()].sort().map((k) => [k, h.get(k)!]));
}

function row(url: string, content: Value, status: number, headers: VDict | null): VDict {
  return new VDict([['Url', url], ['Content', content], ['Response', status], ['Headers', headers]]);
}

/** The rows of one response: chunks of the body, or the temp file's path. */
async function* responseRows(call: PluginCall, url: string, res: Response, chunkSize: number, tempExt: string | null): AsyncGenerator<VDict> {
  const headers = headersDict(res.headers);
  if (tempExt !== null) {
    const path = newTempFile(tempExt, call.scope, call.signal);
    const out = createWriteStream(path, { mode: 0o600 });
    try {
      for await (const chunk of res.body) if (!out.write(chunk)) await once(out, 'drain');
    } finally {
      out.end();
      await once(out, 'close');
    }
    yield row(url, path, res.status, headers);
    return;
  }
  // Go's loop: emit each full chunk; at the end emit what is left, even when nothing is.
  let pending: Buffer[] = [];
  let size = 0;
  for await (const data of res.body as AsyncIterable<Buffer>) {
    let chunk = data;
    while (chunk.length) {
      const take = Math.min(chunk.length, chunkSize - size);
      pending.push(chunk.subarray(0, take));
      size += take;
      chunk = chunk.subarray(take);
      if (size === chunkSize) {
        yield row(url, bytesToValue(Buffer.concat(pending)), res.status, headers);
        pending = [];
        size = 0;
      }
    }
  }
  yield row(url, bytesToValue(Buffer.concat(pending)), res.status, headers);
}

async function* run(call: PluginCall, loopbackOnly: boolean): AsyncGenerator<VDict> {
  const { args, scope, signal } = call;
  const log = call.log.bind(call);
  const urls = (args.url as string[]).filter((u) => u !== '');
  if (urls.length === 0) {
    log('error', 'argument url: no URL given');
    return;
  }
  if (args.secret !== undefined && args.secret !== '' || urls.some((u) => u.startsWith('secret://'))) {
    log('error', 'argument secret / secret:// URLs: managed secrets need a Velociraptor server; give url and headers directly');
    return;
  }
  const method = String(args.method ?? 'GET').toUpperCase() || 'GET';
  if (!METHODS.has(method)) {
    log('error', `argument method: ${method} is not supported (GET, POST, PUT, PATCH or DELETE)`);
    return;
  }
  let skipVerify = args.skip_verify === true;
  if (args.disable_ssl_security === true) {
    log('warn', 'argument disable_ssl_security is deprecated: use skip_verify');
    skipVerify = true;
  }
  const chunkSize = Number(args.chunk_size ?? 0) > 0 ? Number(args.chunk_size) : DEFAULT_CHUNK;
  const params = args.params instanceof VDict ? args.params : null;
  const headers: Record<string, string> = { 'User-Agent': typeof args.user_agent === 'string' && args.user_agent ? args.user_agent : 'Velociraptor' };
  if (args.headers instanceof VDict) {
    for (const [k, v] of args.headers.entries()) {
      if (typeof v === 'string') headers[k] = v;
      else log('warn', `argument headers: ${k} is not a string, ignored`);
    }
  }
  const files = (Array.isArray(args.files) ? args.files : args.files instanceof VDict ? [args.files] : []).filter((f): f is VDict => f instanceof VDict);
  const hasData = typeof args.data === 'string' && args.data !== '';
  if (hasData && (params?.size || files.length)) log('info', 'argument data is sent as the body: params and files are ignored');

  let body: Buffer | null = null;
  let query = '';
  if (hasData) body = Buffer.from(args.data as string);
  else if (files.length) {
    try {
      const m = await multipart(params, files, scope);
      body = m.body;
      headers['Content-Type'] = m.type;
    } catch (e) {
      log('error', `argument files: ${(e as Error).message}`);
      return;
    }
  } else if (params?.size) {
    if (method === 'GET') query = encodeParams(params);
    else body = Buffer.from(encodeParams(params));
  }
  const tempExt = typeof args.tempfile_extension === 'string' && args.tempfile_extension !== '' ? args.tempfile_extension : null;
  const cookies = jarOf(scope, args.cookie_jar instanceof VDict ? args.cookie_jar : null);

  for (let i = 0; i < urls.length; i++) {
    if (signal.aborted) return;
    const given = urls[i]!;
    const last = i === urls.length - 1;
    let target = given;
    if (query) target = unixSocketUrl(given) ? given + (given.includes('?') ? '&' : '?') + query : withQuery(given, query);
    let res: Response;
    try {
      res = await send({ url: target, method, headers, body, skipVerify, rootCa: typeof args.root_ca === 'string' ? args.root_ca : '', signal, cookies, loopbackOnly });
    } catch (e) {
      if (signal.aborted) return;
      const msg = `${method[0]}${method.slice(1).toLowerCase()} "${given}": ${(e as Error).message}`;
      if (!last) {
        log('warn', `url ${given}: ${(e as Error).message}; trying the next url`);
        continue;
      }
      // Velociraptor only returns the row; the log line says where it came from.
      log('warn', `url ${given}: ${(e as Error).message}`);
      yield row(given, msg, 500, null);
      return;
    }
    if ((res.status < 200 || res.status > 299) && !last) {
      res.body.resume();
      log('warn', `url ${given}: status ${res.status}; trying the next url`);
      continue;
    }
    if (res.status >= 400) log('warn', `url ${given}: status ${res.status}`);
    try {
      yield* responseRows(call, given, res, chunkSize, tempExt);
    } catch (e) {
      if (signal.aborted) return;
      log('error', `url ${given}: reading the response: ${(e as Error).message}`);
    }
    return;
  }
}

function withQuery(url: string, query: string): string {
  try {
    const u = new URL(url);
    u.search = u.search ? `${u.search}&${query}` : `?${query}`;
    return u.toString();
  } catch {
    return url;
  }
}

/** The http_client plugin; `loopbackOnly` limits it to this machine (HostOptions.network). */
export function httpClientPlugin(loopbackOnly = false): PluginDef {
  return { ...httpClientDef, run: (call) => run(call, loopbackOnly) };
}

const httpClientDef: Omit<PluginDef, 'run'> = {
  name: 'http_client',
  version: 3,
  doc:
    'Make an HTTP or HTTPS request: rows {Url, Content (a chunk of the body, or the temp file path), Response (status; 500 on a ' +
    'transport error), Headers}. Several urls are tried in order until one answers 2xx.',
  args: {
    url: { type: 'strings', required: true, doc: 'The URL, or several tried in order; /path/to.sock:unix/path goes over a Unix socket' },
    params: { type: 'any', doc: 'A dict: the query string of a GET, a URL-encoded body otherwise' },
    headers: { type: 'any', doc: 'A dict of request headers (string values)' },
    method: { type: 'string', doc: 'GET, POST, PUT, PATCH or DELETE', default: 'GET' },
    data: { type: 'string', doc: 'The raw request body (wins over params and files)' },
    chunk_size: { type: 'int', doc: 'Bytes of body per row', default: '4194304' },
    disable_ssl_security: { type: 'bool', doc: 'Deprecated: same as skip_verify' },
    skip_verify: { type: 'bool', doc: 'Do not verify the server certificate' },
    tempfile_extension: { type: 'string', doc: 'Write the body to a temp file with this extension; Content is its path' },
    remove_last: { type: 'bool', doc: 'Keep the temp file until the query ends (temp files always are)' },
    root_ca: { type: 'string', doc: 'Extra trusted root certificates (PEM)' },
    cookie_jar: { type: 'any', doc: 'A dict of cookies (name -> value) to send; server cookies are kept per query' },
    user_agent: { type: 'string', doc: 'The User-Agent header', default: 'Velociraptor' },
    secret: { type: 'string', doc: 'A managed secret (not available here: needs a Velociraptor server)' },
    files: { type: 'any', doc: 'Multipart upload: a list of dicts {file (name sent), key (form field), path, accessor}' },
  },
};

export const httpClient: PluginDef = httpClientPlugin();
