/**
 * The IPC channel allow-lists, derived from the contract (main/ipc/contract.ts). Each list is
 * an object typed `Record<keyof X, true>`, so a channel added to the contract but not listed
 * here (or listed here but not in the contract) fails the typecheck. The preload refuses any
 * other channel, and the main-process bridge registers exactly these.
 *
 * No imports beyond the contract's types: the sandboxed preload bundles this file.
 */
import type { Invoke, InvokeChannel, MenuCommand, Push, PushChannel, Send, SendChannel } from '../ipc/contract.ts';

const INVOKE: Record<keyof Invoke, true> = {
  'vql:check': true, 'vql:run': true, 'vql:format': true,
  'artifacts:list': true, 'artifacts:get': true, 'artifacts:check': true, 'artifacts:save': true,
  'artifacts:delete': true, 'artifacts:collect': true,
  'artifacts:folders': true, 'artifacts:add-folder': true, 'artifacts:remove-folder': true,
  'docs:completions': true,
  'events:status': true, 'events:start': true, 'events:stop': true, 'events:subscribe': true, 'events:backfill': true,
  'store:clients': true, 'store:artifacts': true, 'store:datastore': true, 'store:flows': true,
  'packs:export': true, 'packs:preview': true, 'packs:import': true,
  'files:list': true,
  'collection:list': true, 'collection:save': true,
  'table:open': true, 'table:info': true, 'table:window': true, 'table:view': true, 'table:locate': true, 'table:groups': true,
  'table:values': true, 'table:timeline': true, 'table:tag': true, 'table:sql': true, 'table:export': true, 'table:problems': true,
  'table:close': true, 'table:settings': true,
  'table:keys': true, 'table:expand': true, 'table:unexpand': true,
};

const SEND: Record<keyof Send, true> = { 'vql:cancel': true, 'events:unsubscribe': true, 'table:cancel': true };

const PUSH: Record<keyof Push, true> = {
  'vql:rows': true, 'vql:log': true, 'vql:done': true, 'events:rows': true, 'events:status': true, 'app:menu': true,
  'table:progress': true,
};

const MENU: Record<MenuCommand, true> = {
  'open-csv': true, 'open-folder': true, 'open-artifact': true, save: true, 'export-csv': true,
  'export-json': true, 'new-artifact': true, run: true, stop: true,
};

/** Every request channel (ipcMain.handle / ipcRenderer.invoke). */
export const INVOKE_CHANNELS = Object.freeze(Object.keys(INVOKE)) as readonly InvokeChannel[];
/** Every fire-and-forget channel (ipcMain.on / ipcRenderer.send). */
export const SEND_CHANNELS = Object.freeze(Object.keys(SEND)) as readonly SendChannel[];
/** Every push channel (webContents.send / ipcRenderer.on). */
export const PUSH_CHANNELS = Object.freeze(Object.keys(PUSH)) as readonly PushChannel[];
/** Every application menu command. */
export const MENU_COMMANDS = Object.freeze(Object.keys(MENU)) as readonly MenuCommand[];

// hasOwn, not `in`: a channel named `__proto__` or `toString` must not pass.
const has = (o: object, k: unknown): boolean => typeof k === 'string' && Object.prototype.hasOwnProperty.call(o, k);

/** Is `c` a request channel of the contract? */
export const isInvokeChannel = (c: unknown): c is InvokeChannel => has(INVOKE, c);
/** Is `c` a fire-and-forget channel of the contract? */
export const isSendChannel = (c: unknown): c is SendChannel => has(SEND, c);
/** Is `c` a push channel of the contract? */
export const isPushChannel = (c: unknown): c is PushChannel => has(PUSH, c);
/** Is `c` a menu command of the contract? */
export const isMenuCommand = (c: unknown): c is MenuCommand => has(MENU, c);
