/**
 * Whether a WebSocket handshake's `Origin` may connect. Browsers send `Origin` on every
 * WebSocket handshake and let any page open a socket to any host, so the service applies the
 * same allow-list as its CORS answers. Clients that are not browsers (Node, endpoints) send no
 * `Origin` and are let through: they hold the token themselves.
 *
 * @param origin - the handshake's `Origin` header, if any
 * @param allowed - the allow-list (`serve --cors`); `'*'` allows every origin
 * @returns true when the socket may open
 * @example
 * ```ts
 * checkOrigin('http://localhost:4200', ['http://localhost:4200']); // true
 * checkOrigin('https://evil.example', ['http://localhost:4200']);  // false
 * ```
 */
export function checkOrigin(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  return allowed.includes('*') || allowed.includes(origin);
}
