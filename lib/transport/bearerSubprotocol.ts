/** The subprotocol funcx-rx result sockets speak; the service echoes it back. */
export const FUNCX_SUBPROTOCOL = 'funcx.v2';

/** The prefix of the subprotocol that carries a bearer token from a browser. */
export const BEARER_SUBPROTOCOL_PREFIX = 'funcx.bearer.';

/**
 * The subprotocol list a browser offers to carry its token: browsers cannot set an
 * `Authorization` header on a WebSocket handshake, but they send `Sec-WebSocket-Protocol`, which
 * (unlike a query parameter) stays out of access logs and history, as Kubernetes and Jupyter do.
 * The token is base64url-encoded (no padding) because a subprotocol must be an HTTP token; the
 * service answers with {@link FUNCX_SUBPROTOCOL} only, never the secret one.
 *
 * @param token - the bearer token
 * @returns `['funcx.bearer.<base64url token>', 'funcx.v2']`
 * @example
 * ```ts
 * new WebSocket('wss://example.org/ws/v2/', bearerSubprotocols(token));
 * ```
 */
export function bearerSubprotocols(token: string): [string, string] {
  const bytes = new TextEncoder().encode(token);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  const encoded = btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return [`${BEARER_SUBPROTOCOL_PREFIX}${encoded}`, FUNCX_SUBPROTOCOL];
}
