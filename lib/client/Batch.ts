import { packPayload } from '../serialize/serialize.js';
import type { SubmitTask } from '../protocol/submit.js';
import type { AnyFunction } from './FunctionId.js';
import type { RunTarget } from './RunTarget.js';
import type { WithTaskReferences } from '../reactive/taskRef.js';

/**
 * Several calls gathered to be submitted in one request, as funcX's `Batch`.
 *
 * @example
 * ```ts
 * const batch = fxc.createBatch();
 * for (const x of [1, 2, 3]) batch.add({ functionId, endpointId }, x);
 * const taskIds = await fxc.batchRun(batch);
 * ```
 */
export class Batch {
  /** The task group the batch's tasks join, when one was given. */
  readonly taskGroupId: string | undefined;
  readonly #tasks: SubmitTask[] = [];
  /** Per task, the tasks its arguments stand for (task references). */
  readonly #inputs: (readonly string[])[] = [];

  /** @param taskGroupId - the group to submit into */
  constructor(taskGroupId?: string) {
    this.taskGroupId = taskGroupId;
  }

  /** How many calls were added. */
  get size(): number {
    return this.#tasks.length;
  }

  /**
   * Adds a call.
   *
   * @param target - function, endpoint and keyword arguments
   * @param args - the positional arguments
   * @returns this batch, to chain
   * @throws {@link SerializationError} when an argument is not JSON data
   * @example
   * ```ts
   * batch.add({ functionId, endpointId }, 50).add({ functionId, endpointId }, 60);
   * ```
   */
  add<F extends AnyFunction>(target: RunTarget<F>, ...args: WithTaskReferences<Parameters<F>>): this {
    const inputs = new Set<string>();
    this.#tasks.push([target.functionId, target.endpointId, packPayload(args, target.kwargs, inputs)]);
    this.#inputs.push([...inputs]);
    return this;
  }

  /**
   * Per task, in order, the ids of the tasks its arguments stand for (task references, made with
   * `taskRef`): they must have been submitted before the batch.
   *
   * @returns one list per task, empty for a task without inputs
   * @example
   * ```ts
   * batch.add(target, taskRef(id)).inputs(); // [[id]]
   * ```
   */
  inputs(): (readonly string[])[] {
    return [...this.#inputs];
  }

  /**
   * The batch as the tasks of a `POST /v2/submit` body.
   *
   * @returns a copy of the tasks
   */
  toTasks(): SubmitTask[] {
    return [...this.#tasks];
  }
}
