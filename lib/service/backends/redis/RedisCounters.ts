import { TASK_STATUSES, type TaskStatus } from '../../../protocol/task.js';
import type { Counter, Counters } from '../../core/Counters.js';
import type { ServiceStatsSnapshot } from '../../ServiceStats.js';
import type { Logger } from '../../log.js';
import type { RedisClient } from './RedisClient.js';

/**
 * Counters as Redis hashes, one per user (under the user's hash tag) and one of totals, shared by
 * every replica. The task figures are written into the user's hash by the task scripts
 * themselves, in the step that changes a task (lua/includes/tally.lua), so the service's task
 * totals are the sum over users (read when asked); this class adds the others (sockets,
 * requests, registrations) to both. Its writes are not
 * awaited (a lost write skews a figure, never a task), and the writes of one tick are summed and
 * sent as one script: a batch of 1,000 tasks moving costs one command, not thousands. A read
 * sends what is pending first, so a replica reads its own writes.
 */
export class RedisCounters implements Counters {
  readonly #client: RedisClient;
  /** User id (TOTAL for the totals) → field → delta, until the end of the tick; emptied by every flush. */
  readonly #pending = new Map<string, Map<string, number>>();
  readonly #log: Logger | undefined;
  /** A flush again after one Redis refused; cleared when it runs, or at close. */
  #retry: NodeJS.Timeout | null = null;
  #closed = false;

  /**
   * @param client - the connection and scripts
   * @param log - where a flush that Redis refused is told (its changes are kept and sent again)
   */
  constructor(client: RedisClient, log?: Logger) {
    this.#client = client;
    this.#log = log?.child({ component: 'redis-counters' });
  }

  #key(userId: string): string {
    return userId === TOTAL ? this.#client.key('stats', 'total') : this.#client.statsKey(userId);
  }

  add(userId: string, counter: Counter, delta: number): void {
    if (delta === 0) return;
    this.#bump(TOTAL, counter, delta);
    this.#bump(userId, counter, delta);
  }

  async of(userId: string, counter: Counter): Promise<number> {
    void this.flush();
    return Number((await this.#client.redis.hget(this.#key(userId), counter)) ?? 0);
  }

  async snapshot(): Promise<ServiceStatsSnapshot> {
    void this.flush();
    const [totals, users] = await Promise.all([this.#client.redis.hgetall(this.#key(TOTAL)), this.#client.redis.smembers(this.#client.countedUsersKey)]);
    // The task figures: the sum of the users' (one HMGET each, pipelined; in slices, so that a
    // service with many users does not hold every reply at once).
    const fields: Record<string, string> = { ...totals };
    const sums = new Map<string, number>(TASK_FIGURES.map((f) => [f, 0]));
    for (let i = 0; i < users.length; i += 1000) {
      const rows = await Promise.all(users.slice(i, i + 1000).map((u) => this.#client.redis.hmget(this.#key(u), ...TASK_FIGURES)));
      for (const row of rows) row.forEach((v, k) => sums.set(TASK_FIGURES[k]!, sums.get(TASK_FIGURES[k]!)! + Number(v ?? 0)));
    }
    for (const [field, n] of sums) fields[field] = String(n);
    return toSnapshot(fields);
  }

  async userSnapshot(userId: string): Promise<ServiceStatsSnapshot> {
    void this.flush();
    return toSnapshot(await this.#client.redis.hgetall(this.#key(userId)));
  }

  #bump(who: string, field: string, delta: number): void {
    if (this.#pending.size === 0) process.nextTick(() => void this.flush());
    this.#keep(who, field, delta);
  }

  #keep(who: string, field: string, delta: number): void {
    let fields = this.#pending.get(who);
    if (fields === undefined) this.#pending.set(who, (fields = new Map()));
    fields.set(field, (fields.get(field) ?? 0) + delta);
  }

  /**
   * Sends what is pending now, as one script (done at the end of every tick; the backend's close
   * calls it, so that a change made just before is not lost).
   *
   * @returns once Redis answered (a failure is dropped: it skews a figure, never a task)
   */
  /**
   * Sends what is pending one last time and stops retrying (the backend is closing).
   *
   * @returns when sent, or refused
   */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = null;
    await this.flush();
  }

  flush(): Promise<void> {
    if (this.#pending.size === 0) return Promise.resolve();
    const sent = [...this.#pending];
    this.#pending.clear();
    // One script per hash: the user's and the totals are on different Redis Cluster slots.
    return Promise.all(sent.map(async ([who, fields]) => {
      const args: (string | number)[] = [];
      for (const [field, delta] of fields) if (delta !== 0) args.push(field, delta);
      if (args.length === 0) return;
      try {
        await this.#client.script('count', [this.#key(who)], args);
      } catch (error) {
        // Kept, not lost: this hash's changes go again with the next flush (the next change, or close).
        this.#log?.warn({ err: error, fields: fields.size }, 'sending counter changes to Redis failed; they go again with the next');
        for (const [field, delta] of fields) this.#keep(who, field, delta);
        // Not at once (Redis is away): in a second, or with the next change; never after close.
        if (this.#closed) return;
        this.#retry ??= setTimeout(() => {
          this.#retry = null;
          void this.flush();
        }, 1000).unref();
      }
    })).then(() => undefined);
  }
}

/** The figures the task scripts keep per user (lua/includes/tally.lua): the totals sum them. */
const TASK_FIGURES = ['invocations', 'tasksSubmitted', 'outstanding', 'bytesHeld', ...TASK_STATUSES.map((s) => `status:${s}`)];

/** Stands for the totals among user ids (a user id is never empty). */
const TOTAL = '';

function toSnapshot(fields: Record<string, string>): ServiceStatsSnapshot {
  const n = (key: string): number => Number(fields[key] ?? 0);
  return {
    total_function_invocations: n('invocations'),
    result_websockets_open: n('resultSocketsOpen'),
    result_websockets_total: n('resultSocketsTotal'),
    endpoint_connections_open: n('endpointConnectionsOpen'),
    submit_requests: n('submitRequests'),
    tasks_submitted: n('tasksSubmitted'),
    tasks_by_status: Object.fromEntries(TASK_STATUSES.map((s) => [s, n(`status:${s}`)])) as Record<TaskStatus, number>,
    tasks_outstanding: n('outstanding'),
    bytes_held: n('bytesHeld'),
  };
}
