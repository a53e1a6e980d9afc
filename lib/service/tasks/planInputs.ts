import { validate as isUuid } from 'uuid';
import { ErrorCode } from '../../protocol/errorCodes.js';
import { ApiError } from '../ApiError.js';
import { limitHint } from '../limitHint.js';

/** What a submit's `dependencies` mean for its tasks, from the request alone (docs/protocol-extensions.md §12). */
export interface InputPlan {
  /** Per task, its inputs in lower case, each once; empty for a task without inputs. */
  readonly inputs: readonly (readonly string[])[];
  /** Per task, the inputs that are earlier tasks of this request, by index. */
  readonly earlier: readonly (readonly number[])[];
  /** Per task, when it is written: 0 unless an input is in this request, else one after its latest such input. */
  readonly wave: readonly number[];
  /** Per task, a refusal the request alone shows (too many inputs, an input later in the request, a malformed id). */
  readonly refusals: ReadonlyMap<number, ApiError>;
  /** The inputs that are not in this request, to look up, each once. */
  readonly outside: readonly string[];
}

/**
 * Reads a submit's `dependencies`: which inputs each task waits for, which of them are earlier
 * tasks of the same request (those are written first, in waves, so that a task is registered on
 * stored inputs only), and what the request alone refuses.
 *
 * @param taskIds - the request's task ids, in order, in lower case
 * @param dependencies - the request's `dependencies` (task id → input ids), if any
 * @param maxInputs - the most inputs one task may have
 * @returns the plan
 * @throws {@link ApiError} 117 when `dependencies` names a task that is not in the request
 * @example
 * ```ts
 * planInputs([a, b], { [b]: [a] }, 10_000).wave; // [0, 1]
 * ```
 */
export function planInputs(taskIds: readonly string[], dependencies: Readonly<Record<string, readonly string[]>> | undefined, maxInputs: number): InputPlan {
  const index = new Map(taskIds.map((id, i) => [id, i]));
  const inputs: string[][] = taskIds.map(() => []);
  for (const [taskId, ids] of Object.entries(dependencies ?? {})) {
    const at = index.get(taskId.toLowerCase());
    if (at === undefined) throw new ApiError(ErrorCode.DEPENDENCY_INVALID, `dependencies names task ${taskId}, which is not in this submit (a task with inputs needs its own task id)`, [taskId]);
    inputs[at] = [...new Set([...inputs[at]!, ...ids.map((id) => id.toLowerCase())])];
  }
  const refusals = new Map<number, ApiError>();
  const earlier: number[][] = taskIds.map(() => []);
  const wave: number[] = taskIds.map(() => 0);
  const outside = new Set<string>();
  inputs.forEach((ids, i) => {
    const taskId = taskIds[i]!;
    if (ids.length > maxInputs) {
      refusals.set(i, new ApiError(ErrorCode.DEPENDENCY_INVALID, `Task ${taskId} has ${ids.length} inputs; the limit is ${maxInputs} ${limitHint('maxInputsPerTask')}`, [taskId, ids.length, maxInputs]));
      return;
    }
    for (const id of ids) {
      const j = index.get(id);
      if (!isUuid(id)) refusals.set(i, new ApiError(ErrorCode.DEPENDENCY_NOT_FOUND, `Input ${id} of task ${taskId} is not a task id`, [taskId, id]));
      else if (j === undefined) outside.add(id);
      else if (j >= i) refusals.set(i, new ApiError(ErrorCode.DEPENDENCY_NOT_FOUND, `Input ${id} of task ${taskId} must be submitted before it (earlier in the same submit counts)`, [taskId, id]));
      else {
        earlier[i]!.push(j);
        wave[i] = Math.max(wave[i]!, wave[j]! + 1);
      }
      if (refusals.has(i)) return;
    }
  });
  return { inputs, earlier, wave, refusals, outside: [...outside] };
}
