import { randomBytes } from 'node:crypto';
import { v4 as uuidv4 } from 'uuid';
import { secretHash } from './secretHash.js';

/** Who a token belongs to. */
export interface TokenHolder {
  readonly userId: string;
  /** Operators see service-wide statistics; users see their own. */
  readonly operator: boolean;
}

/**
 * The service's bearer tokens, kept only as hashes: a token is looked up by its SHA-256, so the
 * service never holds a usable credential. It is the owner of its map: {@link revoke} deletes.
 *
 * @example
 * ```ts
 * const tokens = new TokenRegistry();
 * const { token } = tokens.issue();
 * tokens.holderOf(token)?.userId;
 * ```
 */
export class TokenRegistry {
  readonly #byHash = new Map<string, TokenHolder>();

  /**
   * Makes a new user and a random token for it.
   *
   * @param options - `operator`: the token may read service-wide statistics
   * @returns the user's id and the token (the only time the token is seen)
   */
  issue(options: { operator?: boolean } = {}): { userId: string; token: string } {
    const userId = uuidv4();
    const token = randomBytes(24).toString('base64url');
    this.#byHash.set(secretHash(token), { userId, operator: options.operator === true });
    return { userId, token };
  }

  /**
   * The holder of a presented token.
   *
   * @param token - the bearer token
   * @returns its holder, or undefined for an unknown token
   */
  holderOf(token: string): TokenHolder | undefined {
    // Bound the work an attacker's huge header can cause before hashing.
    if (token.length === 0 || token.length > 512) return undefined;
    return this.#byHash.get(secretHash(token));
  }

  /**
   * Revokes a token.
   *
   * @param token - the bearer token
   * @returns true when it was known
   */
  revoke(token: string): boolean {
    return this.#byHash.delete(secretHash(token));
  }
}
