export { TASK_STATUSES, isFinalStatus, type TaskStatus, type FinalTaskStatus } from './lifecycle.js';
import type { FinalTaskStatus, TaskStatus } from './lifecycle.js';

/**
 * A task as `GET /v2/tasks/<id>` returns it. `result` and `exception` are left out while null;
 * `completion_t` is null until the task ends, then epoch seconds as a string.
 */
export interface TaskRecord {
  readonly task_id: string;
  readonly status: TaskStatus;
  readonly completion_t: string | null;
  readonly result?: string;
  readonly exception?: string;
}

/**
 * The body of `POST /v2/batch_status`'s answer (and of `POST /v2/cancel`'s): a record under every
 * id asked about; an unknown or invisible id gets `{"status": "Failed", "reason": "Unknown task id"}`.
 */
export interface BatchStatusResponse {
  readonly response: 'batch';
  readonly results: Readonly<Record<string, TaskRecord | UnknownTaskFrame>>;
}

/** A WebSocket frame for a finished task (docs/protocol.md §3); `status` is `cancelled` only in funcx-rx. */
export interface ResultFrame {
  readonly task_id: string;
  readonly status: FinalTaskStatus;
  readonly result: string | null;
  readonly completion_t: string;
  readonly exception: string | null;
}

/**
 * The one way a task's end becomes a {@link ResultFrame} (the result socket, group events,
 * AMQP): `completion_t` in epoch seconds with milliseconds, as funcX writes it.
 *
 * @param taskId - the task
 * @param end - how it ended, `completedAt` in epoch milliseconds
 * @returns the frame
 * @example
 * ```ts
 * resultFrame(id, { status: 'success', result: '11\n1', exception: null, completedAt: 1700000000000 }).completion_t; // '1700000000.000'
 * ```
 */
export function resultFrame(taskId: string, end: { readonly status: FinalTaskStatus; readonly result: string | null; readonly exception: string | null; readonly completedAt: number }): ResultFrame {
  return { task_id: taskId, status: end.status, result: end.result, completion_t: completionTime(end.completedAt), exception: end.exception };
}

/**
 * A completion time as funcX writes it: epoch seconds, as a string with milliseconds.
 *
 * @param completedAt - epoch milliseconds
 * @returns e.g. `'1700000000.123'`
 * @example
 * ```ts
 * completionTime(1700000000123); // '1700000000.123'
 * ```
 */
export function completionTime(completedAt: number): string {
  return (completedAt / 1000).toFixed(3);
}

/** A WebSocket frame for a task id the service does not know. */
export interface UnknownTaskFrame {
  readonly task_id: string;
  readonly status: 'Failed';
  readonly reason: string;
}

/**
 * A status change pushed to a client that asked for statuses (funcx-rx extension; plain funcX
 * clients never receive it).
 */
export interface StatusFrame {
  readonly type: 'status';
  readonly task_id: string;
  readonly status: TaskStatus;
}

/** Any frame the result WebSocket sends to a client. */
export type ServerFrame = ResultFrame | UnknownTaskFrame | StatusFrame;

/**
 * The JSON form of a client frame (funcx-rx extension). A plain funcX client sends the bare
 * task-group UUID instead, which means `{ task_group_id, statuses: false }`.
 */
export interface SubscribeFrame {
  readonly task_group_id: string;
  /** Also push {@link StatusFrame}s for this group's tasks. */
  readonly statuses?: boolean;
}
