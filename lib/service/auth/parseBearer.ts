/**
 * The token of an `Authorization: Bearer <token>` header: the one bearer parser of the service
 * (REST routes, result-socket and endpoint-socket handshakes). The scheme is case-insensitive
 * (RFC 9110 §11.1); surrounding spaces are not part of the token.
 *
 * @param header - the `Authorization` header, if any
 * @returns the token, or undefined when the header is absent, of another scheme, or empty
 * @example
 * ```ts
 * parseBearer('Bearer abc'); // 'abc'
 * parseBearer('Basic abc');  // undefined
 * ```
 */
export function parseBearer(header: string | undefined): string | undefined {
  if (header === undefined || !/^bearer /i.test(header)) return undefined;
  const token = header.slice(7).trim();
  return token === '' ? undefined : token;
}
