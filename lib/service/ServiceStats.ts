import { TASK_STATUSES, isFinalStatus, type TaskStatus } from '../protocol/task.js';
import type { Counter, Counters } from './core/Counters.js';
import type { TaskEntry } from './core/records.js';

/** The answer of `GET /v2/stats` (docs/protocol-extensions.md §7). */
export interface ServiceStatsSnapshot {
  readonly total_function_invocations: number;
  readonly result_websockets_open: number;
  readonly result_websockets_total: number;
  readonly endpoint_connections_open: number;
  readonly submit_requests: number;
  readonly tasks_submitted: number;
  readonly tasks_by_status: Readonly<Record<TaskStatus, number>>;
  /** Tasks accepted and not ended. */
  readonly tasks_outstanding: number;
  /** Bytes of payloads and results held. */
  readonly bytes_held: number;
}

/** One set of counters: the service's totals, or one user's. */
class Tally {
  resultSocketsOpen = 0;
  resultSocketsTotal = 0;
  endpointConnectionsOpen = 0;
  submitRequests = 0;
  tasksSubmitted = 0;
  invocations = 0;
  outstanding = 0;
  bytesHeld = 0;
  functions = 0;
  endpoints = 0;
  readonly byStatus = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;

  snapshot(): ServiceStatsSnapshot {
    return {
      total_function_invocations: this.invocations,
      result_websockets_open: this.resultSocketsOpen,
      result_websockets_total: this.resultSocketsTotal,
      endpoint_connections_open: this.endpointConnectionsOpen,
      submit_requests: this.submitRequests,
      tasks_submitted: this.tasksSubmitted,
      tasks_by_status: { ...this.byStatus },
      tasks_outstanding: this.outstanding,
      bytes_held: this.bytesHeld,
    };
  }
}


/**
 * The service's live counters in one process (the memory backend's {@link Counters}), kept exact as things happen (never recounted by scanning): the
 * totals, and the same counters per user, which the per-user quotas read. A user's counters are
 * dropped when they all fall back to zero, so the map holds only users with something live.
 *
 * @example
 * ```ts
 * stats.add(userId, 'submitRequests', 1);
 * stats.taskChanged(null, task); // a task stored (the memory backend's repository does this)
 * stats.snapshot().tasks_by_status.success;
 * ```
 */
export class ServiceStats implements Counters {
  readonly #total = new Tally();
  readonly #users = new Map<string, Tally>();

  /**
   * Adds to a counter, for the user and in total.
   *
   * @param userId - whose counter
   * @param counter - which one
   * @param delta - how much (negative to take away)
   * @returns nothing
   */
  add(userId: string, counter: Counter, delta: number): void {
    this.#total[counter] += delta;
    const user = this.#user(userId);
    user[counter] += delta;
    if (delta < 0) this.#dropIfIdle(userId, user);
  }

  /**
   * Counts a task's change, as its store made it: a new task (`before` null) is submitted, one
   * invocation and outstanding until it ends; a status counts under `tasks_by_status`; a task
   * holds its payload's bytes while live and its result's or exception's once ended; a deleted one
   * (`after` null) holds nothing. The memory backend's task repository calls it for every write,
   * in the same synchronous step (the Redis scripts count the same way, lua/includes/tally.lua), so
   * a failed call or a retry never skews a figure.
   *
   * @param before - the task before the write, or null for a new one
   * @param after - the task after it, or null when deleted
   * @returns nothing
   */
  taskChanged(before: TaskEntry | null, after: TaskEntry | null): void {
    const ownerId = (after ?? before)?.ownerId;
    if (ownerId === undefined) return;
    const user = this.#user(ownerId);
    const open = Number(after !== null && !isFinalStatus(after.status)) - Number(before !== null && !isFinalStatus(before.status));
    // Most changes are moves (a new status, the same payload): no bytes to count.
    const bytes = before !== null && after !== null && before.payload === after.payload && before.result === after.result && before.exception === after.exception ? 0 : heldBytes(after) - heldBytes(before);
    for (const tally of [this.#total, user]) {
      if (before !== null) tally.byStatus[before.status]--;
      if (after !== null) tally.byStatus[after.status]++;
      if (before === null) {
        tally.tasksSubmitted++;
        tally.invocations++;
      }
      tally.outstanding += open;
      tally.bytesHeld += bytes;
    }
    this.#dropIfIdle(ownerId, user);
  }

  /**
   * A user's current counter.
   *
   * @param userId - the user
   * @param counter - which one
   * @returns its value (0 for a user with nothing live)
   */
  async of(userId: string, counter: Counter): Promise<number> {
    return this.#users.get(userId)?.[counter] ?? 0;
  }

  /**
   * The service-wide counters, as `GET /v2/stats` answers an operator.
   *
   * @returns a copy
   */
  async snapshot(): Promise<ServiceStatsSnapshot> {
    return this.#total.snapshot();
  }

  /**
   * One user's counters, as `GET /v2/stats` answers that user. Cumulative counts cover what the
   * user did since the user last had nothing live.
   *
   * @param userId - the user
   * @returns a copy
   */
  async userSnapshot(userId: string): Promise<ServiceStatsSnapshot> {
    return (this.#users.get(userId) ?? new Tally()).snapshot();
  }

  #user(userId: string): Tally {
    let user = this.#users.get(userId);
    if (user === undefined) this.#users.set(userId, (user = new Tally()));
    return user;
  }

  #dropIfIdle(userId: string, user: Tally): void {
    const live = user.outstanding + user.bytesHeld + user.resultSocketsOpen + user.endpointConnectionsOpen + user.functions + user.endpoints;
    if (live === 0 && Object.values(user.byStatus).every((n) => n === 0)) this.#users.delete(userId);
  }
}

/**
 * The bytes a task holds, as the counters and the `bytesHeld` quota count them: its payload while
 * live, its result or exception once ended (lua/includes/tally.lua counts the same).
 *
 * @param task - the task, or null
 * @returns its bytes (0 for null)
 */
export function heldBytes(task: TaskEntry | null): number {
  if (task === null) return 0;
  return (task.payload?.length ?? 0) + (task.result?.length ?? 0) + (task.exception?.length ?? 0);
}
