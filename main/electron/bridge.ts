/**
 * The main-process side of the IPC contract: the only module that handles ipcMain channels.
 * Each window's web contents gets its own service (like a web host connection); requests are
 * answered by that service, its pushes go back to that window only, and closing (or reloading)
 * the window cancels its queries.
 *
 * The Electron objects are taken as structural interfaces (main.ts passes the real ipcMain and
 * webContents), so this module is tested without Electron.
 */
import type { AppService } from '../app/service.ts';
import type { Push, PushChannel, Result } from '../ipc/contract.ts';
import { INVOKE_CHANNELS, SEND_CHANNELS } from '../ipc/channels.ts';

/** What the bridge needs of a service: the public surface of AppService. */
export type ServiceLike = Pick<AppService, 'invoke' | 'send' | 'cancelAll'>;

/** Pushes one message of the contract to the window the service belongs to. */
export type PushFn = <K extends PushChannel>(channel: K, ...args: Parameters<Push[K]>) => void;

/** The parts of Electron's WebContents the bridge uses. */
export interface ContentsLike {
  readonly id: number;
  isDestroyed(): boolean;
  send(channel: string, ...args: unknown[]): void;
  on(event: 'did-navigate', listener: () => void): unknown;
  once(event: 'destroyed', listener: () => void): unknown;
}

/** The parts of an IPC event the bridge uses: who sent it, from which frame. */
export interface IpcEventLike {
  readonly sender: ContentsLike;
  readonly senderFrame: { readonly url: string } | null;
}

/** The parts of Electron's ipcMain the bridge uses. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcEventLike, ...args: any[]) => unknown): void;
  on(channel: string, listener: (event: IpcEventLike, ...args: any[]) => void): unknown;
}

const refuse = (code: string, message: string): Result<never> => ({ ok: false, error: { code, message } });

interface Attached {
  service: ServiceLike;
  /** Bumped when the page reloads: pushes of the previous page's service are dropped. */
  generation: number;
}

/** Routes the contract's channels between windows and their services. */
export class WindowBridge {
  private readonly attached = new Map<number, Attached>();

  /**
   * Registers every request and message channel of the contract (and no other).
   * `isTrusted(url)` says whether a frame URL is the app's own page: anything else is refused.
   */
  constructor(ipc: IpcMainLike, private readonly isTrusted: (frameUrl: string) => boolean) {
    for (const channel of INVOKE_CHANNELS) {
      ipc.handle(channel, (event, ...args) => {
        const a = this.route(event);
        if (!a) return refuse('Forbidden', `${channel} refused: the request did not come from the workbench page`);
        return a.service.invoke(channel, ...(args as [never]));
      });
    }
    for (const channel of SEND_CHANNELS) {
      ipc.on(channel, (event, ...args) => this.route(event)?.service.send(channel, ...(args as [never])));
    }
  }

  /** The service of the window that sent `event`, when it is attached and its frame trusted. */
  private route(event: IpcEventLike): Attached | undefined {
    const url = event.senderFrame?.url ?? '';
    return this.isTrusted(url) ? this.attached.get(event.sender.id) : undefined;
  }

  /**
   * Gives `contents` its own service, made by `make(push)`. A reload replaces the service (the
   * old page's queries are cancelled, as when a browser tab closes); destroying the contents
   * cancels them for good.
   */
  attach(contents: ContentsLike, make: (push: PushFn) => ServiceLike): void {
    const id = contents.id;
    const start = (generation: number): Attached => {
      const push: PushFn = (channel, ...args) => {
        if (this.attached.get(id)?.generation === generation) this.pushTo(contents, channel, ...args);
      };
      return { service: make(push), generation };
    };
    this.attached.set(id, start(0));
    let loads = 0;
    contents.on('did-navigate', () => {
      // The first navigation is the initial load; later ones are reloads of the app page.
      if (loads++ === 0) return;
      const old = this.attached.get(id);
      if (!old) return;
      old.service.cancelAll();
      this.attached.set(id, start(old.generation + 1));
    });
    contents.once('destroyed', () => {
      this.attached.get(id)?.service.cancelAll();
      this.attached.delete(id);
    });
  }

  /** Pushes to a window (the menu's `app:menu`, or a service's rows); a closed window is skipped. */
  pushTo<K extends PushChannel>(contents: ContentsLike, channel: K, ...args: Parameters<Push[K]>): void {
    if (!contents.isDestroyed()) contents.send(channel, ...args);
  }

  /** How many windows have a service (for tests and diagnostics). */
  get size(): number {
    return this.attached.size;
  }
}
