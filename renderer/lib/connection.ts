/**
 * The page's connection to the web host (`vql serve`) as the page shows it: open, or lost and
 * being retried (with why, when known), and the banner's words for each. The socket bridge
 * (socket-bridge.ts) keeps it; the Electron window's bridge is always open. Pure: no DOM.
 */

/** Why the host cannot be reached, as far as the page can tell (see socket-bridge.ts's probe). */
export type LostReason =
  /** Nothing answers: `vql serve` is stopped (or the machine is busy restarting it). */
  | 'down'
  /** The host answers but refuses this tab's token: it was restarted with a new token. */
  | 'token'
  /** The host answers but refused the connection for another reason (say, too many tabs). */
  | 'refused';

export type ConnectionStatus =
  | { readonly state: 'connecting' }
  /** `reconnects`: how many times the connection came back after a loss. */
  | { readonly state: 'open'; readonly reconnects: number }
  /**
   * `attempt`: failed attempts since the loss; `retryAt`: epoch ms of the next attempt, or null
   * while one is under way.
   */
  | { readonly state: 'lost'; readonly attempt: number; readonly retryAt: number | null; readonly reason: LostReason };

/** The page's view of its connection: the current status, changes, and a way to retry now. */
export interface Connection {
  readonly status: ConnectionStatus;
  /** Calls `fn` on every change; returns the unsubscribe function. */
  subscribe(fn: (s: ConnectionStatus) => void): () => void;
  /** Calls `fn` each time the connection comes back after a loss (not on the first open): resubscribe there. */
  onReconnect(fn: () => void): () => void;
  /** Tries at once instead of waiting for the next attempt (the banner's button, the tab regaining focus). */
  retry(): void;
}

/**
 * Milliseconds before attempt n+1 after n failures: quick at first (a restart takes a second
 * or two), then every 10 s, which costs nothing while the host is away.
 */
export const RETRY_DELAYS_MS: readonly number[] = [250, 500, 1000, 2000, 4000, 8000, 10_000];

/** The wait before the next attempt after `attempt` failed attempts (1 = the first). */
export function retryDelay(attempt: number, delays: readonly number[] = RETRY_DELAYS_MS): number {
  return delays[Math.min(Math.max(attempt, 1), delays.length) - 1]!;
}

/** A bridge that never loses its connection (Electron's in-process IPC). */
export const ALWAYS_OPEN: Connection = {
  status: { state: 'open', reconnects: 0 },
  subscribe: () => () => undefined,
  onReconnect: () => () => undefined,
  retry: () => undefined,
};

/** The reply a request gets while the host is unreachable, or when the connection drops before its reply. */
export const DISCONNECTED_BEFORE_REPLY = 'the connection to the workbench host was lost before the reply: the page reconnects by itself (see the banner at the top); then try again';
export const DISCONNECTED_NOW = 'the workbench host is not reachable (see the banner at the top): the page reconnects by itself when it is back; then try again';

/** The banner's words for a status, or null when there is nothing to say (open, first connection). */
export function bannerText(s: ConnectionStatus, now: number): { title: string; detail: string } | null {
  if (s.state !== 'lost') return null;
  const when = s.retryAt === null ? 'reconnecting now…' : `next try in ${Math.max(1, Math.ceil((s.retryAt - now) / 1000))} s.`;
  if (s.reason === 'token') {
    return {
      title: 'The workbench host was restarted with a new token: this tab cannot reconnect.',
      detail: 'Open the address that vql serve printed last (…/?token=…). To keep tabs working across restarts, start it with: vql serve --port N --token-file FILE',
    };
  }
  if (s.reason === 'refused') {
    return { title: 'The workbench host refused this tab’s connection.', detail: `Close other tabs of the workbench (the host takes a limited number); ${when}` };
  }
  return {
    title: 'Disconnected from the workbench host (vql serve).',
    detail: `Requests fail and running queries were stopped until it is back; ${when}`,
  };
}
