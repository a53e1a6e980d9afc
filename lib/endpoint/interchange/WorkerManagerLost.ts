import { FuncXError } from '../../errors/FuncXError.js';

/**
 * A task's worker manager was lost while the task ran on it (its block was cancelled, ran past
 * its walltime, its node went away, or the task itself killed the manager) more times than
 * `maxRetriesOnSystemFailure` allows. The client sees it as the task's remote error.
 *
 * @example
 * ```ts
 * new WorkerManagerLost(2, 1, 'block 3 (job 41) was lost');
 * ```
 */
export class WorkerManagerLost extends FuncXError {
  /** Stable code for programs. */
  override readonly code = 'FX_WORKER_MANAGER_LOST';
  /** How many times the task was running on a manager that was lost. */
  readonly attempts: number;

  /**
   * @param attempts - how many times the task's manager was lost under it
   * @param maxRetries - the retry limit it went past
   * @param last - what happened the last time
   */
  constructor(attempts: number, maxRetries: number, last: string) {
    super(
      `The task's worker manager was lost ${attempts} time${attempts === 1 ? '' : 's'} while it ran (the last time: ${last}); max_retries_on_system_failure is ${maxRetries}. A task that kills its worker manager fails this way.`,
    );
    this.name = 'WorkerManagerLost';
    this.attempts = attempts;
  }
}
