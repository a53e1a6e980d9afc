import { FuncXError } from './FuncXError.js';

/**
 * A result was not there within the time the caller allowed (`future.result({ timeoutMs })`).
 * The task itself goes on; cancel it if it is no longer wanted.
 *
 * @example
 * ```ts
 * try { await future.result({ timeoutMs: 100 }); } catch (e) { if (e instanceof ResultTimeout) future.cancel(); }
 * ```
 */
export class ResultTimeout extends FuncXError {
  override readonly code = 'FX_RESULT_TIMEOUT';
  /** The task waited for. */
  readonly taskId: string;
  /** How long the caller waited, in milliseconds. */
  readonly timeoutMs: number;

  /**
   * @param taskId - the task waited for
   * @param timeoutMs - how long
   */
  constructor(taskId: string, timeoutMs: number) {
    super(`No result for task ${taskId} within ${timeoutMs} ms`);
    this.name = 'ResultTimeout';
    this.taskId = taskId;
    this.timeoutMs = timeoutMs;
  }
}
