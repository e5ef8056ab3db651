// A stand-in for the parts of Electron's main-process API that main/electron/main.ts uses. It
// records what main does (the `fake` export) and lets the test play the user and the page.
// Behaviour mirrors Electron where main depends on it: 'web-contents-created' fires while a
// window is constructed, loadFile rejects for a missing file, webContents.send structured-clones.
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export const fake = {
  calls: [],
  windows: [],
  menu: null,
  errors: [],
  opened: [],
  session: {},
  ready: false,
};
const record = (name, ...args) => fake.calls.push([name, ...args]);

let nextId = 1;
class WebContents extends EventEmitter {
  id = nextId++;
  url = '';
  sent = [];
  destroyed = false;
  openHandler = null;
  isDestroyed() { return this.destroyed; }
  getURL() { return this.url; }
  send(channel, ...args) { this.sent.push([channel, ...structuredClone(args)]); }
  setWindowOpenHandler(fn) { this.openHandler = fn; }
}

class AppEmitter extends EventEmitter {
  isPackaged = false;
  setName(n) { record('app.setName', n); }
  enableSandbox() { record('app.enableSandbox'); }
  requestSingleInstanceLock() { record('app.requestSingleInstanceLock'); return true; }
  whenReady() { fake.ready = true; return Promise.resolve(); }
  quit() { record('app.quit'); }
  exit(code) { record('app.exit', code); }
}
export const app = new AppEmitter();

export class BrowserWindow extends EventEmitter {
  static getFocusedWindow() { return fake.windows.at(-1) ?? null; }
  static getAllWindows() { return fake.windows.filter((w) => !w.webContents.destroyed); }
  constructor(options) {
    super();
    this.options = options;
    this.webContents = new WebContents();
    this.shown = false;
    app.emit('web-contents-created', {}, this.webContents);
    fake.windows.push(this);
  }
  async loadFile(file) {
    record('win.loadFile', file);
    if (!existsSync(file)) throw new Error(`ERR_FILE_NOT_FOUND (-6) loading '${pathToFileURL(file).href}'`);
    this.webContents.url = pathToFileURL(file).href;
    this.webContents.emit('did-navigate');
    this.emit('ready-to-show');
  }
  // As Electron: a URL of a registered custom scheme is answered by its protocol.handle handler.
  async loadURL(url) {
    record('win.loadURL', url);
    const handler = protocol.handlers.get(new URL(url).protocol.slice(0, -1));
    if (!handler) throw new Error(`ERR_UNKNOWN_URL_SCHEME (-302) loading '${url}'`);
    const response = await handler({ url });
    if (!response.ok) throw new Error(`ERR_HTTP_RESPONSE_CODE_FAILURE (-379) loading '${url}'`);
    this.webContents.url = url;
    this.webContents.emit('did-navigate');
    this.emit('ready-to-show');
  }
  show() { this.shown = true; }
  destroy() { this.webContents.destroyed = true; this.webContents.emit('destroyed'); }
  isMinimized() { return false; }
  restore() {}
  focus() {}
}

export const protocol = {
  handlers: new Map(),
  privileged: [],
  registerSchemesAsPrivileged(schemes) {
    if (fake.ready) throw new Error('protocol.registerSchemesAsPrivileged must be called before the app is ready');
    record('protocol.registerSchemesAsPrivileged', schemes);
    this.privileged.push(...schemes);
  },
  handle(scheme, fn) { record('protocol.handle', scheme); this.handlers.set(scheme, fn); },
};

export const dialog = { showErrorBox: (title, text) => fake.errors.push([title, text]) };
export const shell = { openExternal: async (url) => { fake.opened.push(url); } };

class IpcMain extends EventEmitter {
  handlers = new Map();
  handle(channel, fn) { this.handlers.set(channel, fn); }
}
export const ipcMain = new IpcMain();

export const session = {
  defaultSession: {
    webRequest: {
      onHeadersReceived: (fn) => { fake.session.onHeadersReceived = fn; },
      onBeforeRequest: (fn) => { fake.session.onBeforeRequest = fn; },
    },
    setPermissionRequestHandler: (fn) => { fake.session.permissionRequest = fn; },
    setPermissionCheckHandler: (fn) => { fake.session.permissionCheck = fn; },
    setSpellCheckerEnabled: (on) => record('session.setSpellCheckerEnabled', on),
  },
};

export const Menu = {
  buildFromTemplate: (template) => ({ template }),
  setApplicationMenu: (menu) => { fake.menu = menu; },
};
