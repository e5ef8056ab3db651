/**
 * The web host: serves the renderer and the app contract over WebSocket, on 127.0.0.1 only.
 * A random token is created at start and required on every HTTP request and WebSocket
 * connection (query `?token=`, header `Authorization: Bearer`, or the cookie set when the
 * page was opened with the token); anything without it gets 401 and nothing else.
 *
 * WebSocket messages (JSON):
 *   → {type:'invoke', id, channel, args}    ← {type:'reply', id, result}
 *   → {type:'send', channel, args}          (vql:cancel)
 *   ← {type:'push', channel, args}
 * Closing the connection cancels its queries.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { AppService, type ServiceOptions } from '../app/service.ts';
import type { Invoke, InvokeChannel, Push, SendChannel } from '../ipc/contract.ts';
import { CSP_HEADER } from './csp.ts';

export interface WebHostOptions extends Omit<ServiceOptions, 'push'> {
  /** 0 picks a free port. */
  readonly port?: number;
  /** The built renderer (index.html and assets); a placeholder page when absent. */
  readonly staticDir?: string;
  /** Fixed token (tests); default: 32 random bytes, hex. */
  readonly token?: string;
}

export interface WebHost {
  readonly url: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.woff2': 'font/woff2', '.map': 'application/json',
};


const PLACEHOLDER = '<!doctype html><meta charset="utf-8"><title>vql-workbench</title><p>The renderer is not built yet: run <code>npm run build:renderer</code>.</p>';

function tokenOf(req: IncomingMessage): string | null {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const q = url.searchParams.get('token');
  if (q) return q;
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7);
  const cookie = /(?:^|;\s*)vql_token=([0-9a-f]+)/.exec(req.headers.cookie ?? '');
  return cookie ? cookie[1]! : null;
}

function sameToken(given: string | null, token: string): boolean {
  if (!given || given.length !== token.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(token));
}

export async function startWebHost(opts: WebHostOptions): Promise<WebHost> {
  const token = opts.token ?? randomBytes(32).toString('hex');
  const server: Server = createServer((req, res) => serve(req, res));

  function serve(req: IncomingMessage, res: ServerResponse): void {
    if (!sameToken(tokenOf(req), token)) {
      res.writeHead(401, { 'content-type': 'text/plain' }).end('401 unauthorized\n');
      return;
    }
    const headers: Record<string, string> = {
      'content-security-policy': CSP_HEADER,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
      // Assets loaded by the page carry the token in this cookie (only this host can read it).
      'set-cookie': `vql_token=${token}; HttpOnly; SameSite=Strict; Path=/`,
    };
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    const dir = opts.staticDir;
    if (!dir || !existsSync(join(dir, 'index.html'))) {
      res.writeHead(200, { ...headers, 'content-type': TYPES['.html']! }).end(PLACEHOLDER);
      return;
    }
    const file = normalize(join(dir, path === '/' ? 'index.html' : path));
    if (!file.startsWith(normalize(dir) + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    const origin = req.headers.origin;
    const sameOrigin = !origin || /^http:\/\/127\.0\.0\.1:\d+$/.test(origin);
    if (!sameToken(tokenOf(req), token) || !sameOrigin) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => connect(ws));
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
    ws.on('message', async (data) => {
      let msg: { type?: string; id?: unknown; channel?: string; args?: unknown[] };
      try {
        msg = JSON.parse(String(data));
      } catch {
        send({ type: 'error', message: 'messages are JSON objects' });
        return;
      }
      if (msg.type === 'invoke' && typeof msg.channel === 'string' && Array.isArray(msg.args ?? [])) {
        const result = await service.invoke(msg.channel as InvokeChannel, ...((msg.args ?? []) as Parameters<Invoke[InvokeChannel]>));
        send({ type: 'reply', id: msg.id, result });
      } else if (msg.type === 'send' && typeof msg.channel === 'string' && Array.isArray(msg.args ?? [])) {
        service.send(msg.channel as SendChannel, ...((msg.args ?? []) as [string]));
      } else {
        send({ type: 'error', message: `unknown message ${JSON.stringify(msg.type)}` });
      }
    });
    ws.on('close', () => service.cancelAll());
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
