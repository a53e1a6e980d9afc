import { FuncXError } from '../errors/FuncXError.js';
/**
 * A task ran past its time limit; its worker was stopped and replaced. Reported to the client
 * as the remote error's name.
 *
 * @example
 * ```ts
 * new TaskTimeout(5000).message; // "The task ran longer than 5000 ms; its worker was stopped"
 * ```
 */
export class TaskTimeout extends FuncXError {
  override readonly code = 'FX_TASK_TIMEOUT';
  /** The limit it ran past, in milliseconds. */
  readonly timeoutMs: number;

  /** @param timeoutMs - the limit */
  constructor(timeoutMs: number) {
    super(`The task ran longer than ${timeoutMs} ms; its worker was stopped`);
    this.name = 'TaskTimeout';
    this.timeoutMs = timeoutMs;
  }
}
