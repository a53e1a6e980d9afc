import { TaskExecutionFailed } from './TaskExecutionFailed.js';

/** The remote error's name the service gives a task whose input did not succeed. */
export const DEPENDENCY_FAILED = 'DependencyFailed';

const INPUT_OF = /its input task ([0-9a-f-]{36}) /u;

/**
 * The service's message for a task whose input did not succeed; {@link DependencyFailed} reads
 * the input back from it (the one place that knows its form).
 *
 * @param taskId - the task that did not run
 * @param inputId - its input
 * @param how - how the input ended: `ended as failed`, `was cancelled`, `is gone (...)`
 * @returns the message
 * @example
 * ```ts
 * dependencyFailedMessage(b, a, 'was cancelled'); // `Task ${b} did not run: its input task ${a} was cancelled`
 * ```
 */
export function dependencyFailedMessage(taskId: string, inputId: string, how: string): string {
  return `Task ${taskId} did not run: its input task ${inputId} ${how}`;
}

/**
 * A task did not run because one of its inputs (a task passed as its argument) failed, was
 * cancelled, or is gone; its dependants fail the same way, each naming its own input
 * (docs/protocol-extensions.md §12). A {@link TaskExecutionFailed}, so code that handles those
 * handles this too.
 *
 * @example
 * ```ts
 * try { await dependant; } catch (e) { if (e instanceof DependencyFailed) console.error('input', e.inputTaskId, 'did not succeed'); }
 * ```
 */
export class DependencyFailed extends TaskExecutionFailed {
  override readonly code = 'FX_DEPENDENCY_FAILED';
  /** The input that did not succeed. */
  readonly inputTaskId: string;

  /**
   * @param taskId - the task that did not run
   * @param remote - the error the service reported for it
   */
  constructor(taskId: string, remote: { name: string; message: string; stack?: string }) {
    super(taskId, remote);
    this.name = 'DependencyFailed';
    this.inputTaskId = INPUT_OF.exec(remote.message)?.[1] ?? '';
  }
}
