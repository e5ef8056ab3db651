/**
 * Builds the contract's Bridge over Electron's ipcRenderer (taken as a structural interface,
 * so this is tested without Electron). Only the contract's channels pass: anything else a
 * compromised page asks for is refused here, before it reaches the main process. Listeners
 * never see Electron's event object (it carries `sender`, a door back into IPC).
 *
 * Bundled into the sandboxed preload: no imports beyond the contract and the channel lists.
 */
import type { Bridge, Invoke, InvokeChannel, Push, PushChannel, Send, SendChannel } from '../ipc/contract.ts';
import { isInvokeChannel, isPushChannel, isSendChannel } from '../ipc/channels.ts';

/** The parts of Electron's ipcRenderer the bridge uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: any[]): Promise<any>;
  send(channel: string, ...args: any[]): void;
  on(channel: string, listener: (event: unknown, ...args: any[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: any[]) => void): unknown;
}

/** The Bridge the preload exposes as `window.vqlBridge`. */
export function makeBridge(ipc: IpcRendererLike): Bridge {
  return {
    invoke<K extends InvokeChannel>(channel: K, ...args: Parameters<Invoke[K]>): Promise<ReturnType<Invoke[K]>> {
      if (!isInvokeChannel(channel)) {
        return Promise.resolve({ ok: false, error: { code: 'UnknownChannel', message: `${String(channel)} is not a request of the workbench contract` } } as ReturnType<Invoke[K]>);
      }
      return ipc.invoke(channel, ...args);
    },
    send<K extends SendChannel>(channel: K, ...args: Parameters<Send[K]>): void {
      if (isSendChannel(channel)) ipc.send(channel, ...args);
    },
    subscribe<K extends PushChannel>(channel: K, fn: (...args: Parameters<Push[K]>) => void): () => void {
      if (!isPushChannel(channel) || typeof fn !== 'function') return () => {};
      const listener = (_event: unknown, ...args: unknown[]) => fn(...(args as Parameters<Push[K]>));
      ipc.on(channel, listener);
      return () => {
        ipc.removeListener(channel, listener);
      };
    },
  };
}
