import { v4 as uuidv4, validate as isUuid } from 'uuid';
import { ErrorCode } from '../protocol/errorCodes.js';
import type { EndpointResultMessage } from '../protocol/endpointChannel.js';
import type { SubmitFailure, SubmitSuccess, SubmitTask } from '../protocol/submit.js';
import { isFinalStatus, type TaskRecord, type TaskStatus } from '../protocol/task.js';
import { serializeError } from '../serialize/serialize.js';
import { ApiError } from './ApiError.js';
import type { ServiceStats } from './ServiceStats.js';
import type { GroupEntry, TaskEntry } from './store/records.js';
import type { Stores } from './store/Stores.js';

/** Who the broker tells when tasks move: the endpoint hub (to run them) and the result hub (to deliver them). */
export interface BrokerListeners {
  /** A task is waiting for its endpoint. */
  taskWaiting(task: TaskEntry): void;
  /** A task that may be at its endpoint was cancelled. */
  taskCancelled(task: TaskEntry): void;
  /** A task changed status before ending. */
  taskStatus(task: TaskEntry): void;
  /** A task ended. */
  taskFinished(task: TaskEntry, group: GroupEntry): void;
}

/** The error a cancelled task ends with; the client reads it back as `TaskCancelled`. */
class TaskCancelled extends Error {
  constructor(taskId: string) {
    super(`Task ${taskId} was cancelled`);
    this.name = 'TaskCancelled';
  }
}

/**
 * The service's task logic, free of HTTP and sockets: submits (idempotent per client-chosen
 * id), status changes, results (the first one wins), cancellation and retention.
 *
 * @example
 * ```ts
 * const broker = new TaskBroker(stores, stats, listeners);
 * const { groupId, results } = broker.submit(userId, undefined, tasks);
 * ```
 */
export class TaskBroker {
  readonly #stores: Stores;
  readonly #stats: ServiceStats;
  readonly #listeners: BrokerListeners;

  /**
   * @param stores - where tasks, functions, groups and endpoints live
   * @param stats - the live counters
   * @param listeners - the hubs that run and deliver tasks
   */
  constructor(stores: Stores, stats: ServiceStats, listeners: BrokerListeners) {
    this.#stores = stores;
    this.#stats = stats;
    this.#listeners = listeners;
  }

  /**
   * Accepts a submit: each task is checked on its own and answered in order.
   *
   * @param userId - the submitter
   * @param groupId - the group to join; a new one when undefined
   * @param tasks - the tasks, each optionally with its client-chosen id
   * @returns the group id and one answer per task
   * @throws {@link ApiError} for a malformed group id (22) or another user's group (21)
   */
  submit(userId: string, groupId: string | undefined, tasks: readonly SubmitTask[]): { groupId: string; results: (SubmitSuccess | SubmitFailure)[] } {
    const group = this.#groupFor(userId, groupId);
    this.#stats.submitRequests++;
    const results = tasks.map((task) => {
      // Stored in lower case, as every route looks ids up, so an id sent in upper case is found.
      const taskId = (task[3] ?? uuidv4()).toLowerCase();
      try {
        this.#accept(userId, group, task, taskId);
        return { status: 'Success', task_uuid: taskId, http_status_code: 200 } as const;
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        return { ...error.toEnvelope(), task_uuid: taskId };
      }
    });
    return { groupId: group.id, results };
  }

  /**
   * The task as funcX's `GET /v2/tasks/<id>` answers it.
   *
   * @param userId - the reader
   * @param taskId - the task
   * @returns its record
   * @throws {@link ApiError} 6 for an unknown task or another user's
   */
  record(userId: string, taskId: string): TaskRecord {
    return toRecord(this.visibleTask(userId, taskId));
  }

  /**
   * A task the user may see.
   *
   * @param userId - the reader
   * @param taskId - the task
   * @returns the task
   * @throws {@link ApiError} 6 otherwise
   */
  visibleTask(userId: string, taskId: string): TaskEntry {
    const task = this.#stores.tasks.get(taskId);
    if (task === undefined || task.ownerId !== userId) throw new ApiError(ErrorCode.TASK_NOT_FOUND, `Task ${taskId} not found`, [taskId]);
    return task;
  }

