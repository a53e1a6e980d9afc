import { Redis } from 'ioredis';
import { loadScripts, type LuaScript, type ScriptName } from './luaScripts.js';

/** Read once per process, on the first client. */
let scripts: Readonly<Record<ScriptName, LuaScript>> | undefined;

/**
 * One ioredis connection with the backend's Lua scripts defined on it, and a key prefix so that
 * several services (or test runs) can share one Redis.
 */
export class RedisClient {
  readonly redis: Redis;
  readonly prefix: string;
  readonly #scripts: Readonly<Record<ScriptName, LuaScript>>;

  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.prefix = prefix;
    scripts ??= loadScripts();
    this.#scripts = scripts;
    for (const [name, script] of Object.entries(scripts)) redis.defineCommand(commandOf(name), script);
  }

  /** A key under this backend's prefix. */
  key(...parts: string[]): string {
    return `${this.prefix}${parts.join(':')}`;
  }

  /** A task's hash (the task repository's; the bus claims tasks in it too). */
  taskKey(id: string): string {
    return `${this.prefix}t:${id}`;
  }

  /** The counters' hashes' prefix: `<it>total`, and `<it>u:<user>` per user (RedisCounters; the task scripts count into them too). */
  get statsPrefix(): string {
    return `${this.prefix}stats:`;
  }

  /** The sorted set of tasks waiting for their endpoint, by time. */
  get queuedKey(): string {
    return `${this.prefix}queued`;
  }

  /** Runs a script (EVALSHA, loaded on first use). */
  script<T>(name: ScriptName, keys: readonly string[], args: readonly (string | number)[]): Promise<T> {
    const run = (this.redis as unknown as Record<string, (...a: unknown[]) => Promise<T>>)[commandOf(name)]!;
    // ioredis flattens array arguments: no spread, however long a batch. A script that takes any
    // number of keys is told how many.
    return this.#scripts[name].numberOfKeys !== undefined ? run.call(this.redis, keys, args) : run.call(this.redis, keys.length, keys, args);
  }
}

/** A script's command on the ioredis client: prefixed, so that none hides a built-in one (`touch`, ...). */
function commandOf(name: string): string {
  return `fx${name[0]!.toUpperCase()}${name.slice(1)}`;
}
