/**
 * A task's worker thread died under it: the function called `process.exit()`, threw outside its
 * promise chain (in a timer), or ran out of memory. The pool replaced the worker.
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
   */
  constructor(what: string, cause?: unknown) {
    super(`The task's worker thread died: ${what}`, cause === undefined ? undefined : { cause });
    this.name = 'WorkerCrashed';
  }
}