  /**
   * A group the user owns.
   *
   * @param userId - the reader
   * @param groupId - the group
   * @returns the group
   * @throws {@link ApiError} 20 for none, 21 for another user's
   */
  visibleGroup(userId: string, groupId: string): GroupEntry {
    const group = this.#stores.groups.get(groupId);
    if (group === undefined) throw new ApiError(ErrorCode.TASK_GROUP_NOT_FOUND, `Task group ${groupId} not found`, [groupId]);
    if (group.ownerId !== userId) throw new ApiError(ErrorCode.TASK_GROUP_ACCESS_FORBIDDEN, `Task group ${groupId} belongs to another user`, [groupId]);
    return group;
  }

  /**
   * Records a status an endpoint reported. Statuses only move forward; ended tasks stay ended.
   *
   * @param endpointId - the reporting endpoint
   * @param taskId - the task
   * @param status - its new status
   * @returns nothing
   */
  setStatus(endpointId: string, taskId: string, status: TaskStatus): void {
    const task = this.#stores.tasks.get(taskId);
    if (task === undefined || task.endpointId !== endpointId || isFinalStatus(task.status) || rank(status) <= rank(task.status)) return;
    this.#move(task, status);
    this.#listeners.taskStatus(task);
  }

  /**
   * Puts a task back to `waiting-for-ep` (its endpoint's connection dropped before it ended).
   *
   * @param taskId - the task
   * @returns the task when it was requeued
   */
  requeue(taskId: string): TaskEntry | undefined {
    const task = this.#stores.tasks.get(taskId);
    if (task === undefined || isFinalStatus(task.status)) return undefined;
    if (task.status !== 'waiting-for-ep') this.#move(task, 'waiting-for-ep');
    return task;
  }

  /**
   * Records a result an endpoint sent. The first result for a task wins; later ones (a re-run
   * after a reconnect, a result for a cancelled task) are ignored.
   *
   * @param endpointId - the reporting endpoint
   * @param message - the result or exception
   * @returns true when the message ended the task
   */
  finish(endpointId: string, message: EndpointResultMessage): boolean {
    const task = this.#stores.tasks.get(message.task_id);
    if (task === undefined || task.endpointId !== endpointId || isFinalStatus(task.status)) return false;
    const failed = typeof message.exception === 'string';
    task.result = failed ? null : (message.result ?? 'null');
    task.exception = failed ? message.exception! : null;
    this.#end(task, failed ? 'failed' : 'success');
    return true;
  }

  /**
   * Cancels a task that has not ended; an ended task is left as it is.
   *
   * @param task - the task
   * @returns nothing
   */
  cancel(task: TaskEntry): void {
    if (isFinalStatus(task.status)) return;
    task.result = null;
    task.exception = serializeError(new TaskCancelled(task.id));
    this.#listeners.taskCancelled(task);
    this.#end(task, 'cancelled');
  }

  /**
   * Deletes tasks that ended more than `retentionMs` ago.
   *
   * @param now - the current time, epoch milliseconds
   * @param retentionMs - how long ended tasks are kept
   * @returns how many were deleted
   */
  expire(now: number, retentionMs: number): number {
    let deleted = 0;
    for (const task of [...this.#stores.tasks.values()]) {
      if (task.completedAt === null || now - task.completedAt < retentionMs) continue;
      this.#stores.tasks.delete(task.id);
      const group = this.#stores.groups.get(task.groupId);
      group?.taskIds.delete(task.id);
      group?.undelivered.delete(task.id);
      this.#stats.moveTask(task.status, null);
      deleted++;
    }
    return deleted;
  }

  #groupFor(userId: string, groupId: string | undefined): GroupEntry {
    if (groupId === undefined) {
      const group: GroupEntry = { id: uuidv4(), ownerId: userId, taskIds: new Set(), undelivered: new Set() };
      this.#stores.groups.put(group);
      return group;
    }
    if (!isUuid(groupId)) throw new ApiError(ErrorCode.INVALID_UUID, `Invalid task_group_id: ${groupId}`, [groupId]);
    const existing = this.#stores.groups.get(groupId);
    if (existing === undefined) {
      const group: GroupEntry = { id: groupId, ownerId: userId, taskIds: new Set(), undelivered: new Set() };
      this.#stores.groups.put(group);
      return group;
    }
    if (existing.ownerId !== userId) throw new ApiError(ErrorCode.TASK_GROUP_ACCESS_FORBIDDEN, `Task group ${groupId} belongs to another user`, [groupId]);
    return existing;
  }

