import type { IncomingMessage } from 'node:http';
import { parseBearer } from '../auth/parseBearer.js';
import { BEARER_SUBPROTOCOL_PREFIX, FUNCX_SUBPROTOCOL } from '../../transport/bearerSubprotocol.js';

/** A bearer token found on a WebSocket handshake, and where. */
export interface HandshakeBearer {
  readonly token: string;
  readonly via: 'header' | 'subprotocol' | 'query';
}

/**
 * The bearer token of a result-socket handshake: the `Authorization` header (Node clients, as
 * funcX), else a `funcx.bearer.<base64url>` subprotocol (browsers), else the `access_token` query
 * parameter (a documented fallback for clients that can do neither; it ends up in logs).
 *
 * @param request - the upgrade request
 * @param accessToken - the `access_token` query parameter, if any
 * @returns the token and where it came from, or undefined when there is none
 * @example
 * ```ts
 * bearerFromRequest(request, new URL(request.url ?? '/', 'http://service').searchParams.get('access_token') ?? undefined)?.token;
 * ```
 */
export function bearerFromRequest(request: IncomingMessage, accessToken: string | undefined): HandshakeBearer | undefined {
  const header = parseBearer(request.headers.authorization);
  if (header !== undefined) return { token: header, via: 'header' };
  const offered = request.headers['sec-websocket-protocol'];
  if (typeof offered === 'string') {
    for (const protocol of offered.split(',')) {
      const trimmed = protocol.trim();
      if (!trimmed.startsWith(BEARER_SUBPROTOCOL_PREFIX)) continue;
      const token = Buffer.from(trimmed.slice(BEARER_SUBPROTOCOL_PREFIX.length), 'base64url').toString('utf8');
      if (token !== '') return { token, via: 'subprotocol' };
    }
  }
  return accessToken === undefined || accessToken === '' ? undefined : { token: accessToken, via: 'query' };
}

/**
 * Chooses the subprotocol a WebSocket handshake answers with (ws's `handleProtocols`): only
 * `funcx.v2`, so the token a browser offered as a subprotocol is never echoed. Browsers fail a
 * handshake that offered subprotocols and got none back, so it must be offered with the token.
 *
 * @param protocols - the subprotocols the client offered
 * @returns `funcx.v2` when offered, else false (no subprotocol)
 * @example
 * ```ts
 * new WebSocketServer({ noServer: true, handleProtocols: selectSubprotocol });
 * ```
 */
export function selectSubprotocol(protocols: ReadonlySet<string>): string | false {
  return protocols.has(FUNCX_SUBPROTOCOL) ? FUNCX_SUBPROTOCOL : false;
}
