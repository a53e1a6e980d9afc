/**
 * A task's worker died under it: a worker thread whose function called `process.exit()`, threw
 * outside its promise chain (in a timer), or ran out of memory; or a Python worker process that
 * exited (`os._exit`) or was killed. The pool replaced the worker.
 *
 * @example
 * ```ts
 * new WorkerCrashed('the worker exited with code 3', cause);
 * ```
 */
export class WorkerCrashed extends Error {
  /**
   * @param what - what happened to the worker
   * @param cause - the pool's error
   * @param worker - what kind of worker it was
   */
  constructor(what: string, cause?: unknown, worker: 'worker thread' | 'Python worker process' = 'worker thread') {
    super(`The task's ${worker} died: ${what}`, cause === undefined ? undefined : { cause });
    this.name = 'WorkerCrashed';
  }
}
