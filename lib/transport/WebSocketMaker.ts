import type { WebSocketLike } from './rxjsWebsockets.js';

/**
 * Opens a WebSocket to the result service, authenticated as `token`: the seam that lets tests
 * and unusual runtimes bring their own socket. The default is `ws` with an `Authorization` header
 * in Node, and the browser's `WebSocket` with the token as a `funcx.bearer.<base64url>` subprotocol
 * elsewhere (the `access_token` query parameter, as below, is the service's fallback).
 *
 * @example
 * ```ts
 * const makeWebSocket: WebSocketMaker = (url, { token }) => new WebSocket(`${url}?access_token=${encodeURIComponent(token)}`);
 * ```
 */
export type WebSocketMaker = (url: string, auth: { readonly token: string }) => WebSocketLike;
