import type { RedisClient } from './RedisClient.js';

/**
 * Registrations (functions, endpoints) as Redis hashes of JSON-safe fields, with an index by last
 * use so that unused ones expire.
 */
export class RedisRegistry<T extends { readonly id: string; readonly ownerId: string }> {
  readonly #client: RedisClient;
  readonly #kind: string;
  readonly #touchField: string;
  readonly #numeric: readonly string[];

  /**
   * @param client - the connection
   * @param kind - the key part (`f` for functions, `e` for endpoints)
   * @param touchField - the field that holds the last use
   */
  constructor(client: RedisClient, kind: string, touchField: string) {
    this.#client = client;
    this.#kind = kind;
    this.#touchField = touchField;
    this.#numeric = [touchField];
  }

  #key(id: string): string {
    return this.#client.key(this.#kind, id);
  }

  /** The set of one owner's ids (registrations made before it existed are not in it). */
  #ownerKey(ownerId: string): string {
    return this.#client.key(`${this.#kind}-owner`, ownerId);
  }

  get #index(): string {
    return this.#client.key(`${this.#kind}-index`);
  }

  async get(id: string): Promise<T | undefined> {
    const fields = await this.#client.redis.hgetall(this.#key(id));
    if (fields.id === undefined) return undefined;
    const out: Record<string, unknown> = { ...fields };
    for (const key of this.#numeric) out[key] = Number(fields[key]);
    return out as T;
  }

  // The entry, its index and its owner's set are three keys on three Redis Cluster slots, so
  // three steps, in an order the sweep repairs: indexed before the entry is written, and the
  // entry deleted before its index entries (an index entry with no entry is dropped by delete).
  async insert(entry: T): Promise<void> {
    const redis = this.#client.redis;
    await Promise.all([
      redis.zadd(this.#index, Number((entry as unknown as Record<string, number>)[this.#touchField]), entry.id),
      redis.sadd(this.#ownerKey(entry.ownerId), entry.id),
    ]);
    await redis.hset(this.#key(entry.id), entry as unknown as Record<string, string | number>);
  }

  async touch(id: string, now: number): Promise<void> {
    // XX: an entry deleted meanwhile is not put back in the index.
    if ((await this.#client.script<number>('touch', [this.#key(id)], [this.#touchField, now])) === 1) await this.#client.redis.zadd(this.#index, 'XX', now, id);
  }

  idleBefore(before: number, limit: number): Promise<string[]> {
    return this.#client.redis.zrangebyscore(this.#index, '-inf', `(${before}`, 'LIMIT', 0, limit);
  }

  async ownedBy(ownerId: string, limit: number): Promise<T[]> {
    const ids = (await this.#client.redis.smembers(this.#ownerKey(ownerId))).slice(0, limit);
    const entries = await Promise.all(ids.map((id) => this.get(id)));
    return entries.filter((e): e is Awaited<T> => e !== undefined) as T[];
  }

  async delete(id: string): Promise<T | null> {
    const entry = await this.get(id);
    const redis = this.#client.redis;
    const deleted = await redis.del(this.#key(id));
    await Promise.all([redis.zrem(this.#index, id), ...(entry === undefined ? [] : [redis.srem(this.#ownerKey(entry.ownerId), id)])]);
    return entry !== undefined && deleted === 1 ? entry : null;
  }
}
