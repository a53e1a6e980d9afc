import { FuncXError } from './FuncXError.js';

/**
 * The remote function threw (or its worker died). Carries the remote error's name, message and
 * stack as the endpoint reported them.
 *
 * @example
 * ```ts
 * try { await fxc.run(5, { endpointId, functionId }); }
 * catch (e) { if (e instanceof TaskExecutionFailed) console.error(e.remoteName, e.remoteMessage); }
 * ```
 */
export class TaskExecutionFailed extends FuncXError {
  override readonly code: string = 'FX_TASK_FAILED';
  /** The task that failed. */
  readonly taskId: string;
  /** The remote error's `name`, such as `TypeError`. */
  readonly remoteName: string;
  /** The remote error's `message`. */
  readonly remoteMessage: string;
  /** The remote error's stack, as text. */
  readonly remoteStack: string;

  /**
   * @param taskId - the task that failed
   * @param remote - the remote error's name, message and stack
   */
  constructor(taskId: string, remote: { name: string; message: string; stack?: string }) {
    super(`Task ${taskId} failed: ${remote.name}: ${remote.message}`);
    this.name = 'TaskExecutionFailed';
    this.taskId = taskId;
    this.remoteName = remote.name;
    this.remoteMessage = remote.message;
    this.remoteStack = remote.stack ?? '';
  }
}
