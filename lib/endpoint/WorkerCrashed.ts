import { FuncXError } from '../errors/FuncXError.js';
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
export class WorkerCrashed extends FuncXError {
  override readonly code = 'FX_WORKER_CRASHED';
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

/**
 * What happened to a worker, in words, from its pool's error.
 *
 * @param error - the pool's error (undefined: the worker stopped without one)
 * @returns a description for {@link WorkerCrashed}
 * @example
 * ```ts
 * new WorkerCrashed(describeCrash(error), error);
 * ```
 */
export function describeCrash(error: unknown): string {
  if (error === undefined) return 'it stopped';
  const code = (error as { code?: string }).code;
  if (code === 'ERR_WORKER_OUT_OF_MEMORY') return 'it ran out of memory';
  return error instanceof Error ? error.message : String(error);
}
