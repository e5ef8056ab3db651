/**
 * The workbench's contacts with the browser: a download of an export the host wrote (the web
 * host's one-time `/exports/<id>` address) and the clipboard (shared with the results table).
 * Kept out of lib/workbench (pure, tested in Node) and out of the components (markup only).
 */
export { copyText } from '../table/table-dom.ts';

/** Starts the browser's download of `url` (same origin: the page's cookie carries the host's token) as `name`. */
export function downloadUrl(url: string, name: string): void {
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
}

/** localStorage, or null where it is refused (a sandboxed page, privacy settings). */
export function localStore(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}
