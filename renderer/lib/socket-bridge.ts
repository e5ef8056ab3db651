/**
 * The Bridge (main/ipc/contract.ts) over the web host's WebSocket, which survives the host going
 * away: every request waiting for a reply fails at once with `Disconnected` when the socket
 * closes, a request made while the host is away fails at once too (nothing hangs on
 * "Starting…"), and the bridge reconnects by itself with a growing delay (connection.ts) until
 * the host answers again. Push listeners stay registered across reconnections; what the host
 * keeps per connection (event subscriptions, status pushes) is asked for again by whoever
 * needs it, from `connection.onReconnect`.
 *
 * When an attempt fails, a probe (an HTTP request with the same token) tells a stopped host
 * (no answer) from one restarted with another token (401), which the page says differently.
 *
 * JSON protocol: → {type:'invoke', id, channel, args} ← {type:'reply', id, result};
 * → {type:'send', channel, args}; ← {type:'push', channel, args}.
 */
import type {
  Bridge, Invoke, InvokeChannel, Push, PushChannel, Result, Send, SendChannel,
} from '../../main/ipc/contract.ts';
import { requestTooLarge } from '../../main/ipc/limits.ts';
import {
  DISCONNECTED_BEFORE_REPLY, DISCONNECTED_NOW, RETRY_DELAYS_MS, retryDelay, type Connection, type ConnectionStatus, type LostReason,
} from './connection.ts';

type Listener = (...args: unknown[]) => void;

/** What the probe found: the reasons of connection.ts, or `up` (the host answers and takes the token). */
export type ProbeResult = LostReason | 'up';

export interface SocketBridgeOptions {
  /** Asks the host, after a failed attempt, why (default: every failure is `down`). */
  probe?: () => Promise<ProbeResult>;
  /** Waits between attempts (default RETRY_DELAYS_MS). */
  delays?: readonly number[];
}

/** A Bridge over a socket speaking the web host's JSON protocol, with its connection state. */
export type SocketBridge = Bridge & {
  /** Resolves at the first open. */
  ready: Promise<void>;
  connection: Connection;
  /** Closes for good: no more attempts (tests; the page never needs it). */
  close(): void;
};

const OPEN = 1; // WebSocket.OPEN, which Node 20 has no global for

/**
 * A probe over plain HTTP with the same token (as `Authorization: Bearer`, never the cookie):
 * no answer is `down` (the host is stopped), 401 `token` (it was restarted with another
 * token), another refusal `refused`, and a page `up`.
 * @example httpProbe(`${location.origin}/`, token)
 */
export function httpProbe(url: string, token: string): () => Promise<ProbeResult> {
  return async () => {
    try {
      const r = await fetch(url, { method: 'HEAD', cache: 'no-store', credentials: 'omit', headers: { authorization: `Bearer ${token}` } });
      return r.status === 401 ? 'token' : r.ok ? 'up' : 'refused';
    } catch {
      return 'down';
    }
  };
}

