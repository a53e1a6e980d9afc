import type { TaskStatus } from '../protocol/task.js';
import { FuncXError } from './FuncXError.js';

/**
 * Thrown by {@link FuncXClient.getResult} while a task has not ended yet, as funcX's
 * `TaskPending`. Poll again later, or use the asynchronous client to be told.
 *
 * @example
 * ```ts
 * try { console.log(await fxc.getResult(taskId)); }
 * catch (e) { if (e instanceof TaskPending) console.log('Task pending', e.status); else throw e; }
 * ```
 */
export class TaskPending extends FuncXError {
  override readonly code = 'FX_TASK_PENDING';
  /** The task that is still pending. */
  readonly taskId: string;
  /** Where it is in its life, such as `waiting-for-ep` or `running`. */
  readonly status: TaskStatus;

  /**
   * @param taskId - the pending task
   * @param status - its current status
   */
  constructor(taskId: string, status: TaskStatus) {
    super(`Task ${taskId} is pending (${status})`);
    this.name = 'TaskPending';
    this.taskId = taskId;
    this.status = status;
  }
}
