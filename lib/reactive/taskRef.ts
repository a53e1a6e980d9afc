import { TASK_MARKER_KEY } from '../protocol/endpointChannel.js';

/** The marker a task reference serializes as, in a payload's arguments (docs/protocol-extensions.md §12). */
export interface TaskMarker {
  readonly [TASK_MARKER_KEY]: string;
}

/**
 * A task standing for its result as another task's argument. An `AsyncTask`, a `FuncXFuture`
 * and what {@link taskRef} makes are task references: passed to `run` or the executor's
 * `submit`, anywhere in the arguments, each serializes as the marker
 * `{ "__funcx_rx_task__": "<task id>" }`, and the new task waits on the service until the input
 * has succeeded, then runs with the input's result in its place.
 */
export interface TaskReference {
  /** The input task's id. */
  readonly taskId: string;
  /** The marker it serializes as (JSON.stringify calls it). */
  toJSON(): TaskMarker;
}

/**
 * The marker that stands for a task's result.
 *
 * @param taskId - the input task
 * @returns `{ "__funcx_rx_task__": taskId }`
 * @example
 * ```ts
 * JSON.stringify(taskMarker('a1b2…')); // '{"__funcx_rx_task__":"a1b2…"}'
 * ```
 */
export function taskMarker(taskId: string): TaskMarker {
  return { [TASK_MARKER_KEY]: taskId.toLowerCase() };
}

/**
 * A reference to a task by its id, to pass as an argument: the new task waits for this one and
 * takes its result. The task must be the same user's and already submitted (or earlier in the
 * same post).
 *
 * @param taskId - a task submitted before (by this process or any other of the same user)
 * @returns a reference that serializes as the task's marker
 * @example
 * ```ts
 * import { taskRef } from 'funcx-rx';
 * const id = await fxc.run({ functionId: double, endpointId }, 1);   // polling client: an id
 * const next = await fxc.run({ functionId: double, endpointId }, taskRef(id));
 * ```
 */
export function taskRef(taskId: string): TaskReference {
  const marker = taskMarker(taskId);
  return { taskId: marker[TASK_MARKER_KEY], toJSON: () => marker };
}

/**
 * An argument's type where the value, or any part of it in arrays and objects, may also be a
 * task reference (the input's result takes its place where the task runs).
 */
export type TaskArgument<T> =
  | TaskReference
  | (T extends readonly (infer U)[] ? TaskArgument<U>[] : T extends (...args: never[]) => unknown ? T : T extends object ? { [K in keyof T]: TaskArgument<T[K]> } : T);

/** A call's arguments where each, or any part of one, may also be a task reference. */
export type WithTaskReferences<P extends readonly unknown[]> = { [K in keyof P]: TaskArgument<P[K]> };
