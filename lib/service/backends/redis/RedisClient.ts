import type { RedisConnection } from './openRedis.js';
import { loadScripts, type LuaScript, type ScriptName } from './luaScripts.js';

/** Read once per process, on the first client. */
let scripts: Readonly<Record<ScriptName, LuaScript>> | undefined;

/**
 * One ioredis connection with the backend's Lua scripts defined on it, and a key prefix so that
 * several services (or test runs) can share one Redis.
 */
export class RedisClient {
  readonly redis: RedisConnection;
  readonly prefix: string;
  readonly #scripts: Readonly<Record<ScriptName, LuaScript>>;

  constructor(redis: RedisConnection, prefix: string) {
    this.redis = redis;
    this.prefix = prefix;
    scripts ??= loadScripts();
    this.#scripts = scripts;
    for (const [name, script] of Object.entries(scripts)) redis.defineCommand(commandOf(name), script);
    if (redis.isCluster) {
      // ioredis routes an auto-pipelined custom command by its first argument, which for a script
      // that takes any number of keys is the key count, not a key: those go on their own (each to
      // its slot's node), or a tick's pipeline would mix nodes and fail whole.
      // A new array: ioredis's default one is shared by every client.
      const dynamic = Object.entries(scripts).filter(([, script]) => script.numberOfKeys === undefined).map(([name]) => commandOf(name));
      redis.options.autoPipeliningIgnoredCommands = [...(redis.options.autoPipeliningIgnoredCommands ?? []), ...dynamic];
    }
  }

  /** A key under this backend's prefix. */
  key(...parts: string[]): string {
    return `${this.prefix}${parts.join(':')}`;
  }

  /**
   * The prefix of one user's keys: their tasks, groups' task lists, queues, indexes and task
   * counters all carry the hash tag `{u:<user>}`, so that every script of the task lifecycle
   * touches one Redis Cluster slot (every task, group, function and endpoint is one user's).
   */
  userPrefix(ownerId: string): string {
    return `${this.prefix}{u:${ownerId}}:`;
  }

  /** A user's keys by name: `t:<task>`, `queued`, `q:<endpoint>`, `g:<group>:tasks`, `stats`, ... */
  userKey(ownerId: string, ...parts: string[]): string {
    return `${this.userPrefix(ownerId)}${parts.join(':')}`;
  }

  /** A task's hash (the task repository's; the bus claims tasks in it too). */
  taskKey(ownerId: string, id: string): string {
    return `${this.userPrefix(ownerId)}t:${id}`;
  }

  /** A user's counters (RedisCounters; the task scripts count the task figures into it too). */
  statsKey(ownerId: string): string {
    return this.userKey(ownerId, 'stats');
  }

  /**
   * The set of users whose counters hash holds task figures (added when a user first claims a
   * group, the step before their first task), summed for the service's totals; it lives as long as
   * those hashes do.
   */
  get countedUsersKey(): string {
    return this.key('counted');
  }

  /** The sorted set of a user's tasks waiting for their endpoint, by time. */
  queuedKey(ownerId: string): string {
    return this.userKey(ownerId, 'queued');
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
