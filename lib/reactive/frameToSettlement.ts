import { DEPENDENCY_FAILED, DependencyFailed } from '../errors/DependencyFailed.js';
import { ServiceError } from '../errors/ServiceError.js';
import { TaskCancelled } from '../errors/TaskCancelled.js';
import { TaskExecutionFailed } from '../errors/TaskExecutionFailed.js';
import { ErrorCode } from '../protocol/errorCodes.js';
import type { FinalTaskStatus, ResultFrame, TaskRecord, UnknownTaskFrame } from '../protocol/task.js';
import { deserialize, deserializeError } from '../serialize/serialize.js';

/** How a frame ends a task: its value or its error, and the status to end on. */
export interface Settlement {
  readonly settlement: { value: unknown } | { error: unknown };
  readonly status: FinalTaskStatus;
}

/**
 * Turns a finished task, from a WebSocket frame or an HTTP record, into the value or error its
 * user receives. A result that cannot be read becomes that task's error rather than a crash.
 *
 * @param frame - a result frame, an "Unknown task id" frame, or a finished task record
 * @returns the settlement, or null while the record is still pending
 * @example
 * ```ts
 * frameToSettlement({ task_id, status: 'success', result: '11\n100', exception: null, completion_t: '1' });
 * // { settlement: { value: 100 }, status: 'success' }
 * ```
 */
export function frameToSettlement(frame: ResultFrame | UnknownTaskFrame | TaskRecord): Settlement | null {
  const taskId = frame.task_id;
  if (frame.status === 'Failed') {
    const reason = (frame as UnknownTaskFrame).reason ?? 'Unknown task id';
    return { settlement: { error: new ServiceError({ code: ErrorCode.TASK_NOT_FOUND, reason: `${reason}: ${taskId}` }) }, status: 'failed' };
  }
  const result = frame.result ?? null;
  const exception = frame.exception ?? null;
  try {
    if (frame.status === 'cancelled') {
      const cause = exception === null ? undefined : deserializeError(exception);
      return { settlement: { error: new TaskCancelled(taskId, cause === undefined ? undefined : { cause }) }, status: 'cancelled' };
    }
    if (exception !== null) {
      const remote = deserializeError(exception);
      return { settlement: { error: remote.name === DEPENDENCY_FAILED ? new DependencyFailed(taskId, remote) : new TaskExecutionFailed(taskId, remote) }, status: 'failed' };
    }
    if (frame.status === 'failed') {
      return { settlement: { error: new TaskExecutionFailed(taskId, { name: 'Error', message: 'The task failed without an exception' }) }, status: 'failed' };
    }
    if (result !== null) return { settlement: { value: deserialize(result) }, status: 'success' };
    return null;
  } catch (error) {
    return { settlement: { error }, status: 'failed' };
  }
}
