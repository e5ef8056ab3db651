/**
 * The web host: serves the renderer and the app contract over WebSocket, on 127.0.0.1 only.
 * A random token is created at start (or given: `vql serve --token-file`). Who may ask what is
 * main/web/guard.ts: the Host and Origin must be this host's, and the token must come with every
 * request (the WebSocket must present it itself; the cookie only lets the page's assets load).
 * A page opened without this start's token gets a page saying why and what to do
 * (unauthorized-page.ts); anything else a plain 401.
 *
 * WebSocket messages (JSON):
 *   → {type:'invoke', id, channel, args}    ← {type:'reply', id, result}
 *   → {type:'send', channel, args}          (vql:cancel)
 *   ← {type:'push', channel, args}
 * Closing the connection cancels its queries.
 *
 * `GET /exports/<id>` hands over, once, a file the workbench exported for this browser
 * (main/app/downloads.ts), behind the same guard as every request.
 *
 * Nothing a client sends may end the host: every request target is parsed defensively, every
 * socket has an error listener, every message is checked before use, and a failure is logged
 * and answered (400, an error reply, or a close with a code) while the host goes on.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { AppService, type ServiceOptions } from '../app/service.ts';
import { sharedDownloads } from '../app/downloads.ts';
import type { Invoke, InvokeChannel, Push, SendChannel } from '../ipc/contract.ts';
import { MAX_WS_MESSAGE } from '../ipc/limits.ts';
import { CSP_HEADER } from './csp.ts';
import { TOKEN_COOKIE, httpAuthorized, httpTokenOffered, parseTarget, refusedOrigin, upgradeAuthorized, type Target } from './guard.ts';
import { UNAUTHORIZED_CSP, unauthorizedPage, wantsPage } from './unauthorized-page.ts';
import { TOKEN_SYNTAX } from './token-file.ts';
import { WS_PROTOCOL } from './ws-protocol.ts';

export interface WebHostOptions extends Omit<ServiceOptions, 'push'> {
  /** 0 picks a free port. */
  readonly port?: number;
  /** The built renderer (index.html and assets); a placeholder page when absent. */
  readonly staticDir?: string;
  /** Fixed token (`vql serve --token-file`, tests): 64 lowercase hex digits; default: 32 random bytes, hex. */
  readonly token?: string;
  /** WebSocket connections open at once (default MAX_CONNECTIONS); more are refused with 503. */
  readonly maxConnections?: number;
  /** Where refusals and client errors are logged (default: standard error). */
  readonly log?: (line: string) => void;
}

export interface WebHost {
  readonly url: string;
  readonly port: number;
  readonly token: string;
  /** Open WebSocket connections. */
  readonly connections: number;
  close(): Promise<void>;
}

/** WebSocket connections at once: a tab needs one; each holds an engine (artifacts, registry). */
export const MAX_CONNECTIONS = 16;
/** Requests one connection may have in flight; more get a `Busy` reply. */
export const MAX_PENDING_PER_CONNECTION = 64;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.woff2': 'font/woff2', '.map': 'application/json',
};

/** Where exports written for this browser are fetched (`/exports/<id>`, once). */
export const EXPORTS_PREFIX = '/exports/';

const PLACEHOLDER = '<!doctype html><meta charset="utf-8"><title>vql-workbench</title><p>The renderer is not built yet: run <code>npm run build:renderer</code>.</p>';

/** Sent with every response, refusals included. */
const BASE_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  // The page's address carries the token: no request it makes may pass it on.
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
};

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 405: 'Method Not Allowed', 503: 'Service Unavailable' };

