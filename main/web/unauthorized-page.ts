/**
 * What the web host answers a browser that opens a page without this start's token: a short
 * page that says why and what to do, instead of a bare "401 unauthorized". The usual cause is a
 * tab opened before `vql serve` was restarted: each start makes a new token unless it is
 * started with `--token-file`, so the tab's token (in its cookie and session storage) is old.
 *
 * Safe by construction: the page is a constant (no token, no request data, nothing to
 * escape), runs no script, and its policy allows nothing but its own style (by hash).
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** Why the page is refused: no token came with it, or one that is not this start's. */
export type RefusalKind = 'missing' | 'stale';

const STYLE = 'body{font:15px/1.5 system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em;color:#1d2330}h1{font-size:20px}code{background:#eef0f4;padding:0 3px;border-radius:3px}';

/** The policy of the page: nothing but its one style element. */
export const UNAUTHORIZED_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

const WHY: Record<RefusalKind, string> = {
  stale:
    '<p>This tab has an old token: the workbench (<code>vql serve</code>) was restarted since it was opened, ' +
    'and each start makes a new token. Or the link you followed is from an earlier start.</p>',
  missing: '<p>This address needs the token that <code>vql serve</code> prints when it starts: it was opened without it.</p>',
};

/** The page's HTML (a constant per kind). */
export function unauthorizedPage(kind: RefusalKind): string {
  return `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="referrer" content="no-referrer">` +
    `<title>vql-workbench: open the link vql serve printed</title><style>${STYLE}</style>` +
    `<h1>Open the link that <code>vql serve</code> printed</h1>${WHY[kind]}` +
    '<p><strong>What to do:</strong> in the terminal where <code>vql serve</code> runs, copy the address it printed last ' +
    '(<code>http://127.0.0.1:PORT/?token=…</code>) and open it here.</p>' +
    '<p>To keep the same token across restarts, so that open tabs reconnect by themselves, start it with ' +
    '<code>vql serve --token-file FILE</code> (the file is created with mode 0600 and read on the next start).</p></html>';
}

/**
 * Whether a refused request is a page a person is looking at (a navigation), which gets the
 * page above; scripts, assets and tools get the plain 401 text.
 */
export function wantsPage(method: string | undefined, headers: IncomingHttpHeaders): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  const dest = headers['sec-fetch-dest'];
  if (dest !== undefined) return dest === 'document';
  return /\btext\/html\b/.test(String(headers.accept ?? ''));
}
