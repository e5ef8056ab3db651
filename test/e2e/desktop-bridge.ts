/**
 * A stand-in for the Electron preload in Chromium: an init script that puts a Bridge
 * (main/ipc/contract.ts) on `window.vqlBridge` before the page's scripts run, as the preload
 * does in the desktop app, carried over the web host's WebSocket with the page's token. The
 * renderer then takes its desktop paths (`inElectron`: no downloads, "Save as…" with the host's
 * picker), which the Electron binary (not runnable here) would otherwise be needed to see.
 * Install it with `page.addInitScript(desktopBridge)` and reload the page (the token is then in
 * the tab's session storage, where the page put it at its first load). Plain JavaScript text:
 * a function would be sent with the test compiler's helpers, which the page does not have.
 */
export const desktopBridge = `(() => {
  const token = sessionStorage.getItem('vql-workbench.token') ?? '';
  const ws = new WebSocket('ws://' + location.host + '/ws', ['vql.v1', 'vql.token.' + token]);
  const opened = new Promise((resolve) => ws.addEventListener('open', () => resolve(), { once: true }));
  const waiting = new Map();
  const listeners = new Map();
  let next = 1;
  ws.addEventListener('message', (ev) => {
    const m = JSON.parse(String(ev.data));
    if (m.type === 'reply') {
      waiting.get(m.id)?.(m.result);
      waiting.delete(m.id);
    } else if (m.type === 'push') {
      for (const fn of listeners.get(m.channel) ?? []) fn(...(m.args ?? []));
    }
  });
  const post = async (msg) => {
    await opened;
    ws.send(JSON.stringify(msg));
  };
  window.vqlBridge = {
    invoke: (channel, ...args) => new Promise((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      void post({ type: 'invoke', id, channel, args });
    }),
    send: (channel, ...args) => void post({ type: 'send', channel, args }),
    subscribe: (channel, fn) => {
      const set = listeners.get(channel) ?? new Set();
      listeners.set(channel, set);
      set.add(fn);
      return () => set.delete(fn);
    },
  };
})();`;
