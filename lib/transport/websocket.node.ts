import WebSocket from 'ws';
import type { WebSocketMaker } from './WebSocketMaker.js';
import type { WebSocketLike } from './rxjsWebsockets.js';

// funcX allowed result frames up to 11 MiB; leave room for the JSON around a 10 MiB result.
const MAX_FRAME_BYTES = 16 * 1024 * 1024;

/**
 * The default socket in Node: `ws`, with the token in the `Authorization` header as funcX's
 * result service expects. Chosen through the `#websocket` import's `node` condition.
 *
 * @param url - the result socket URL
 * @param auth - the bearer token
 * @returns an open-pending socket
 * @example
 * ```ts
 * const socket = defaultMakeWebSocket('ws://127.0.0.1:8080/ws/v2/', { token });
 * ```
 */
export const defaultMakeWebSocket: WebSocketMaker = (url, { token }) =>
  new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, maxPayload: MAX_FRAME_BYTES }) as unknown as WebSocketLike;
