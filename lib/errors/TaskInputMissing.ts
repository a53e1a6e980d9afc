import { FuncXError } from './FuncXError.js';

/**
 * A task's argument stands for an input task's result (docs/protocol-extensions.md §12) that did
 * not come with the task: the input's result expired on the service (after `retentionMs`) before
 * the task ran. The worker fails the task with it instead of calling the function.
 *
 * @example
 * ```ts
 * try { await dependant; } catch (e) { if (e instanceof TaskExecutionFailed && e.remoteName === 'TaskInputMissing') resubmit(); }
 * ```
 */
export class TaskInputMissing extends FuncXError {
  override readonly code = 'FX_TASK_INPUT_MISSING';
  /** The input task whose result is missing. */
  readonly inputTaskId: string;

  /** @param inputTaskId - the input task whose result is missing */
  constructor(inputTaskId: string) {
    super(`The result of input task ${inputTaskId} did not come with this task (it expired on the service before the task ran)`);
    this.name = 'TaskInputMissing';
    this.inputTaskId = inputTaskId;
  }
}
