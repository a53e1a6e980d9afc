import type { TaskState } from './TaskState.js';

/**
 * The outstanding tasks of one client, by id: what the result socket demultiplexes into with one
 * map lookup per frame (not a `filter` per task). It holds tasks; it never moves them (their
 * owner, the engine, does), and a task's settlement removes it. Registering the first task and settling the
 * last are reported, so the owner can hold the result socket exactly while tasks are outstanding.
 *
 * @example
 * ```ts
 * const registry = new TaskRegistry({ onFirst: () => hold.acquire(), onLast: () => hold.release() });
 * registry.add(new TaskState(taskId, groupId));
 * registry.get(frame.task_id)?.setStatus(frame.status);
 * ```
 */
export class TaskRegistry {
  readonly #tasks = new Map<string, TaskState>();
  readonly #onFirst: () => void;
  readonly #onLast: () => void;

  /**
   * @param hooks - `onFirst`: the first task became outstanding; `onLast`: none is left
   */
  constructor(hooks: { onFirst: () => void; onLast: () => void }) {
    this.#onFirst = hooks.onFirst;
    this.#onLast = hooks.onLast;
  }

  /** How many tasks are outstanding. */
  get size(): number {
    return this.#tasks.size;
  }

  /**
   * Adds an outstanding task. Its settlement removes it.
   *
   * @param state - the new task
   * @returns nothing
   */
  add(state: TaskState): void {
    if (state.settled || this.#tasks.has(state.taskId)) return;
    this.#tasks.set(state.taskId, state);
    if (this.#tasks.size === 1) this.#onFirst();
    state.onSettled = this.#removeSettled;
  }

  /**
   * The outstanding task with this id.
   *
   * @param taskId - a task id
   * @returns the task, or undefined when it is not outstanding
   */
  get(taskId: string): TaskState | undefined {
    return this.#tasks.get(taskId);
  }

  /**
   * The outstanding tasks, in the order they were added.
   *
   * @returns an iterator over them
   */
  values(): IterableIterator<TaskState> {
    return this.#tasks.values();
  }

  /** One function for every task, rather than a closure each. */
  readonly #removeSettled = (state: TaskState): void => this.#remove(state);

  #remove(state: TaskState): void {
    if (this.#tasks.get(state.taskId) !== state) return;
    this.#tasks.delete(state.taskId);
    if (this.#tasks.size === 0) this.#onLast();
  }
}
