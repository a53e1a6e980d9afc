import { randomBytes } from 'node:crypto';
import { v4 as uuidv4 } from 'uuid';
import type { Backend } from '../core/Backend.js';
import type { TokenHolder } from '../core/records.js';
import type { TaskBroker } from '../TaskBroker.js';
import { secretHash, secretMatches } from './secretHash.js';

/** The longest credential worth hashing; longer ones are refused unread. */
const MAX_CREDENTIAL_LENGTH = 512;

function randomSecret(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * Users' tokens and endpoints' credentials, kept in the backend's stores as SHA-256 hashes only,
 * so every replica knows them and a restart keeps them.
 *
 * @example
 * ```ts
 * const accounts = new Accounts(backend, broker);
 * const { userId, token } = await accounts.issueToken();
 * const { endpointId, secret } = await accounts.createEndpoint(userId, 'gpu-box');
 * ```
 */
export class Accounts {
  readonly #backend: Backend;
  readonly #broker: TaskBroker;

  /**
   * @param backend - the identity and endpoint stores
   * @param broker - registers endpoints within the user's quota
   */
  constructor(backend: Backend, broker: TaskBroker) {
    this.#backend = backend;
    this.#broker = broker;
  }

  /**
   * Makes a new user and a random token for it.
   *
   * @param options - `operator`: the token may read service-wide statistics
   * @returns the user's id and the token (the only time the token is seen)
   */
  async issueToken(options: { operator?: boolean } = {}): Promise<{ userId: string; token: string }> {
    const userId = uuidv4();
    const token = randomSecret();
    await this.#backend.identity.insert(secretHash(token), { userId, operator: options.operator === true });
    return { userId, token };
  }

  /**
   * The holder of a presented token.
   *
   * @param token - the bearer token
   * @returns its holder, or undefined for an unknown token
   */
  async holderOf(token: string): Promise<TokenHolder | undefined> {
    if (token.length === 0 || token.length > MAX_CREDENTIAL_LENGTH) return undefined;
    return this.#backend.identity.holder(secretHash(token));
  }

  /**
   * Revokes a token.
   *
   * @param token - the bearer token
   * @returns true when it was known
   */
  revoke(token: string): Promise<boolean> {
    return this.#backend.identity.revoke(secretHash(token));
  }

  /**
   * Registers an endpoint owned by a user, with a fresh secret for it to connect with.
   *
   * @param userId - the owner
   * @param name - shown in status answers
   * @returns the endpoint id and secret (the only time the secret is seen)
   * @throws {@link ApiError} 104 when the user already has `maxEndpointsPerUser`
   */
  async createEndpoint(userId: string, name: string): Promise<{ endpointId: string; secret: string }> {
    const endpointId = uuidv4();
    const secret = randomSecret();
    await this.#broker.registerEndpoint(userId, { id: endpointId, name, secretHash: secretHash(secret) });
    return { endpointId, secret };
  }

  /**
   * The owner of an endpoint, if the secret is its own (compared in constant time).
   *
   * @param endpointId - the endpoint
   * @param secret - the presented secret
   * @returns the owner's user id, or undefined
   */
  async endpointOwner(endpointId: string, secret: string): Promise<string | undefined> {
    if (secret.length === 0 || secret.length > MAX_CREDENTIAL_LENGTH) return undefined;
    const endpoint = await this.#backend.endpoints.get(endpointId);
    return endpoint !== undefined && secretMatches(secret, endpoint.secretHash) ? endpoint.ownerId : undefined;
  }
}
