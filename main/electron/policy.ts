/**
 * The Electron window's security policy and file layout as plain data and pure functions, so
 * they are unit-tested without Electron (test/electron/policy.test.ts). main/electron/main.ts
 * only applies them.
 */
import { dirname, join } from 'node:path';
import { CSP_HEADER } from '../web/csp.ts';
import { APP_SCHEME, APP_URL } from './app-protocol.ts';
import { APP_DIR_NAME } from '../collector/paths.ts';

/** The application's name (window title, userData folder, datastore folder). */
export const APP_NAME = APP_DIR_NAME;

/** The renderer's webPreferences: isolated, sandboxed, no Node, web security on. */
export function webPreferences(preload: string, opts: { devTools: boolean }) {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
    // Middle-click would otherwise ask for a new window (denied anyway by the open handler).
    disableBlinkFeatures: 'Auxclick',
    devTools: opts.devTools,
  } as const;
}

/** The BrowserWindow options of the main window. */
export function windowOptions(preload: string, opts: { devTools: boolean }) {
  return {
    title: APP_NAME,
    width: 1400,
    height: 900,
    minWidth: 800,
    minHeight: 500,
    // Shown on 'ready-to-show', so the first paint is the app, not a white frame.
    show: false,
    backgroundColor: '#1e1e1e',
    webPreferences: webPreferences(preload, opts),
  };
}

/** Where the shell finds its pieces and keeps the user's data. */
export interface AppLayout {
  readonly preload: string;
  /** The query worker script: outside the asar when packaged (asarUnpack), as a real file. */
  readonly queryWorker: string;
  readonly indexHtml: string;
  /** The folder app:// serves (main/electron/app-protocol.ts): the built renderer. */
  readonly rendererDir: string;
  /** The renderer page's URL (app://bundle/index.html): the only page the window may show. */
  readonly appUrl: string;
  /** Built-in artifacts; undefined lets the repository find the package's artifacts/ (development). */
  readonly builtinArtifacts: string | undefined;
  readonly userArtifacts: string;
  readonly datastore: string;
}

/**
 * The layout for a main bundle in `mainDir` (dist-main/, inside app.asar when packaged).
 * Packaged builds ship the built-in artifacts as extra resources (resources/artifacts) and the
 * query worker unpacked (worker threads load real files), both outside the asar. The datastore is the one `vql monitor` and `vql serve` use, so the desktop app, the
 * CLI and the web host share the user's artifacts and collected events.
 */
export function appLayout(o: { mainDir: string; isPackaged: boolean; resourcesPath: string; datastore: string }): AppLayout {
  const indexHtml = join(o.mainDir, '..', 'dist-renderer', 'index.html');
  return {
    preload: join(o.mainDir, 'preload.cjs'),
    queryWorker: o.isPackaged ? join(o.resourcesPath, 'app.asar.unpacked', 'dist-main', 'query-worker.mjs') : join(o.mainDir, 'query-worker.mjs'),
    indexHtml,
    rendererDir: dirname(indexHtml),
    appUrl: APP_URL,
    builtinArtifacts: o.isPackaged ? join(o.resourcesPath, 'artifacts') : undefined,
    userArtifacts: join(o.datastore, 'artifacts'),
    datastore: o.datastore,
  };
}

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null; // not a URL at all: refused by every caller
  }
}

/**
 * May the window navigate to `target`? Only to the app's own page (a reload, or a hash change):
 * any file (a dropped file included), other app:// path, http(s) page or scheme is refused.
 */
export function isAppNavigation(target: string, appUrl: string): boolean {
  const t = parse(target);
  const a = parse(appUrl);
  return !!t && !!a && t.protocol === `${APP_SCHEME}:` && a.protocol === t.protocol && t.host === a.host && t.pathname === a.pathname;
}

/**
 * The URL to hand to the system browser for a link the page tried to open, or null to drop it.
 * Only http(s) with a host, and no user:password part (a classic phishing disguise).
 */
export function externalUrl(url: string): string | null {
  const u = parse(url);
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || !u.hostname || u.username || u.password) return null;
  return u.href;
}

/**
 * Which permissions the app page gets: only writing sanitized text to the clipboard (copy
 * cell/row), and only for the app's own page. Everything else (camera, notifications,
 * geolocation, openExternal, clipboard reading ...) is denied.
 */
export function isPermissionAllowed(permission: string, requestingUrl: string, appUrl: string): boolean {
  return permission === 'clipboard-sanitized-write' && isAppNavigation(requestingUrl, appUrl);
}

// What the app's pages may load: their own files (app://, never file://), inline data, and the developer tools.
const LOCAL_SCHEMES = new Set([`${APP_SCHEME}:`, 'data:', 'blob:', 'devtools:', 'chrome-devtools:']);

/** Is this request for remote content (http, https, ws, ftp, or anything unknown)? Those are cancelled. */
export function isRemoteRequest(url: string): boolean {
  const u = parse(url);
  return !u || !LOCAL_SCHEMES.has(u.protocol);
}

/** Response headers with the app's CSP, replacing any CSP the response had. */
export function withCsp(headers: Record<string, string[] | string> | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (k.toLowerCase() !== 'content-security-policy') out[k] = Array.isArray(v) ? v : [v];
  }
  out['Content-Security-Policy'] = [CSP_HEADER];
  return out;
}
