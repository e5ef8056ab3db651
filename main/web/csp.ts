/**
 * The app pages' Content-Security-Policy, in one place: the web host sends it as a header,
 * the Electron window adds it to every response, and renderer/index.html carries the same
 * policy in its meta tag (a test keeps the two equal).
 *
 * Why each source: scripts only from the app itself (no inline, no eval); inline styles because
 * Svelte and CodeMirror set style attributes; `blob:` workers and images for the CSV parser
 * and chart exports; WebSocket to the loopback web host only.
 */
export const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; worker-src 'self' blob:; connect-src 'self' ws://127.0.0.1:*; object-src 'none'; base-uri 'none'";

/**
 * The policy as an HTTP header: `frame-ancestors` only works in a header (browsers ignore it in
 * a meta tag), and keeps other sites from framing the token-bearing page.
 */
export const CSP_HEADER = `${CSP}; frame-ancestors 'none'; form-action 'none'`;
