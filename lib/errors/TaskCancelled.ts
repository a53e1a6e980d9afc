import { FuncXError } from './FuncXError.js';

/**
 * The task was cancelled: by `future.cancel()`, an `AbortSignal`, an unsubscribe, an executor
 * shutdown, or the cancel route. `cause` holds the abort reason when there was one.
 *
 * @example
 * ```ts
 * const future = executor.submit(slow, 1);
 * future.cancel();
 * await future.catch((e) => e instanceof TaskCancelled); // true
 * ```
 */
export class TaskCancelled extends FuncXError {
  override readonly code = 'FX_TASK_CANCELLED';
  /** The cancelled task, or null when it was cancelled before it had an id. */
  readonly taskId: string | null;

  /**
   * @param taskId - the cancelled task
   * @param options - `cause`: the abort reason
   */
  constructor(taskId: string | null, options?: { cause?: unknown }) {
    super(taskId === null ? 'Task cancelled' : `Task ${taskId} was cancelled`, options);
    this.name = 'TaskCancelled';
    this.taskId = taskId;
  }
}
