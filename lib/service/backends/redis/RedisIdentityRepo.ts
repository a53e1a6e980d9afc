import type { TokenHolder } from '../../core/records.js';
import type { IdentityRepo } from '../../core/repositories.js';
import type { RedisClient } from './RedisClient.js';

/** Token hashes in one Redis hash: hash → the holder as JSON. */
export class RedisIdentityRepo implements IdentityRepo {
  readonly #client: RedisClient;

  constructor(client: RedisClient) {
    this.#client = client;
  }

  async holder(tokenHash: string): Promise<TokenHolder | undefined> {
    const text = await this.#client.redis.hget(this.#client.key('tokens'), tokenHash);
    if (text === null) return undefined;
    const parsed = JSON.parse(text) as TokenHolder;
    return { userId: parsed.userId, operator: parsed.operator === true };
  }

  async insert(tokenHash: string, holder: TokenHolder): Promise<void> {
    await this.#client.redis.hset(this.#client.key('tokens'), tokenHash, JSON.stringify(holder));
  }

  async revoke(tokenHash: string): Promise<boolean> {
    return (await this.#client.redis.hdel(this.#client.key('tokens'), tokenHash)) === 1;
  }
}
