import { DEPENDENCY_FAILED, dependencyFailedMessage } from '../../errors/DependencyFailed.js';
import { INITIAL_STATUS, WAITING_STATUS } from '../../protocol/lifecycle.js';
import { errorFormOf, serializeErrorAs } from '../../serialize/errorForm.js';
import type { Backend } from '../core/Backend.js';
import type { DoomedTask, TaskCompletion, TaskEntry } from '../core/records.js';
import type { GroupEvent } from '../core/TaskBus.js';
import { logFailure, type Logger } from '../log.js';
import { ServiceMadeError } from '../ServiceMadeError.js';

/**
 * What the broker does for tasks that wait for tasks (docs/protocol-extensions.md §12), after the
 * backend's atomic writes have decided: count and tell released dependants, fail doomed ones
 * (their own dependants follow through the broker's report, recursively), heal what a dead
 * replica left waiting, and gather the inputs' results for dispatch. It writes only through the
 * `end` it is given (the broker's one write of ends).
 *
 * @example
 * ```ts
 * const cases = new DependencyCases(backend, log, (ends) => record(ends));
 * await cases.doom(outcome.doomed, Date.now());
 * ```
 */
export class DependencyCases {
  readonly #backend: Backend;
  readonly #log: Logger;
  readonly #end: (ownerId: string, ends: readonly TaskCompletion[]) => Promise<void>;

  /**
   * @param backend - where tasks are read, counted and told
   * @param log - where a failed event is told
   * @param end - records ends (and what follows from them), as the broker's report does
   */
  constructor(backend: Backend, log: Logger, end: (ownerId: string, ends: readonly TaskCompletion[]) => Promise<void>) {
    this.#backend = backend;
    this.#log = log;
    this.#end = end;
  }

  /**
   * Tells dependants that a write released (the write counted them) onto their endpoints' queues.
   *
   * @param befores - the released tasks, as they were before (waiting)
   * @returns nothing (the events are sent, not waited for)
   */
  released(befores: readonly TaskEntry[]): void {
    if (befores.length === 0) return;
    const events: GroupEvent[] = [];
    for (const before of befores) {
      events.push({ groupId: before.groupId, ownerId: before.ownerId, taskId: before.id, frame: { type: 'status', task_id: before.id, status: INITIAL_STATUS } });
    }
    // Best effort: a client that missed it sees the next status or the end.
    void this.#backend.bus.publishMany(events).catch(logFailure(this.#log, 'publishing released dependants\' statuses failed', { tasks: befores.length }));
  }

  /**
   * Ends waiting tasks whose input ended without success (or is gone) as `failed`, with a
   * `DependencyFailed` that names the input, in the form each one's submitter reads.
   *
   * @param doomed - the tasks and their inputs
   * @param completedAt - their end time
   * @returns once recorded (their dependants too)
   */
  async doom(doomed: readonly DoomedTask[], completedAt: number): Promise<void> {
    // A task's inputs are its owner's: each owner's in one write.
    const byOwner = new Map<string, DoomedTask[]>();
    for (const d of doomed) (byOwner.get(d.task.ownerId) ?? byOwner.set(d.task.ownerId, []).get(d.task.ownerId)!).push(d);
    for (const [ownerId, owned] of byOwner) {
      const inputs = await this.#backend.tasks.getMany(ownerId, [...new Set(owned.map((d) => d.inputId))]);
      const ends = owned.map(({ task, inputId }): TaskCompletion => {
        const input = inputs.get(inputId);
        const how = input === undefined ? 'is gone (expired or deleted)' : input.status === 'cancelled' ? 'was cancelled' : `ended as ${input.status}`;
        const error = new ServiceMadeError(DEPENDENCY_FAILED, dependencyFailedMessage(task.id, inputId, how));
        return { id: task.id, end: { status: 'failed', result: null, exception: serializeErrorAs(errorFormOf(task.payload), error), completedAt } };
      });
      await this.#end(ownerId, ends);
    }
  }

  /**
   * Fails tasks still waiting for an input that has ended without success, or is gone: the
   * replica whose write doomed them died before it ended them. (A success releases its
   * dependants in the input's own atomic write, so nothing waits on a succeeded input.)
   *
   * @param ownerId - whose tasks
   * @param now - the sweep's time
   * @param limit - the most waiting tasks to look at
   * @returns how many it failed
   */
  async heal(ownerId: string, now: number, limit: number): Promise<number> {
    const { tasks } = this.#backend;
    const waiting = [...(await tasks.getMany(ownerId, await tasks.waitingForInputs(ownerId, now, limit))).values()].filter((t) => t.status === WAITING_STATUS);
    if (waiting.length === 0) return 0;
    const inputs = await tasks.getMany(ownerId, [...new Set(waiting.flatMap((t) => t.inputs ?? []))]);
    const doomed: DoomedTask[] = [];
    for (const task of waiting) {
      const inputId = (task.inputs ?? []).find((id) => {
        const input = inputs.get(id);
        return input === undefined || input.status === 'failed' || input.status === 'cancelled';
      });
      if (inputId !== undefined) doomed.push({ task, inputId });
    }
    await this.doom(doomed, now);
    return doomed.length;
  }

  /**
   * The results of the inputs of tasks about to be sent to their endpoint: per task, input id →
   * serialized result, for the task message's `inputs`. An input that is gone (expired) is left
   * out: the worker fails the task with `TaskInputMissing`, naming it.
   *
   * @param tasks - tasks being dispatched
   * @returns per task with inputs, its inputs' results
   */
  async inputsOf(tasks: readonly TaskEntry[]): Promise<Map<string, Record<string, string>>> {
    const out = new Map<string, Record<string, string>>();
    const ids = new Map<string, Set<string>>();
    for (const task of tasks) for (const id of task.inputs ?? []) (ids.get(task.ownerId) ?? ids.set(task.ownerId, new Set()).get(task.ownerId)!).add(id);
    if (ids.size === 0) return out;
    const found = new Map<string, Map<string, TaskEntry>>();
    await Promise.all([...ids].map(async ([ownerId, owned]) => found.set(ownerId, await this.#backend.tasks.getMany(ownerId, [...owned]))));
    for (const task of tasks) {
      if (!task.inputs?.length) continue;
      const mine = found.get(task.ownerId)!;
      const inputs: Record<string, string> = {};
      for (const id of task.inputs) {
        const input = mine.get(id);
        if (input?.status === 'success' && input.result !== null) inputs[id] = input.result;
      }
      out.set(task.id, inputs);
    }
    return out;
  }
}
