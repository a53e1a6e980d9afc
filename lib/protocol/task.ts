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
  /** funcx-rx (docs/protocol-extensions.md §11): the task was a generator, and yielded this many partials. */
  readonly partials?: number;
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
  /**
   * funcx-rx (§11): set when the task was a generator: how many partials it yielded. A client
   * that has fewer reads the rest (`GET /v2/tasks/<id>/partials`) before it completes the task.
   */
  readonly partials?: number;
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
export function resultFrame(taskId: string, end: { readonly status: FinalTaskStatus; readonly result: string | null; readonly exception: string | null; readonly completedAt: number; readonly partials?: number | null | undefined }): ResultFrame {
  const frame: ResultFrame = { task_id: taskId, status: end.status, result: end.result, completion_t: completionTime(end.completedAt), exception: end.exception };
  return typeof end.partials === 'number' ? { ...frame, partials: end.partials } : frame;
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

/**
 * A generator's partial result, pushed to a client whose subscribe frame asked for partials
 * (funcx-rx §11). `seq` counts from 0; `value` is serialized as a result is.
 */
export interface PartialFrame {
  readonly type: 'partial';
  readonly task_id: string;
  readonly seq: number;
  readonly value: string;
}

/** Any frame the result WebSocket sends to a client. */
export type ServerFrame = ResultFrame | UnknownTaskFrame | StatusFrame | PartialFrame;

/**
 * Client to service on the result socket (funcx-rx §11): the client has read each task's
 * partials up to and including `seq`, so the generator may go on. Cumulative; at most
 * {@link MAX_ACKS_PER_FRAME} pairs a frame.
 */
export interface AckFrame {
  readonly type: 'ack';
  readonly acks: readonly (readonly [taskId: string, seq: number])[];
}

/** The most task/seq pairs one {@link AckFrame} may carry: it stays within the service's 4 KiB limit of a client frame. */
export const MAX_ACKS_PER_FRAME = 64;

/**
 * `GET /v2/tasks/<id>/partials?from=N&limit=M`'s answer (funcx-rx §11): the partials the service
 * still holds from index `from` on, at most `limit`. Reading them acknowledges them.
 */
export interface PartialsPage {
  readonly task_id: string;
  /** The index of `partials[0]` (above `from` when older ones are no longer held). */
  readonly first: number;
  /** How many partials the service has heard of so far. */
  readonly count: number;
  /** How many the generator yielded in all, once the task ended; null while it runs (or for a plain task). */
  readonly total: number | null;
  /** Serialized values, in order. */
  readonly partials: readonly string[];
}

/**
 * The JSON form of a client frame (funcx-rx extension). A plain funcX client sends the bare
 * task-group UUID instead, which means `{ task_group_id, statuses: false }`.
 */
export interface SubscribeFrame {
  readonly task_group_id: string;
  /** Also push {@link StatusFrame}s for this group's tasks. */
  readonly statuses?: boolean;
  /** Also push {@link PartialFrame}s for this group's tasks, unread ones first (funcx-rx §11). */
  readonly partials?: boolean;
}
