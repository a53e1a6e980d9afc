import { FuncXError } from './FuncXError.js';

/**
 * A task never reached the service: its batch post failed (network, 5xx after retries) or the
 * service refused it in a 207 answer. `code` is the envelope's code when the service gave one.
 *
 * @example
 * ```ts
 * try { await fxc.run(1, { endpointId: 'not-mine', functionId }); }
 * catch (e) { if (e instanceof TaskSubmissionFailed) console.error(e.code, e.message); }
 * ```
 */
export class TaskSubmissionFailed extends FuncXError {
  /** The task whose submission failed. */
  readonly taskId: string;
  /** The service's error code, or null when no answer came back. */
  override readonly code: number | null;

  /**
   * @param taskId - the task whose submission failed
   * @param message - why
   * @param options - `code`: the envelope's code; `cause`: the underlying error
   */
  constructor(taskId: string, message: string, options: { code: number | null; cause?: unknown }) {
    super(`Task ${taskId} was not submitted: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TaskSubmissionFailed';
    this.taskId = taskId;
    this.code = options.code;
  }
}
