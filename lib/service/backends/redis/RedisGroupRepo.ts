import type { GroupEntry } from '../../core/records.js';
import type { GroupRepo } from '../../core/repositories.js';
import type { RedisClient } from './RedisClient.js';

/**
 * Task groups: a hash per group (owner, last use), a sorted set of its tasks in submit order, a
 * set of its undelivered results, and an index of groups by last use, for expiry.
 */
export class RedisGroupRepo implements GroupRepo {
  readonly #client: RedisClient;

  constructor(client: RedisClient) {
    this.#client = client;
  }

  #key(id: string, part?: string): string {
    return part === undefined ? this.#client.key('g', id) : this.#client.key('g', id, part);
  }

  async get(id: string): Promise<GroupEntry | undefined> {
    const [ownerId, touchedAt] = await this.#client.redis.hmget(this.#key(id), 'ownerId', 'touchedAt');
    return ownerId ? { id, ownerId, touchedAt: Number(touchedAt) } : undefined;
  }

  async claim(id: string, ownerId: string, now: number): Promise<GroupEntry> {
    const [owner, touchedAt] = await this.#client.script<[string, string]>('claimGroup', [this.#key(id), this.#client.key('groups')], [id, ownerId, now]);
    return { id, ownerId: owner, touchedAt: Number(touchedAt) };
  }

  /** The group's hash and its sorted set of task ids (the submit script writes both). */
  keysOf(id: string): [group: string, tasks: string] {
    return [this.#key(id), this.#key(id, 'tasks')];
  }

  async removeTasks(id: string, taskIds: readonly string[]): Promise<void> {
    if (taskIds.length === 0) return;
    await this.#client.redis.multi().zrem(this.#key(id, 'tasks'), ...taskIds).srem(this.#key(id, 'undelivered'), ...taskIds).exec();
  }

  taskIds(id: string, offset = 0, limit?: number): Promise<string[]> {
    return this.#client.redis.zrange(this.#key(id, 'tasks'), String(offset), limit === undefined ? '-1' : String(offset + limit - 1));
  }

  size(id: string): Promise<number> {
    return this.#client.redis.zcard(this.#key(id, 'tasks'));
  }


  async removeUndelivered(id: string, taskIds: readonly string[]): Promise<void> {
    if (taskIds.length > 0) await this.#client.redis.srem(this.#key(id, 'undelivered'), taskIds as string[]);
  }

  drainUndelivered(id: string): Promise<string[]> {
    return this.#client.script<string[]>('drain', [this.#key(id, 'undelivered')], []);
  }

  idleBefore(before: number, limit: number): Promise<string[]> {
    return this.#client.redis.zrangebyscore(this.#client.key('groups'), '-inf', `(${before}`, 'LIMIT', 0, limit);
  }

  async delete(id: string): Promise<void> {
    await this.#client.redis.multi().del(this.#key(id), this.#key(id, 'tasks'), this.#key(id, 'undelivered')).zrem(this.#client.key('groups'), id).exec();
  }
}
