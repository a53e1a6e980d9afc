import { Redis } from 'ioredis';
import { SCRIPTS, type ScriptName } from './scripts.js';

/**
 * One ioredis connection with the backend's Lua scripts defined on it, and a key prefix so that
 * several services (or test runs) can share one Redis.
 */
export class RedisClient {
  readonly redis: Redis;
  readonly prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.prefix = prefix;
    for (const [name, script] of Object.entries(SCRIPTS)) redis.defineCommand(name, script);
  }

  /** A key under this backend's prefix. */
  key(...parts: string[]): string {
    return `${this.prefix}${parts.join(':')}`;
  }

  /** A task's hash (the task repository's; the bus claims tasks in it too). */
  taskKey(id: string): string {
    return `${this.prefix}t:${id}`;
  }

  /** The sorted set of tasks waiting for their endpoint, by time. */
  get queuedKey(): string {
    return `${this.prefix}queued`;
  }

  /** Runs a script (EVALSHA, loaded on first use). */
  script<T>(name: ScriptName, keys: readonly string[], args: readonly (string | number)[]): Promise<T> {
    const run = (this.redis as unknown as Record<ScriptName, (...a: unknown[]) => Promise<T>>)[name];
    // ioredis flattens array arguments: no spread, however long a batch. A script that takes any
    // number of keys is told how many.
    return 'numberOfKeys' in SCRIPTS[name] ? run.call(this.redis, keys, args) : run.call(this.redis, keys.length, keys, args);
  }
}