/** A Bridge over sockets made by `open`, reconnecting as described above. */
export function socketBridge(open: () => WebSocket, options: SocketBridgeOptions = {}): SocketBridge {
  const delays = options.delays ?? RETRY_DELAYS_MS;
  let next = 1;
  const pending = new Map<number, (r: Result<unknown>) => void>();
  const listeners = new Map<string, Set<Listener>>();
  const watchers = new Set<(s: ConnectionStatus) => void>();
  const reconnectFns = new Set<() => void>();
  let ws: WebSocket | null = null;
  /** Messages made before the first open; later, requests while away fail instead. */
  let queue: string[] = [];
  let everOpen = false;
  let reconnects = 0;
  let attempt = 0;
  /** Bumped by retry(): a probe still running for an earlier attempt then stands down. */
  let generation = 0;
  let lastProbe: ProbeResult | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;
  let status: ConnectionStatus = { state: 'connecting' };
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => (readyResolve = r));

  function setStatus(s: ConnectionStatus): void {
    status = s;
    for (const fn of [...watchers]) fn(s);
  }

  function failAll(message: string): void {
    for (const [id, resolve] of pending) {
      pending.delete(id);
      resolve({ ok: false, error: { code: 'Disconnected', message } });
    }
    queue = [];
  }

  function connect(): void {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = null;
    if (status.state === 'lost') setStatus({ ...status, retryAt: null });
    let sock: WebSocket;
    try {
      sock = open();
    } catch {
      void lost();
      return;
    }
    ws = sock;
    sock.addEventListener('open', () => {
      if (ws !== sock) return;
      attempt = 0;
      lastProbe = null;
      const again = everOpen;
      everOpen = true;
      for (const m of queue) sock.send(m);
      queue = [];
      if (again) reconnects++;
      setStatus({ state: 'open', reconnects });
      readyResolve();
      if (again) for (const fn of [...reconnectFns]) fn();
    });
    sock.addEventListener('message', (ev) => {
      if (ws !== sock) return;
      let msg: { type: string; id?: number; result?: Result<unknown>; channel?: string; args?: unknown[] };
      try {
        msg = JSON.parse(String(ev.data));
      } catch {
        return;
      }
      if (msg.type === 'reply' && msg.id !== undefined) {
        pending.get(msg.id)?.(msg.result!);
        pending.delete(msg.id);
      } else if (msg.type === 'push' && msg.channel) {
        for (const fn of [...(listeners.get(msg.channel) ?? [])]) fn(...(msg.args ?? []));
      }
    });
    // A failed attempt and a dropped connection both end in `close` (after `error`, if any):
    // the error needs a listener only so that a socket that throws unheard errors (Node's) does not.
    sock.addEventListener('error', () => undefined);
    sock.addEventListener('close', () => {
      if (ws !== sock) return;
      ws = null;
      // Every outstanding request fails clearly rather than hanging.
      failAll(DISCONNECTED_BEFORE_REPLY);
      void lost();
    });
  }

  /** After a loss or a failed attempt: find out why, say so, and schedule the next attempt. */
  async function lost(): Promise<void> {
    if (closed) return;
    attempt++;
    const mine = generation;
    const found: ProbeResult = options.probe ? await options.probe().catch(() => 'down' as const) : 'down';
    // retry() started another attempt while the probe ran: that one reports for itself.
    if (closed || mine !== generation || ws) return;
    // The host answers and takes the token, yet the socket failed: once is a race with its
    // start; twice in a row it is refusing this connection.
    const reason: LostReason = found === 'up' ? (lastProbe === 'up' ? 'refused' : 'down') : found;
    lastProbe = found;
    const wait = found === 'up' && reason === 'down' ? 0 : retryDelay(attempt, delays);
    setStatus({ state: 'lost', attempt, retryAt: Date.now() + wait, reason });
    timer = setTimeout(connect, wait);
  }

  function post(text: string): boolean {
    if (ws && ws.readyState === OPEN) ws.send(text);
    else if (!everOpen && status.state === 'connecting') queue.push(text);
    else return false;
    return true;
  }

  const connection: Connection = {
    get status() {
      return status;
    },
    subscribe(fn) {
      watchers.add(fn);
      return () => watchers.delete(fn);
    },
    onReconnect(fn) {
      reconnectFns.add(fn);
      return () => reconnectFns.delete(fn);
    },
    retry() {
      if (status.state === 'lost' && !ws) {
        generation++;
        connect();
      }
    },
  };

  connect();
  return {
    ready,
    connection,
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const sock = ws;
      ws = null;
      failAll(DISCONNECTED_BEFORE_REPLY);
      sock?.close();
    },
    invoke<K extends InvokeChannel>(channel: K, ...args: Parameters<Invoke[K]>): Promise<ReturnType<Invoke[K]>> {
      // Over the limit: a clear reply here, instead of a message the host would refuse.
      const tooLarge = requestTooLarge(channel, args, true);
      if (tooLarge) return Promise.resolve({ ok: false, error: { code: 'TooLarge', message: tooLarge } } as ReturnType<Invoke[K]>);
      const id = next++;
      return new Promise((resolve) => {
        pending.set(id, resolve as (r: Result<unknown>) => void);
        if (!post(JSON.stringify({ type: 'invoke', id, channel, args }))) {
          pending.delete(id);
          resolve({ ok: false, error: { code: 'Disconnected', message: DISCONNECTED_NOW } } as ReturnType<Invoke[K]>);
        }
      });
    },
    send<K extends SendChannel>(channel: K, ...args: Parameters<Send[K]>): void {
      // Away: dropped. What it would stop (a query, a subscription) ended with the connection.
      post(JSON.stringify({ type: 'send', channel, args }));
    },
    subscribe<K extends PushChannel>(channel: K, fn: (...args: Parameters<Push[K]>) => void): () => void {
      let set = listeners.get(channel);
      if (!set) listeners.set(channel, (set = new Set()));
      set.add(fn as Listener);
      return () => set!.delete(fn as Listener);
    },
  };
}
