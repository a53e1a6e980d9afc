import type { GroupEntry } from '../../core/records.js';
import type { GroupRepo } from '../../core/repositories.js';
import type { RedisClient } from './RedisClient.js';

/**
 * Task groups. A group id is one user's across the service: `<prefix>go:<group>` holds its owner,
 * set once (SET NX). Everything else is under the owner's hash tag, beside the owner's tasks: a
 * hash per group (last use), a sorted set of its tasks in submit order, a set of its undelivered
 * results, and the owner's index of groups by last use, for expiry. A set of the users who hold
 * any group (`<prefix>owners`) is what the sweep visits.
 */
export class RedisGroupRepo implements GroupRepo {
  readonly #client: RedisClient;

  constructor(client: RedisClient) {
    this.#client = client;
  }

  #ownerKey(id: string): string {
    return this.#client.key('go', id);
  }

  #key(ownerId: string, id: string, part?: string): string {
    return part === undefined ? this.#client.userKey(ownerId, 'g', id) : this.#client.userKey(ownerId, 'g', id, part);
  }

  #index(ownerId: string): string {
    return this.#client.userKey(ownerId, 'groups');
  }

  get #owners(): string {
    return this.#client.key('owners');
  }

  async get(id: string): Promise<GroupEntry | undefined> {
    const ownerId = await this.#client.redis.get(this.#ownerKey(id));
    if (ownerId === null) return undefined;
    const touchedAt = await this.#client.redis.hget(this.#key(ownerId, id), 'touchedAt');
    return touchedAt === null ? undefined : { id, ownerId, touchedAt: Number(touchedAt) };
  }

  async claim(id: string, ownerId: string, now: number): Promise<GroupEntry> {
    // The owner first (the one place a group id is decided), then the owner's own keys.
    const previous = await this.#client.redis.set(this.#ownerKey(id), ownerId, 'NX', 'GET');
    if (previous !== null && previous !== ownerId) {
      const touchedAt = await this.#client.redis.hget(this.#key(previous, id), 'touchedAt');
      return { id, ownerId: previous, touchedAt: Number(touchedAt ?? 0) };
    }
    // Indexed before the owner is listed: the sweep that drops an owner with no group checks again after (delete).
    await this.#client.script('claimGroup', [this.#key(ownerId, id), this.#index(ownerId)], [id, now]);
    await Promise.all([this.#client.redis.sadd(this.#owners, ownerId), this.#client.redis.sadd(this.#client.countedUsersKey, ownerId)]);
    return { id, ownerId, touchedAt: now };
  }

  /** The group's hash and its sorted set of task ids (the submit script writes both). */
  keysOf(ownerId: string, id: string): [group: string, tasks: string] {
    return [this.#key(ownerId, id), this.#key(ownerId, id, 'tasks')];
  }

  async removeTasks(ownerId: string, id: string, taskIds: readonly string[]): Promise<void> {
    if (taskIds.length === 0) return;
    await this.#client.redis.multi().zrem(this.#key(ownerId, id, 'tasks'), ...taskIds).srem(this.#key(ownerId, id, 'undelivered'), ...taskIds).exec();
  }

  taskIds(ownerId: string, id: string, offset = 0, limit?: number): Promise<string[]> {
    return this.#client.redis.zrange(this.#key(ownerId, id, 'tasks'), String(offset), limit === undefined ? '-1' : String(offset + limit - 1));
  }

  size(ownerId: string, id: string): Promise<number> {
    return this.#client.redis.zcard(this.#key(ownerId, id, 'tasks'));
  }

  async removeUndelivered(ownerId: string, id: string, taskIds: readonly string[]): Promise<void> {
    if (taskIds.length > 0) await this.#client.redis.srem(this.#key(ownerId, id, 'undelivered'), taskIds as string[]);
  }

  drainUndelivered(ownerId: string, id: string): Promise<string[]> {
    return this.#client.script<string[]>('drain', [this.#key(ownerId, id, 'undelivered')], []);
  }

  idleBefore(ownerId: string, before: number, limit: number): Promise<string[]> {
    return this.#client.redis.zrangebyscore(this.#index(ownerId), '-inf', `(${before}`, 'LIMIT', 0, limit);
  }

  owners(): Promise<string[]> {
    return this.#client.redis.smembers(this.#owners);
  }

  async delete(ownerId: string, id: string, before: number): Promise<boolean> {
    const deleted = (await this.#client.script<number>('deleteGroup', [this.#key(ownerId, id), this.#key(ownerId, id, 'tasks'), this.#key(ownerId, id, 'undelivered'), this.#index(ownerId)], [id, before])) === 1;
    if (!deleted) return false;
    // The id is free again once its keys are gone (a claim in between re-made the hash: its next claim re-takes the id).
    await this.#client.redis.del(this.#ownerKey(id));
    if ((await this.#client.redis.zcard(this.#index(ownerId))) === 0) {
      await this.#client.redis.srem(this.#owners, ownerId);
      // A claim that indexed a group meanwhile listed its owner before this SREM, or lists it after: checked again.
      if ((await this.#client.redis.zcard(this.#index(ownerId))) > 0) await this.#client.redis.sadd(this.#owners, ownerId);
    }
    return true;
  }
}
