import type { TokenHolder } from '../../core/records.js';
import type { IdentityRepo } from '../../core/repositories.js';

/** Token hashes in a Map. */
export class MemoryIdentityRepo implements IdentityRepo {
  readonly #holders = new Map<string, TokenHolder>();

  async holder(tokenHash: string): Promise<TokenHolder | undefined> {
    return this.#holders.get(tokenHash);
  }

  async insert(tokenHash: string, holder: TokenHolder): Promise<void> {
    this.#holders.set(tokenHash, Object.freeze({ ...holder }));
  }

  async revoke(tokenHash: string): Promise<boolean> {
    return this.#holders.delete(tokenHash);
  }
}
