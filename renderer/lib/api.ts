/**
 * The renderer's only door to the main process: a Bridge (main/ipc/contract.ts) taken from the
 * Electron preload when present, otherwise built over the web host's WebSocket
 * (socket-bridge.ts, which reconnects by itself). Components import `api` and `connection`
 * from here and never touch `window`, IPC or sockets themselves.
 */
import type { Bridge } from '../../main/ipc/contract.ts';
import { WS_PROTOCOL, WS_TOKEN_PROTOCOL } from '../../main/web/ws-protocol.ts';
import { ALWAYS_OPEN, type Connection } from './connection.ts';
import { httpProbe, socketBridge } from './socket-bridge.ts';

export { socketBridge };

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

function pickBridge(): { bridge: Bridge; connection: Connection } {
  const g = globalThis as unknown as Record<string, Bridge | undefined>;
  const fromPreload = g['vqlBridge'];
  if (fromPreload) return { bridge: fromPreload, connection: ALWAYS_OPEN };
  // The token travels as a WebSocket subprotocol: the host never takes the (ambient) cookie for
  // the socket, so another page on this machine cannot open one (main/web/guard.ts).
  const token = sessionStorage.getItem(TOKEN_KEY) ?? '';
  const bridge = socketBridge(
    () => new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`, [WS_PROTOCOL, `${WS_TOKEN_PROTOCOL}${token}`]),
    { probe: httpProbe(`${location.origin}/`, token) },
  );
  // Coming back to the tab (after restarting the host, say) tries at once.
  addEventListener('focus', () => bridge.connection.retry());
  addEventListener('online', () => bridge.connection.retry());
  return { bridge, connection: bridge.connection };
}

let picked: { bridge: Bridge; connection: Connection } | undefined;
const current = () => (picked ??= pickBridge());

/**
 * The connection to the host behind `api` (connection.ts): the page's banner shows it, and
 * whatever the host keeps per connection (event subscriptions) is asked for again on reconnect.
 */
export const connection: Connection = {
  get status() {
    return current().connection.status;
  },
  subscribe: (fn) => current().connection.subscribe(fn),
  onReconnect: (fn) => current().connection.onReconnect(fn),
  retry: () => current().connection.retry(),
};

/**
 * The app's bridge (Electron preload or web host), connected on first use. It carries its
 * `connection` too, so that what is handed only the bridge (a query runner) can see a loss.
 */
export const api: Bridge & { connection: Connection } = {
  invoke: (channel, ...args) => current().bridge.invoke(channel, ...args),
  send: (channel, ...args) => current().bridge.send(channel, ...args),
  subscribe: (channel, fn) => current().bridge.subscribe(channel, fn),
  connection,
};

/** True inside the Electron window (menus come from main; files open through dialogs there). */
export const inElectron = (globalThis as unknown as Record<string, unknown>)['vqlBridge'] !== undefined;
