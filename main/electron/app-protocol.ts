/**
 * The window's page comes from `app://bundle/`, a custom protocol that serves the built renderer
 * (dist-renderer/) and nothing else, instead of `file://`. With the
 * `grantFileProtocolExtraPrivileges` fuse off, file:// pages lose their extra powers (reading
 * any local file with fetch, module workers from any folder); app:// is registered as a
 * standard, secure scheme, so the page is an ordinary origin: its module workers (the CSV
 * import) load from the same origin, and the CSP applies as on the web.
 *
 * Pure functions (no electron import), tested in Node: main.ts registers the scheme and hands
 * each request to `appProtocolResponse`.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { CSP_HEADER } from '../web/csp.ts';

export const APP_SCHEME = 'app';
export const APP_HOST = 'bundle';
/** The page the window loads: the only page it may show. */
export const APP_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** What main passes to `protocol.registerSchemesAsPrivileged` (before the app is ready). */
export const APP_SCHEME_PRIVILEGES = {
  scheme: APP_SCHEME,
  // standard: URLs resolve like http (relative imports, an origin); secure: like https (no
  // mixed-content warnings, secure-context APIs such as the clipboard); supportFetchAPI: the
  // page's own fetches and module workers.
  privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.woff2': 'font/woff2', '.wasm': 'application/wasm',
};

/**
 * The file under `rendererDir` that `url` names, or null: another scheme or host, a path that
 * leaves the folder (`..`, encoded or not), a bad percent escape, a NUL.
 */
export function appFileFor(url: string, rendererDir: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return null;
  let path: string;
  try {
    path = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  if (path.includes('\0') || path.includes('\\')) return null;
  const root = normalize(rendererDir);
  const file = normalize(join(root, path === '/' ? 'index.html' : path));
  return file.startsWith(root + sep) ? file : null;
}

/** The response to one app:// request: the file with its type and the app's CSP, or 404. */
export async function appProtocolResponse(url: string, rendererDir: string): Promise<Response> {
  const headers = { 'content-security-policy': CSP_HEADER, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };
  const file = appFileFor(url, rendererDir);
  if (file) {
    try {
      if ((await stat(file)).isFile()) {
        return new Response(await readFile(file), { status: 200, headers: { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' } });
      }
    } catch {
      // Not there (or unreadable): the 404 below.
    }
  }
  return new Response('not found', { status: 404, headers: { ...headers, 'content-type': 'text/plain' } });
}
