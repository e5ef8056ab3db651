/**
 * The Electron main process: app lifecycle and windows only. The security policy, file layout
 * and menu are plain data in policy.ts and menu-template.ts (tested without Electron); IPC is
 * bridge.ts; every request is answered by the AppService (main/app/service.ts).
 */
import { app, BrowserWindow, dialog, ipcMain, protocol, session, shell, type WebContents } from 'electron';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppService } from '../app/service.ts';
import { AppCollector } from '../app/collector-host.ts';
import { BUILTIN_ARTIFACTS_ENV } from '../artifacts/repository.ts';
import { defaultDatastore } from '../collector/paths.ts';
import type { MenuCommand } from '../ipc/contract.ts';
import { WindowBridge } from './bridge.ts';
import { installMenu } from './menu.ts';
import { escCommand, menuTemplate } from './menu-template.ts';
import { APP_SCHEME, APP_SCHEME_PRIVILEGES, appProtocolResponse } from './app-protocol.ts';
import { APP_NAME, appLayout, externalUrl, isAppNavigation, isPermissionAllowed, isRemoteRequest, windowOptions, withCsp } from './policy.ts';

app.setName(APP_NAME);
// Every renderer sandboxed, whatever its webPreferences say.
app.enableSandbox();
// The page is served from app://bundle/ (not file://): registered before the app is ready.
protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);

const layout = appLayout({
  mainDir: dirname(fileURLToPath(import.meta.url)),
  isPackaged: app.isPackaged,
  resourcesPath: process.resourcesPath,
  datastore: defaultDatastore(),
});
// Set before any service starts: query worker threads inherit the environment.
if (layout.builtinArtifacts) process.env[BUILTIN_ARTIFACTS_ENV] = layout.builtinArtifacts;

const bridge = new WindowBridge(ipcMain, (url) => isAppNavigation(url, layout.appUrl));

/** Sends a menu command to the window the user is looking at. */
function command(cmd: MenuCommand): void {
  const win = BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0];
  if (win) bridge.pushTo(win.webContents, 'app:menu', cmd);
}

/** The default session: the app's CSP on every response, no remote requests, no permissions. */
function secureSession(): void {
  const ses = session.defaultSession;
  ses.webRequest.onHeadersReceived((details, callback) => callback({ responseHeaders: withCsp(details.responseHeaders) }));
  ses.webRequest.onBeforeRequest((details, callback) => callback({ cancel: isRemoteRequest(details.url) }));
  ses.setPermissionRequestHandler((contents, permission, callback) => callback(isPermissionAllowed(permission, contents.getURL(), layout.appUrl)));
  ses.setPermissionCheckHandler((contents, permission) => isPermissionAllowed(permission, contents?.getURL() ?? '', layout.appUrl));
  ses.setSpellCheckerEnabled(false);
}

/** Every web contents: stays on the app page, opens no windows, attaches no webviews. */
function lockDown(contents: WebContents): void {
  contents.on('will-navigate', (event) => {
    if (!isAppNavigation(event.url, layout.appUrl)) event.preventDefault();
  });
  contents.on('will-frame-navigate', (event) => {
    if (!isAppNavigation(event.url, layout.appUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!isAppNavigation(event.url, layout.appUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    // Links go to the system browser, and only http(s) ones: never file:, javascript: or app schemes.
    const external = externalUrl(url);
    if (external) void shell.openExternal(external);
    return { action: 'deny' };
  });
}

/** Artifacts may run programs (execve) only when the app was started with --allow-execve. */
const allowExecve = process.argv.includes('--allow-execve');

/** The app's collector: one for every window, over the datastore `vql monitor` uses too. */
let collector: AppCollector | undefined;

function createWindow(): BrowserWindow {
  const win = new BrowserWindow(windowOptions(layout.preload, { devTools: !app.isPackaged }));
  bridge.attach(win.webContents, (push) => new AppService({ userArtifacts: layout.userArtifacts, workerScript: layout.queryWorker, push, collector, allowExecve }));
  win.webContents.on('before-input-event', (_event, input) => {
    const cmd = escCommand(input);
    if (cmd) bridge.pushTo(win.webContents, 'app:menu', cmd);
  });
  win.once('ready-to-show', () => win.show());
  if (!existsSync(layout.indexHtml)) {
    dialog.showErrorBox(APP_NAME, `Could not load ${layout.indexHtml}: it does not exist.\nBuild the interface first: npm run build:renderer`);
    win.destroy();
    return win;
  }
  win.loadURL(layout.appUrl).catch((e: unknown) => {
    dialog.showErrorBox(APP_NAME, `Could not load ${layout.indexHtml}: ${(e as Error).message}\nBuild the interface first: npm run build:renderer`);
    win.destroy();
  });
  return win;
}

// One instance: a second launch focuses the open window (two would share one datastore).
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    const win = BrowserWindow.getAllWindows()[0];
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  app.on('web-contents-created', (_event, contents) => lockDown(contents));
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
  // Rows the collector has received are written, and its datastore lock released, before exit.
  let closing = false;
  app.on('before-quit', (event) => {
    if (!collector || closing) return;
    closing = true;
    event.preventDefault();
    void collector.close().finally(() => app.quit());
  });
  app.whenReady().then(async () => {
    collector = await AppCollector.open({ datastore: layout.datastore, userArtifacts: layout.userArtifacts, owner: 'the desktop app', allowExecve });
    // Another writer (a running `vql monitor`) holds the datastore: logs still browse; say why events cannot start.
    if (collector.busy) dialog.showMessageBoxSync({ type: 'info', message: 'Live events are unavailable for now', detail: collector.busy });
    protocol.handle(APP_SCHEME, (request) => appProtocolResponse(request.url, layout.rendererDir));
    secureSession();
    installMenu(menuTemplate({ platform: process.platform, isPackaged: app.isPackaged }), command);
    createWindow();
  }).catch((e: unknown) => {
    dialog.showErrorBox(APP_NAME, `Start-up failed: ${(e as Error).message}`);
    app.exit(1);
  });
}