/** A refusal on a raw socket (an upgrade): the status line and a short text, then close. */
function refuseSocket(socket: Duplex, status: number, text: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `${status} ${text}\n`;
  socket.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

export async function startWebHost(opts: WebHostOptions): Promise<WebHost> {
  // A given token must look like a made one: the cookie and the checks expect lowercase hex.
  if (opts.token !== undefined && !TOKEN_SYNTAX.test(opts.token)) throw new TypeError('startWebHost: a token is 64 lowercase hex digits');
  const token = opts.token ?? randomBytes(32).toString('hex');
  const log = opts.log ?? ((line: string) => process.stderr.write(`vql serve: ${line}\n`));
  const maxConnections = opts.maxConnections ?? MAX_CONNECTIONS;
  const downloads = sharedDownloads();
  let port = 0;

  const server: Server = createServer((req, res) => {
    try {
      serve(req, res);
    } catch (e) {
      log(`error answering ${String(req.url).slice(0, 200)}: ${(e as Error).message}`);
      if (!res.headersSent) res.writeHead(500, { ...BASE_HEADERS, 'content-type': 'text/plain' });
      res.end();
    }
  });
  // A malformed request (bad headers, a reset mid-request) is the client's problem: answer 400 if
  // the socket still takes it, and go on.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code !== 'ECONNRESET') log(`bad request from a client: ${err.message}`);
    refuseSocket(socket, 400, 'bad request');
  });

  function plain(res: ServerResponse, status: number, text: string): void {
    res.writeHead(status, { ...BASE_HEADERS, 'content-type': 'text/plain; charset=utf-8' }).end(`${status} ${text}\n`);
  }

  /**
   * A request without this start's token: a page load gets a page saying why and what to do
   * (unauthorized-page.ts: most often a tab from before a restart); anything else the 401 text.
   */
  function refuse(req: IncomingMessage, res: ServerResponse, target: Target): void {
    if (!wantsPage(req.method, req.headers)) return plain(res, 401, 'unauthorized: the token is missing or from an earlier start of vql serve');
    const html = unauthorizedPage(httpTokenOffered(target, req.headers) ? 'stale' : 'missing');
    res.writeHead(401, { ...BASE_HEADERS, 'content-type': TYPES['.html']!, 'content-security-policy': UNAUTHORIZED_CSP }).end(req.method === 'HEAD' ? undefined : html);
  }

  function serve(req: IncomingMessage, res: ServerResponse): void {
    res.on('error', (e) => log(`response error: ${e.message}`));
    const target = parseTarget(req.url);
    if (!target) return plain(res, 400, 'bad request target');
    const refused = refusedOrigin(req.headers, port);
    if (refused) return plain(res, 403, `forbidden: ${refused}`);
    if (!httpAuthorized(target, req.headers, token)) return refuse(req, res, target);
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'method not allowed');
    if (target.path.startsWith(EXPORTS_PREFIX)) return download(req, res, target.path.slice(EXPORTS_PREFIX.length));
    const headers: Record<string, string> = {
      ...BASE_HEADERS,
      'content-security-policy': CSP_HEADER,
      // Assets loaded by the page carry the token in this cookie (only this host can read it).
      // It is never enough for the WebSocket, whose token the page sends itself.
      'set-cookie': `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
    };
    const dir = opts.staticDir;
    if (!dir || !existsSync(join(dir, 'index.html'))) {
      res.writeHead(200, { ...headers, 'content-type': TYPES['.html']! }).end(PLACEHOLDER);
      return;
    }
    const file = normalize(join(dir, target.path === '/' ? 'index.html' : target.path));
    if (!file.startsWith(normalize(dir) + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(req.method === 'HEAD' ? undefined : readFileSync(file));
  }

  /**
   * An export the workbench wrote for this browser (main/app/downloads.ts): served once, by its
   * random id, as an attachment, then deleted. Only what the registry holds can come out here.
   */
  function download(req: IncomingMessage, res: ServerResponse, id: string): void {
    if (req.method !== 'GET') return plain(res, 405, 'method not allowed: an export is fetched once, with GET');
    const file = downloads.take(id);
    if (!file) return plain(res, 404, 'no such export (each is served once, and only for a while): export again');
    let size: number;
    try {
      size = statSync(file.path).size;
    } catch {
      file.done();
      return plain(res, 404, 'the export is gone: export again');
    }
    res.writeHead(200, {
      ...BASE_HEADERS,
      'content-type': file.contentType,
      'content-length': String(size),
      'content-disposition': `attachment; filename="${file.name}"`,
      'content-security-policy': "default-src 'none'; sandbox",
    });
    const stream = createReadStream(file.path);
    stream.on('error', (e) => {
      log(`export ${file.name}: ${e.message}`);
      res.destroy();
    });
    res.on('close', () => {
      stream.destroy();
      file.done();
    });
    stream.pipe(res);
  }

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_WS_MESSAGE,
    // The page offers WS_PROTOCOL and its token as a second protocol: select the first, so the
    // token is never echoed back.
    handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Before anything is written: a client that resets the connection must not end the host.
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'ECONNRESET' && e.code !== 'EPIPE') log(`upgrade socket error: ${e.message}`);
    });
    try {
      const target = parseTarget(req.url);
      if (!target) return refuseSocket(socket, 400, 'bad request target');
      const refused = refusedOrigin(req.headers, port);
      if (refused) return refuseSocket(socket, 403, `forbidden: ${refused}`);
      if (!upgradeAuthorized(target, req.headers, token)) return refuseSocket(socket, 401, 'unauthorized');
      if (target.path !== '/ws') return refuseSocket(socket, 400, 'the WebSocket is at /ws');
      if (wss.clients.size >= maxConnections) {
        log(`refused a connection: ${wss.clients.size} are open, the most at once`);
        return refuseSocket(socket, 503, `${wss.clients.size} connections are open, the most at once: close a tab`);
      }
      wss.handleUpgrade(req, socket, head, (ws) => connect(ws));
    } catch (e) {
      log(`error in an upgrade: ${(e as Error).message}`);
      refuseSocket(socket, 400, 'bad request');
    }
  });

  function connect(ws: WebSocket): void {
    const send = (msg: unknown) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
    };
    // One service per connection: closing a tab cancels its own queries only.
    const service = new AppService({
      ...opts,
      push: <K extends keyof Push>(channel: K, ...args: Parameters<Push[K]>) => send({ type: 'push', channel, args }),
    });
    let pending = 0;
    // Frames that break the protocol (invalid UTF-8, unmasked, a bad opcode, over the size
    // limit) end this connection with a close code; the host goes on.
    ws.on('error', (e) => log(`connection closed on a protocol error: ${e.message}`));
    ws.on('message', (data: RawData, isBinary: boolean) => {
      handle(data, isBinary).catch((e: unknown) => {
        log(`error handling a message: ${(e as Error).message}`);
        send({ type: 'error', message: 'the host could not handle this message' });
      });
    });
    ws.on('close', () => service.cancelAll());

    async function handle(data: RawData, isBinary: boolean): Promise<void> {
      if (isBinary) return send({ type: 'error', message: 'messages are JSON text, not binary frames' });
      let msg: unknown;
      try {
        msg = JSON.parse(String(data));
      } catch {
        return send({ type: 'error', message: 'messages are JSON objects' });
      }
      if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return send({ type: 'error', message: 'messages are JSON objects' });
      const { type, id, channel, args = [] } = msg as { type?: unknown; id?: unknown; channel?: unknown; args?: unknown };
      if (typeof channel !== 'string' || !Array.isArray(args) || (type !== 'invoke' && type !== 'send')) {
        return send({ type: 'error', message: `unknown message ${JSON.stringify(String(type).slice(0, 50))}: expected {type:'invoke'|'send', channel, args: [...]}` });
      }
      if (type === 'send') return service.send(channel as SendChannel, ...(args as [string]));
      if (typeof id !== 'number' && typeof id !== 'string') return send({ type: 'error', message: 'an invoke needs an id (number or string)' });
      if (pending >= MAX_PENDING_PER_CONNECTION) {
        return send({ type: 'reply', id, result: { ok: false, error: { code: 'Busy', message: `${pending} requests of this connection are waiting for replies: wait for them` } } });
      }
      pending++;
      try {
        const result = await service.invoke(channel as InvokeChannel, ...(args as Parameters<Invoke[InvokeChannel]>));
        send({ type: 'reply', id, result });
      } finally {
        pending--;
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  server.on('error', (e) => log(`server error: ${e.message}`));
  port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    get connections() {
      return wss.clients.size;
    },
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
