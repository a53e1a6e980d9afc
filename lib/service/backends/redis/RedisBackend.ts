import type { Backend } from '../../core/Backend.js';
import type { DoomedTask, EndpointEntry, FunctionEntry, ReportOutcome, SubmitOutcome, TaskCompletion, TaskEntry, TaskMove } from '../../core/records.js';
import { createLogger, type Logger } from '../../log.js';
import { ChannelSubscriber } from './ChannelSubscriber.js';
import { openRedis, redactUrl, type RedisConnection } from './openRedis.js';
import { RedisClient } from './RedisClient.js';
import { RedisCounters } from './RedisCounters.js';
import { RedisGroupRepo } from './RedisGroupRepo.js';
import { RedisIdentityRepo } from './RedisIdentityRepo.js';
import { RedisPresence } from './RedisPresence.js';
import { RedisRegistry } from './RedisRegistry.js';
import { RedisTaskBus } from './RedisTaskBus.js';
import { RedisPartialRepo } from './RedisPartialRepo.js';
import { inSlices, listOf, RedisTaskRepo, taskOf, type Row } from './RedisTaskRepo.js';

/** Options of {@link RedisBackend.connect}. */
export interface RedisBackendOptions {
  /**
   * Put before every key, so several services share one Redis.
   * @default 'fx:'
   */
  readonly prefix?: string;
  /** Where connection errors and dropped messages are told. @default a logger at `FUNCX_LOG_LEVEL`, else `warn` */
  readonly logger?: Logger;
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
  readonly partials: RedisPartialRepo;
  readonly groups: RedisGroupRepo;
  readonly functions: RedisRegistry<FunctionEntry>;
  readonly endpoints: RedisRegistry<EndpointEntry>;
  readonly identity: RedisIdentityRepo;
  readonly counters: RedisCounters;
  readonly bus: RedisTaskBus;
  readonly presence: RedisPresence;
  readonly #client: RedisClient;
  readonly #subscriber: RedisConnection;

  private constructor(redis: RedisConnection, subscriber: RedisConnection, options: RedisBackendOptions) {
    const client = (this.#client = new RedisClient(redis, options.prefix ?? 'fx:'));
    this.#subscriber = subscriber;
    this.tasks = new RedisTaskRepo(client);
    this.partials = new RedisPartialRepo(client);
    this.groups = new RedisGroupRepo(client);
    this.functions = new RedisRegistry<FunctionEntry>(client, 'f', 'lastUsedAt');
    this.endpoints = new RedisRegistry<EndpointEntry>(client, 'e', 'lastSeenAt');
    this.identity = new RedisIdentityRepo(client);
    this.counters = new RedisCounters(client, options.logger);
    const log = options.logger ?? createLogger();
    this.bus = new RedisTaskBus(client, new ChannelSubscriber(subscriber, log), log);
    this.presence = new RedisPresence(client);
  }

  /**
   * Connects to Redis and checks it answers.
   *
   * @param url - `redis://host:port[/db]`, or `redis-cluster://host:port,host:port,...` for a
   *   Redis Cluster (each user's task keys share one hash tag: docs/architecture.md)
   * @param options - key prefix, backstop expiry
   * @returns the backend
   * @example
   * ```ts
   * const backend = await RedisBackend.connect('redis://127.0.0.1:6379', { prefix: 'staging:' });
   * ```
   */
  static async connect(url: string, options: RedisBackendOptions = {}): Promise<RedisBackend> {
    // Commands issued in one tick go in one round trip.
    // A command waits through two reconnect attempts at most, then fails: the request is answered
    // 503 with Retry-After instead of hanging while Redis is away.
    const redis = openRedis(url, { enableAutoPipelining: true, maxRetriesPerRequest: 2 });
    const subscriber = openRedis(url);
    // ioredis reconnects with backoff; without a listener its errors would be thrown.
    const base = options.logger ?? createLogger();
    const log = base.child({ component: 'redis-connection', url: redactUrl(url) });
    redis.on('error', (error: Error) => log.warn({ err: error, connection: 'commands' }, 'Redis connection error; reconnecting'));
    subscriber.on('error', (error: Error) => log.warn({ err: error, connection: 'subscriber' }, 'Redis connection error; reconnecting'));
    try {
      await Promise.all([redis.connect(), subscriber.connect()]);
      await redis.ping();
    } catch (error) {
      redis.disconnect();
      subscriber.disconnect();
      throw new Error(`Cannot reach Redis at ${redactUrl(url)}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    return new RedisBackend(redis, subscriber, { ...options, logger: base });
  }

  async submit(groupId: string, endpointId: string, tasks: readonly TaskEntry[]): Promise<SubmitOutcome> {
    if (tasks.length === 0) return { existing: [], released: [], doomed: [] };
    // Every task of one submit is its group's owner's (TaskBroker checks): one hash tag.
    const ownerId = tasks[0]!.ownerId;
    const [stream, wake] = this.bus.queueKeysOf(ownerId, endpointId);
    const { queued, refs, deps, stats } = this.tasks.indexKeys(ownerId);
    const fixed = [queued, refs, ...this.groups.keysOf(ownerId, groupId), stream, deps, stats];
    const byId = new Map(tasks.map((t) => [t.id, t]));
    const released: string[] = [];
    const doomed: DoomedTask[] = [];
    const existing = await inSlices(tasks, async (slice) => {
      const { keys, args } = this.tasks.submitArgs(ownerId, slice);
      try {
        type Part<T> = T[] | Record<string, never>;
        const [rows, ready, lost] = JSON.parse(await this.#client.script<string>('submit', [...fixed, ...keys], [wake, this.#client.taskKey(ownerId, ''), ...args])) as [Part<Row>, Part<string>, Part<[string, string]>];
        released.push(...listOf(ready));
        for (const [id, inputId] of listOf(lost)) doomed.push({ task: byId.get(id)!, inputId });
        return listOf(rows).map(taskOf);
      } catch (error) {
        if (error instanceof Error && error.message.startsWith('FXGROUPGONE')) throw new Error(`Task group ${groupId} no longer exists`, { cause: error });
        throw error;
      }
    });
    return { existing, released, doomed };
  }

  report(ownerId: string, endpointId: string, moves: readonly TaskMove[], ends: readonly TaskCompletion[], retentionMs: number): Promise<ReportOutcome> {
    return this.tasks.report(ownerId, endpointId, moves, ends, retentionMs);
  }

  /** The connection @fastify/rate-limit counts requests in, so that limits are per user across replicas. */
  get rateLimitRedis(): RedisConnection {
    return this.#client.redis;
  }

  /** The key prefix. */
  get prefix(): string {
    return this.#client.prefix;
  }

  async readiness(timeoutMs: number): Promise<string | null> {
    // Not connected: answered at once, without queueing a PING behind the reconnect attempts.
    for (const [name, connection] of [['commands', this.#client.redis], ['subscriber', this.#subscriber]] as const) {
      if (connection.status !== 'ready') return `Redis ${name} connection is ${connection.status}`;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.#client.redis.ping(),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no PONG within ${timeoutMs} ms`)), timeoutMs))),
      ]);
      return null;
    } catch (error) {
      return `Redis does not answer: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.counters.close();
    await Promise.allSettled([this.#client.redis.quit(), this.#subscriber.quit()]);
  }
}
