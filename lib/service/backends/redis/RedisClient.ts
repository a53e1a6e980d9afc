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

  /** Runs a script (EVALSHA, loaded on first use). */
  script<T>(name: ScriptName, keys: readonly string[], args: readonly (string | number)[]): Promise<T> {
    const run = (this.redis as unknown as Record<ScriptName, (...a: (string | number)[]) => Promise<T>>)[name];
    return run.call(this.redis, ...keys, ...args);
  }
}

/**
 * A flat `[field, value, field, value, ...]` reply as an object; an empty reply is undefined.
 *
 * @param reply - HGETALL's array form (what scripts return)
 * @returns the fields
 */
export function fieldsOf(reply: readonly string[] | null | false | undefined): Record<string, string> | undefined {
  if (!reply || reply.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (let i = 0; i < reply.length; i += 2) out[reply[i]!] = reply[i + 1]!;
  return out;
}
