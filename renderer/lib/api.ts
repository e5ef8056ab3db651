/**
 * The renderer's only door to the main process: a Bridge (main/ipc/contract.ts) taken from the
 * Electron preload when present, otherwise built over the web host's WebSocket. Components
 * import `api` from here and never touch `window`, IPC or sockets themselves.
 */
import type {
  Bridge, Invoke, InvokeChannel, Push, PushChannel, Result, Send, SendChannel,
} from '../../main/ipc/contract.ts';
import { requestTooLarge } from '../../main/ipc/limits.ts';
import { WS_PROTOCOL, WS_TOKEN_PROTOCOL } from '../../main/web/ws-protocol.ts';

type Listener = (...args: unknown[]) => void;

/** A Bridge over any message socket speaking the web host's JSON protocol. */
export function socketBridge(open: () => WebSocket): Bridge & { ready: Promise<void> } {
  let next = 1;
  const pending = new Map<number, (r: Result<unknown>) => void>();
  const listeners = new Map<string, Set<Listener>>();
  let ws: WebSocket;
  let queue: string[] = [];
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => (readyResolve = r));

  function connect(): void {
    ws = open();
    ws.addEventListener('open', () => {
      for (const m of queue) ws.send(m);
      queue = [];
      readyResolve();
    });
    ws.addEventListener('message', (ev) => {
      const msg = JSON.parse(String(ev.data)) as { type: string; id?: number; result?: Result<unknown>; channel?: string; args?: unknown[] };
      if (msg.type === 'reply' && msg.id !== undefined) {
        pending.get(msg.id)?.(msg.result!);
        pending.delete(msg.id);
      } else if (msg.type === 'push' && msg.channel) {
        for (const fn of listeners.get(msg.channel) ?? []) fn(...(msg.args ?? []));
      }
    });
    ws.addEventListener('close', () => {
      // Every outstanding request fails clearly rather than hanging.
      for (const [id, resolve] of pending) {
        resolve({ ok: false, error: { code: 'Disconnected', message: 'the connection to the workbench host closed: reload the page' } });
        pending.delete(id);
      }
    });
  }

  function post(msg: unknown): void {
    const text = JSON.stringify(msg);
    if (ws.readyState === WebSocket.OPEN) ws.send(text);
    else queue.push(text);
  }

  connect();
  return {
    ready,
    invoke<K extends InvokeChannel>(channel: K, ...args: Parameters<Invoke[K]>): Promise<ReturnType<Invoke[K]>> {
      // Over the limit: a clear reply here, instead of a message the host would refuse.
      const tooLarge = requestTooLarge(channel, args, true);
      if (tooLarge) return Promise.resolve({ ok: false, error: { code: 'TooLarge', message: tooLarge } } as ReturnType<Invoke[K]>);
      const id = next++;
      return new Promise((resolve) => {
        pending.set(id, resolve as (r: Result<unknown>) => void);
        post({ type: 'invoke', id, channel, args });
      });
    },
    send<K extends SendChannel>(channel: K, ...args: Parameters<Send[K]>): void {
      post({ type: 'send', channel, args });
    },
    subscribe<K extends PushChannel>(channel: K, fn: (...args: Parameters<Push[K]>) => void): () => void {
      let set = listeners.get(channel);
      if (!set) listeners.set(channel, (set = new Set()));
      set.add(fn as Listener);
      return () => set!.delete(fn as Listener);
    },
  };
}

const TOKEN_KEY = 'vql-workbench.token';

/**
 * The web host's token: taken from the address the page was opened with (`?token=`), kept in
 * this tab's session storage (readable by this origin only, and it survives a reload), and
 * removed from the address bar, so it is not in the history, a bookmark or a screenshot.
 * Call once at start-up.
 */
export function captureToken(): void {
  if (typeof location === 'undefined' || typeof sessionStorage === 'undefined') return;
  const url = new URL(location.href);
  const token = url.searchParams.get('token');
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  url.searchParams.delete('token');
  history.replaceState(history.state, '', url.pathname + url.search + url.hash);
}

function pickBridge(): Bridge {
  const g = globalThis as unknown as Record<string, Bridge | undefined>;
  const fromPreload = g['vqlBridge'];
  if (fromPreload) return fromPreload;
  // The token travels as a WebSocket subprotocol: the host never takes the (ambient) cookie for
  // the socket, so another page on this machine cannot open one (main/web/guard.ts).
  const token = sessionStorage.getItem(TOKEN_KEY) ?? '';
  return socketBridge(() => new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`, [WS_PROTOCOL, `${WS_TOKEN_PROTOCOL}${token}`]));
}

let bridge: Bridge | undefined;
const current = (): Bridge => (bridge ??= pickBridge());

/** The app's bridge (Electron preload or web host), connected on first use. */
export const api: Bridge = {
  invoke: (channel, ...args) => current().invoke(channel, ...args),
  send: (channel, ...args) => current().send(channel, ...args),
  subscribe: (channel, fn) => current().subscribe(channel, fn),
};

/** True inside the Electron window (menus come from main; files open through dialogs there). */
export const inElectron = (globalThis as unknown as Record<string, unknown>)['vqlBridge'] !== undefined;
