import { Redis } from 'ioredis';
import type { Backend } from '../../core/Backend.js';
import type { EndpointEntry, FunctionEntry } from '../../core/records.js';
import { ChannelSubscriber } from './ChannelSubscriber.js';
import { RedisClient } from './RedisClient.js';
import { RedisCounters } from './RedisCounters.js';
import { RedisGroupRepo } from './RedisGroupRepo.js';
import { RedisIdentityRepo } from './RedisIdentityRepo.js';
import { RedisPresence } from './RedisPresence.js';
import { RedisRegistry } from './RedisRegistry.js';
import { RedisTaskBus } from './RedisTaskBus.js';
import { RedisTaskRepo } from './RedisTaskRepo.js';

/** Options of {@link RedisBackend.connect}. */
export interface RedisBackendOptions {
  /**
   * Put before every key, so several services share one Redis.
   * @default 'fx:'
   */
  readonly prefix?: string;
  /**
   * A backstop expiry on ended task records, in seconds (the sweep deletes them at `retentionMs`).
   * @default 15 days
   */
  readonly taskTtlSeconds?: number;
}

/**
 * Everything in a Redis (7 or later), shared by any number of service replicas: tasks, groups,
 * registrations and token hashes survive a restart; endpoint queues are streams with consumer
 * groups; results and control messages travel over pub/sub. Uses ioredis (see
 * docs/architecture.md for why).
 *
 * @example
 * ```ts
 * const backend = await RedisBackend.connect('redis://127.0.0.1:6379');
 * const service = await FuncXService.start({ backend });
 * ```
 */
export class RedisBackend implements Backend {
  readonly tasks: RedisTaskRepo;
  readonly groups: RedisGroupRepo;
  readonly functions: RedisRegistry<FunctionEntry>;
  readonly endpoints: RedisRegistry<EndpointEntry>;
  readonly identity: RedisIdentityRepo;
  readonly counters: RedisCounters;
  readonly bus: RedisTaskBus;
  readonly presence: RedisPresence;
  readonly #client: RedisClient;
  readonly #subscriber: Redis;

  private constructor(redis: Redis, subscriber: Redis, options: RedisBackendOptions) {
    const client = (this.#client = new RedisClient(redis, options.prefix ?? 'fx:'));
    this.#subscriber = subscriber;
    this.tasks = new RedisTaskRepo(client, options.taskTtlSeconds ?? 15 * 24 * 3600);
    this.groups = new RedisGroupRepo(client);
    this.functions = new RedisRegistry<FunctionEntry>(client, 'f', 'lastUsedAt');
    this.endpoints = new RedisRegistry<EndpointEntry>(client, 'e', 'lastSeenAt');
    this.identity = new RedisIdentityRepo(client);
    this.counters = new RedisCounters(client);
    this.bus = new RedisTaskBus(client, new ChannelSubscriber(subscriber));
    this.presence = new RedisPresence(client);
  }

  /**
   * Connects to Redis and checks it answers.
   *
   * @param url - `redis://host:port[/db]`
   * @param options - key prefix, backstop expiry
   * @returns the backend
   * @example
   * ```ts
   * const backend = await RedisBackend.connect('redis://127.0.0.1:6379', { prefix: 'staging:' });
   * ```
   */
  static async connect(url: string, options: RedisBackendOptions = {}): Promise<RedisBackend> {
    // Commands issued in one tick go in one round trip.
    const redis = new Redis(url, { enableAutoPipelining: true, lazyConnect: true });
    const subscriber = new Redis(url, { lazyConnect: true });
    // Errors are retried by ioredis (reconnect with backoff); without a listener they would be thrown.
    redis.on('error', () => {});
    subscriber.on('error', () => {});
    try {
      await Promise.all([redis.connect(), subscriber.connect()]);
      await redis.ping();
    } catch (error) {
      redis.disconnect();
      subscriber.disconnect();
      throw new Error(`Cannot reach Redis at ${url}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    return new RedisBackend(redis, subscriber, options);
  }

  /** The connection @fastify/rate-limit counts requests in, so that limits are per user across replicas. */
  get rateLimitRedis(): Redis {
    return this.#client.redis;
  }

  /** The key prefix. */
  get prefix(): string {
    return this.#client.prefix;
  }

  async close(): Promise<void> {
    await this.counters.flush();
    await Promise.allSettled([this.#client.redis.quit(), this.#subscriber.quit()]);
  }
}
