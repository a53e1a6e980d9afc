import type { WebSocketMaker } from './WebSocketMaker.js';
import type { WebSocketLike } from './rxjsWebsockets.js';
import { bearerSubprotocols } from './bearerSubprotocol.js';

/**
 * The default socket outside Node: the runtime's own `WebSocket`. Browsers cannot set handshake
 * headers, so the token travels as a subprotocol, `funcx.bearer.<base64url token>`, beside
 * `funcx.v2`, which the service echoes back (a funcx-rx extension; see
 * docs/protocol-extensions.md). For a service that only reads the older `access_token` query
 * parameter, pass a `makeWebSocket` that adds it.
 *
 * @param url - the result socket URL
 * @param auth - the bearer token
 * @returns an open-pending socket
 * @example
 * ```ts
 * const socket = defaultMakeWebSocket('wss://example.org/ws/v2/', { token });
 * ```
 */
export const defaultMakeWebSocket: WebSocketMaker = (url, { token }) => {
  const Socket = (globalThis as { WebSocket?: new (url: string, protocols: string[]) => WebSocketLike }).WebSocket;
  if (Socket === undefined) {
    throw new TypeError('This runtime has no global WebSocket; pass `makeWebSocket` to the client');
  }
  return new Socket(url, bearerSubprotocols(token));
};
