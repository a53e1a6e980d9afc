import { TASK_STATUSES, type TaskStatus } from '../protocol/task.js';

/** The answer of `GET /v2/stats` (docs/protocol-extensions.md §7). */
export interface ServiceStatsSnapshot {
  readonly total_function_invocations: number;
  readonly result_websockets_open: number;
  readonly result_websockets_total: number;
  readonly endpoint_connections_open: number;
  readonly submit_requests: number;
  readonly tasks_submitted: number;
  readonly tasks_by_status: Readonly<Record<TaskStatus, number>>;
}

/**
 * The service's live counters, kept exact as things happen (never recounted by scanning).
 *
 * @example
 * ```ts
 * stats.moveTask('running', 'success');
 * stats.snapshot().tasks_by_status.success;
 * ```
 */
export class ServiceStats {
  resultSocketsOpen = 0;
  resultSocketsTotal = 0;
  endpointConnectionsOpen = 0;
  submitRequests = 0;
  tasksSubmitted = 0;
  invocations = 0;
  readonly #byStatus = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;

  /**
   * Counts a task leaving one status for another (`from` null: a new task; `to` null: dropped).
   *
   * @param from - the old status
   * @param to - the new status
   * @returns nothing
   */
  moveTask(from: TaskStatus | null, to: TaskStatus | null): void {
    if (from !== null) this.#byStatus[from]--;
    if (to !== null) this.#byStatus[to]++;
  }

  /**
   * The counters as `GET /v2/stats` reports them.
   *
   * @returns a copy
   */
  snapshot(): ServiceStatsSnapshot {
    return {
      total_function_invocations: this.invocations,
      result_websockets_open: this.resultSocketsOpen,
      result_websockets_total: this.resultSocketsTotal,
      endpoint_connections_open: this.endpointConnectionsOpen,
      submit_requests: this.submitRequests,
      tasks_submitted: this.tasksSubmitted,
      tasks_by_status: { ...this.#byStatus },
    };
  }
}
