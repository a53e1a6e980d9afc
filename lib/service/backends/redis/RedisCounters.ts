import { TASK_STATUSES, type TaskStatus } from '../../../protocol/task.js';
import type { Counter, Counters } from '../../core/Counters.js';
import type { ServiceStatsSnapshot } from '../../ServiceStats.js';
import type { Logger } from '../../log.js';
import type { RedisClient } from './RedisClient.js';

/**
 * Counters as Redis hashes, the total and one per user, shared by every replica. The task figures
 * are written into them by the task scripts themselves, in the step that changes a task
 * (lua/includes/tally.lua); this class adds the others (sockets, requests, registrations). Its writes are not
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
    return `${this.#client.statsPrefix}${userId === TOTAL ? 'total' : `u:${userId}`}`;
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
    return toSnapshot(await this.#client.redis.hgetall(this.#key(TOTAL)));
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
    const keys: string[] = [];
    const args: (string | number)[] = [];
    const sent = [...this.#pending];
    for (const [who, fields] of sent) {
      const at = args.push(0);
      for (const [field, delta] of fields) if (delta !== 0) args.push(field, delta);
      args[at - 1] = (args.length - at) / 2;
      keys.push(this.#key(who));
    }
    this.#pending.clear();
    return this.#client.script('count', keys, args).then(
      () => undefined,
      (error: unknown) => {
        // Kept, not lost: the changes go again with the next flush (the next change, or close).
        this.#log?.warn({ err: error, counters: sent.length }, 'sending counter changes to Redis failed; they go again with the next');
        for (const [who, fields] of sent) for (const [field, delta] of fields) this.#keep(who, field, delta);
        // Not at once (Redis is away): in a second, or with the next change; never after close.
        if (this.#closed) return;
        this.#retry ??= setTimeout(() => {
          this.#retry = null;
          void this.flush();
        }, 1000).unref();
      },
    );
  }
}

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
