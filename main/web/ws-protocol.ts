/**
 * The WebSocket subprotocols of the web host, shared by the host (main/web/guard.ts) and the
 * page (renderer/lib/api.ts): the page offers WS_PROTOCOL and its token as a second protocol,
 * `vql.token.<hex>`; the host selects WS_PROTOCOL, so the token is never echoed back.
 * No imports: the renderer bundles this file.
 */
export const WS_PROTOCOL = 'vql.v1';
/** Prefix of the subprotocol that carries the token. */
export const WS_TOKEN_PROTOCOL = 'vql.token.';
