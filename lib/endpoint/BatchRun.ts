/**
 * A micro-batch running on a pool: several tasks handed to one worker at once, run in order, each
 * outcome reported as soon as it is made. {@link WorkerBatchRun} runs one on a worker thread,
 * `PythonBatchRun` on a CPython process.
 *
 * @example
 * ```ts
 * const run: BatchRun = runner.runBatch(tasks, { onOutcome: (i, outcome) => send(tasks[i], outcome) });
 * run.cancel(3); // skipped, or stopped if running; the others go on
 * await run.done;
 * ```
 */
export interface BatchRun {
  /**
   * Cancels one task: it will not run if it has not started; if it runs, its worker is stopped
   * and replaced, and the tasks after it run on. A task that has ended is not affected.
   *
   * @param index - the task's index in the batch
   * @returns whether it was cancelled (false: it had ended, or its outcome is on the way)
   */
  cancel(index: number): boolean;
  /** Settles when every task has ended or been cancelled, and the worker is free. */
  readonly done: Promise<void>;
}
