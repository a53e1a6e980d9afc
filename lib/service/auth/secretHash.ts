import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The form in which the service keeps a bearer token or an endpoint secret: its SHA-256, hex. The
 * secrets are random 192-bit strings, so a plain hash is enough (no salt or stretching needed),
 * and a leaked store reveals no credential.
 *
 * @param secret - the token or secret as the client sends it
 * @returns the hex digest
 * @example
 * ```ts
 * store.put({ id, ownerId, name, secretHash: secretHash(secret) });
 * ```
 */
export function secretHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/**
 * Whether a presented secret matches a stored hash, in time that does not depend on where they
 * differ.
 *
 * @param presented - what the client sent
 * @param storedHash - the stored {@link secretHash}
 * @returns true on a match
 * @example
 * ```ts
 * if (!secretMatches(bearer, endpoint.secretHash)) refuse();
 * ```
 */
export function secretMatches(presented: string, storedHash: string): boolean {
  const a = Buffer.from(secretHash(presented), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
