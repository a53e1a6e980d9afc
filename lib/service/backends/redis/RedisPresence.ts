import type { Presence } from '../../core/TaskBus.js';
import type { RedisClient } from './RedisClient.js';

/**
 * Endpoint connections across replicas: per endpoint, a sorted set of consumer ids scored by the
 * time their heartbeat expires. A replica that dies stops heartbeating, and its consumers fall
 * out.
 */
export class RedisPresence implements Presence {
  readonly #client: RedisClient;

  constructor(client: RedisClient) {
    this.#client = client;
  }

  #key(endpointId: string): string {
    return this.#client.key('p', endpointId);
  }

  async heartbeat(endpointId: string, consumerId: string, ttlMs: number): Promise<void> {
    const now = Date.now();
    await this.#client.redis.multi().zremrangebyscore(this.#key(endpointId), '-inf', now).zadd(this.#key(endpointId), now + ttlMs, consumerId).exec();
  }

  async leave(endpointId: string, consumerId: string): Promise<void> {
    await this.#client.redis.zrem(this.#key(endpointId), consumerId);
  }

  async isOnline(endpointId: string): Promise<boolean> {
    return (await this.#client.redis.zcount(this.#key(endpointId), `(${Date.now()}`, '+inf')) > 0;
  }

  async consumers(endpointId: string): Promise<Set<string>> {
    return new Set(await this.#client.redis.zrangebyscore(this.#key(endpointId), `(${Date.now()}`, '+inf'));
  }
}
