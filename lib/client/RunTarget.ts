import type { AnyFunction, FunctionId } from './FunctionId.js';

/**
 * Where and how one call runs.
 *
 * @example
 * ```ts
 * await fxc.run({ functionId, endpointId }, 50);
 * ```
 */
export interface RunTarget<F extends AnyFunction = AnyFunction> {
  /** The registered function to call. */
  readonly functionId: FunctionId<F>;
  /** The endpoint to run it on. */
  readonly endpointId: string;
  /** Keyword arguments, funcX-style; a JavaScript function receives them as one extra last argument. */
  readonly kwargs?: Readonly<Record<string, unknown>>;
  /**
   * Cancels the task when aborted (asynchronous client): a queued task leaves its batch, a
   * posted one is cancelled on the service. The abort reason becomes the `TaskCancelled`'s cause.
   */
  readonly signal?: AbortSignal;
  /**
   * The task's id, when the caller chooses it (a UUID). Submits are idempotent per id.
   * @default a new random UUID
   */
  readonly taskId?: string;
}
