import type { WebSocketMaker } from './WebSocketMaker.js';
import type { WebSocketLike } from './rxjsWebsockets.js';

/**
 * The default socket outside Node: the runtime's own `WebSocket`. Browsers cannot set handshake
 * headers, so the token goes in the `access_token` query parameter (a funcx-rx extension).
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
  const Socket = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
  if (Socket === undefined) {
    throw new TypeError('This runtime has no global WebSocket; pass `makeWebSocket` to the client');
  }
  const withToken = new URL(url);
  withToken.searchParams.set('access_token', token);
  return new Socket(withToken.toString());
};
