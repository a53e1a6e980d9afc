import { TASK_STATUSES, type TaskStatus } from '../../../protocol/task.js';
import type { Counter, Counters } from '../../core/Counters.js';
import type { ServiceStatsSnapshot } from '../../ServiceStats.js';
import type { RedisClient } from './RedisClient.js';

/**
 * Counters as Redis hashes, the total and one per user, shared by every replica. Writes are
 * pipelined and not awaited (a lost write skews a figure, never a task).
 */
export class RedisCounters implements Counters {
  readonly #client: RedisClient;

  constructor(client: RedisClient) {
    this.#client = client;
  }

  #user(userId: string): string {
    return this.#client.key('stats', 'u', userId);
  }

  get #total(): string {
    return this.#client.key('stats', 'total');
  }

  add(userId: string, counter: Counter, delta: number): void {
    // Auto-pipelined with the tick's other commands; no transaction needed for two increments.
    void this.#client.redis.hincrby(this.#total, counter, delta).catch(() => {});
    void this.#client.redis.hincrby(this.#user(userId), counter, delta).catch(() => {});
  }

  moveTask(userId: string, from: TaskStatus | null, to: TaskStatus | null): void {
    void this.#client.script('fxMoveTask', [this.#total, this.#user(userId)], [from ?? '', to ?? '']).catch(() => {});
  }

  async of(userId: string, counter: Counter): Promise<number> {
    return Number((await this.#client.redis.hget(this.#user(userId), counter)) ?? 0);
  }

  async snapshot(): Promise<ServiceStatsSnapshot> {
    return toSnapshot(await this.#client.redis.hgetall(this.#total));
  }

  async userSnapshot(userId: string): Promise<ServiceStatsSnapshot> {
    return toSnapshot(await this.#client.redis.hgetall(this.#user(userId)));
  }
}

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