  #accept(userId: string, group: GroupEntry, task: SubmitTask, taskId: string): void {
    const [functionId, endpointId, payload] = task;
    if (!isUuid(taskId)) throw new ApiError(ErrorCode.INVALID_UUID, `Invalid task id: ${taskId}`, [taskId]);
    const fn = this.#stores.functions.get(functionId);
    if (fn === undefined) throw new ApiError(ErrorCode.FUNCTION_NOT_FOUND, `Function ${functionId} not found`, [functionId]);
    if (fn.ownerId !== userId) throw new ApiError(ErrorCode.FUNCTION_ACCESS_FORBIDDEN, `Function ${functionId} belongs to another user`, [functionId]);
    const endpoint = this.#stores.endpoints.get(endpointId);
    if (endpoint === undefined) throw new ApiError(ErrorCode.ENDPOINT_NOT_FOUND, `Endpoint ${endpointId} not found`, [endpointId]);
    if (endpoint.ownerId !== userId) throw new ApiError(ErrorCode.ENDPOINT_ACCESS_FORBIDDEN, `Endpoint ${endpointId} belongs to another user`, [endpointId]);
    const existing = this.#stores.tasks.get(taskId);
    if (existing !== undefined) {
      // A retried submit names the same task again: accepted, not run twice.
      const same = existing.ownerId === userId && existing.functionId === functionId && existing.endpointId === endpointId && existing.payload === payload;
      if (same) return;
      throw new ApiError(ErrorCode.TASK_ID_CONFLICT, `Task id ${taskId} is already used by another task`, [taskId]);
    }
    const entry: TaskEntry = { id: taskId, ownerId: userId, groupId: group.id, functionId, endpointId, payload, status: 'waiting-for-ep', result: null, exception: null, completedAt: null };
    this.#stores.tasks.put(entry);
    group.taskIds.add(taskId);
    this.#stats.tasksSubmitted++;
    this.#stats.invocations++;
    this.#stats.moveTask(null, 'waiting-for-ep');
    this.#listeners.taskWaiting(entry);
  }

  #move(task: TaskEntry, status: TaskStatus): void {
    this.#stats.moveTask(task.status, status);
    task.status = status;
  }

  #end(task: TaskEntry, status: 'success' | 'failed' | 'cancelled'): void {
    task.completedAt = Date.now();
    this.#move(task, status);
    const group = this.#stores.groups.get(task.groupId);
    if (group) this.#listeners.taskFinished(task, group);
  }
}

const RANK: Readonly<Record<TaskStatus, number>> = {
  'waiting-for-ep': 0,
  'waiting-for-nodes': 1,
  'waiting-for-launch': 2,
  running: 3,
  success: 4,
  failed: 4,
  cancelled: 4,
};

function rank(status: TaskStatus): number {
  return RANK[status];
}

/**
 * A task as funcX's routes answer it: `result` and `exception` left out while null.
 *
 * @param task - the stored task
 * @returns its record
 */
export function toRecord(task: TaskEntry): TaskRecord {
  const completion_t = task.completedAt === null ? null : (task.completedAt / 1000).toFixed(3);
  return {
    task_id: task.id,
    status: task.status,
    completion_t,
    ...(task.result === null ? {} : { result: task.result }),
    ...(task.exception === null ? {} : { exception: task.exception }),
  };
}
