import { createHash } from 'node:crypto';
import { v4 as uuidv4, validate as isUuid } from 'uuid';
import { ErrorCode } from '../protocol/errorCodes.js';
import type { EndpointResultMessage } from '../protocol/endpointChannel.js';
import type { SubmitFailure, SubmitSuccess, SubmitTask } from '../protocol/submit.js';
import { isFinalStatus, type TaskRecord, type TaskStatus } from '../protocol/task.js';
import { serializeError } from '../serialize/serialize.js';
import { ApiError } from './ApiError.js';
import type { ResolvedServiceOptions } from './FuncXServiceOptions.js';
import type { ServiceStats } from './ServiceStats.js';
import type { FunctionEntry, GroupEntry, TaskEntry } from './store/records.js';
import type { Stores } from './store/Stores.js';

/** Who the broker tells when tasks move: the endpoint hub (to run them) and the result hub (to deliver them). */
export interface BrokerListeners {
  /** A task is waiting for its endpoint. */
  taskWaiting(task: TaskEntry): void;
  /** A task that may be queued for or at its endpoint ended without it (cancelled, expired). */
  taskWithdrawn(task: TaskEntry): void;
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
    // The service's own stack is of no use to the client, and tells it about the service.
    this.stack = `${this.name}: ${this.message}`;
  }
}

/** The error a task ends with when its endpoint never took it within `maxWaitMs`. */
class EndpointUnavailable extends Error {
  constructor(task: TaskEntry, waitedMs: number) {
    super(`Task ${task.id} waited ${Math.round(waitedMs / 1000)} s for endpoint ${task.endpointId}, which did not take it (the limit is the service's maxWaitMs)`);
    this.name = 'EndpointUnavailable';
    this.stack = `${this.name}: ${this.message}`;
  }
}

/** The limits the broker enforces. */
export type BrokerLimits = Pick<
  ResolvedServiceOptions,
  'maxPayloadBytes' | 'maxFunctionBytes' | 'maxOutstandingTasksPerUser' | 'maxBytesPerUser' | 'maxFunctionsPerUser' | 'maxEndpointsPerUser'
  | 'retentionMs' | 'maxWaitMs' | 'groupIdleMs' | 'registrationIdleMs'
>;

/** What {@link TaskBroker.sweep} removed. */
export interface SweepReport {
  readonly tasksDeleted: number;
  readonly tasksExpired: number;
  readonly groupsDeleted: number;
  readonly functionsDeleted: number;
  readonly endpointsDeleted: number;
}

function digest(payload: string): string {
  return createHash('sha1').update(payload).digest('base64');
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
  readonly #limits: BrokerLimits;

  /**
   * @param stores - where tasks, functions, groups and endpoints live
   * @param stats - the live counters
   * @param listeners - the hubs that run and deliver tasks
   * @param limits - sizes, quotas and expiry times
   */
  constructor(stores: Stores, stats: ServiceStats, listeners: BrokerListeners, limits: BrokerLimits) {
    this.#stores = stores;
    this.#stats = stats;
    this.#listeners = listeners;
    this.#limits = limits;
  }

  /**
   * Registers a function for a user, within the size limit and the user's quota.
   *
   * @param userId - the owner
   * @param fn - its name, entry point, serialized code, source and description
   * @returns the new function's id
   * @throws {@link ApiError} 111 for code or source over the limit, 104 over the quota
   */
  registerFunction(userId: string, fn: Omit<FunctionEntry, 'id' | 'ownerId' | 'lastUsedAt'>): string {
    const limit = this.#limits.maxFunctionBytes;
    for (const [what, text] of [['function_code', fn.code], ['function_source', fn.source]] as const) {
      if (text.length > limit) throw new ApiError(ErrorCode.VALUE_TOO_LARGE, `The function's ${what} is ${text.length} bytes; the limit is ${limit}`, [what, text.length, limit]);
    }
    this.#checkQuota(userId, 'functions', 1, this.#limits.maxFunctionsPerUser, 'registered functions');
    const id = uuidv4();
    this.#stores.functions.put({ ...fn, id, ownerId: userId, lastUsedAt: Date.now() });
    this.#stats.add(userId, 'functions', 1);
    return id;
  }

  /**
   * Registers an endpoint for a user, within the user's quota.
   *
   * @param userId - the owner
   * @param endpoint - its id, name and secret hash
   * @returns nothing
   * @throws {@link ApiError} 104 over the quota
   */
  registerEndpoint(userId: string, endpoint: { id: string; name: string; secretHash: string }): void {
    this.#checkQuota(userId, 'endpoints', 1, this.#limits.maxEndpointsPerUser, 'registered endpoints');
    this.#stores.endpoints.put({ ...endpoint, ownerId: userId, lastSeenAt: Date.now() });
    this.#stats.add(userId, 'endpoints', 1);
  }

  /**
   * Notes that an endpoint connected or disconnected, so that a used endpoint is not expired.
   *
   * @param endpointId - the endpoint
   * @returns nothing
   */
  endpointSeen(endpointId: string): void {
    const endpoint = this.#stores.endpoints.get(endpointId);
    if (endpoint) endpoint.lastSeenAt = Date.now();
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
    // Quotas refuse the whole request up front: 429 tells a batching client to back off and retry.
    this.#checkQuota(userId, 'outstanding', tasks.length, this.#limits.maxOutstandingTasksPerUser, 'outstanding tasks', 1);
    let bytes = 0;
    for (const task of tasks) bytes += task[2].length;
    this.#checkQuota(userId, 'bytesHeld', bytes, this.#limits.maxBytesPerUser, 'bytes held', 60);
    const group = this.#groupFor(userId, groupId);
    group.touchedAt = Date.now();
    this.#stats.add(userId, 'submitRequests', 1);
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
    if (task.status !== 'waiting-for-ep') {
      this.#move(task, 'waiting-for-ep');
      task.queuedAt = Date.now();
    }
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
    this.#end(task, failed ? 'failed' : 'success', failed ? null : (message.result ?? 'null'), failed ? message.exception! : null);
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
    this.#listeners.taskWithdrawn(task);
    this.#end(task, 'cancelled', null, serializeError(new TaskCancelled(task.id)));
  }

  /**
   * Expires what has outlived its time, so memory stays bounded however long the service runs:
   * ended tasks after `retentionMs`; tasks that waited `maxWaitMs` for their endpoint (they fail);
   * empty groups idle for `groupIdleMs`; functions not submitted to, and endpoints not connected,
   * for `registrationIdleMs` (never while a live task needs them).
   *
   * @param now - the current time, epoch milliseconds
   * @param isOnline - whether an endpoint is connected now
   * @returns what was removed
   */
  sweep(now: number, isOnline: (endpointId: string) => boolean): SweepReport {
    const limits = this.#limits;
    let tasksDeleted = 0;
    let tasksExpired = 0;
    const needed = new Set<string>();
    for (const task of [...this.#stores.tasks.values()]) {
      if (task.completedAt !== null) {
        if (now - task.completedAt < limits.retentionMs) continue;
        this.#delete(task);
        tasksDeleted++;
      } else if (task.status === 'waiting-for-ep' && now - task.queuedAt >= limits.maxWaitMs) {
        this.#listeners.taskWithdrawn(task);
        this.#end(task, 'failed', null, serializeError(new EndpointUnavailable(task, now - task.queuedAt)));
        tasksExpired++;
      } else {
        needed.add(task.functionId).add(task.endpointId);
      }
    }
    let groupsDeleted = 0;
    for (const group of [...this.#stores.groups.values()]) {
      if (group.taskIds.size > 0 || now - group.touchedAt < limits.groupIdleMs) continue;
      this.#stores.groups.delete(group.id);
      groupsDeleted++;
    }
    let functionsDeleted = 0;
    for (const fn of [...this.#stores.functions.values()]) {
      if (needed.has(fn.id) || now - fn.lastUsedAt < limits.registrationIdleMs) continue;
      this.#stores.functions.delete(fn.id);
      this.#stats.add(fn.ownerId, 'functions', -1);
      functionsDeleted++;
    }
    let endpointsDeleted = 0;
    for (const endpoint of [...this.#stores.endpoints.values()]) {
      if (needed.has(endpoint.id) || isOnline(endpoint.id) || now - endpoint.lastSeenAt < limits.registrationIdleMs) continue;
      this.#stores.endpoints.delete(endpoint.id);
      this.#stats.add(endpoint.ownerId, 'endpoints', -1);
      endpointsDeleted++;
    }
    return { tasksDeleted, tasksExpired, groupsDeleted, functionsDeleted, endpointsDeleted };
  }

  #delete(task: TaskEntry): void {
    this.#stores.tasks.delete(task.id);
    const group = this.#stores.groups.get(task.groupId);
    group?.taskIds.delete(task.id);
    group?.undelivered.delete(task.id);
    this.#stats.moveTask(task.ownerId, task.status, null);
    this.#stats.add(task.ownerId, 'bytesHeld', -heldBytes(task));
  }

  #checkQuota(userId: string, counter: 'outstanding' | 'bytesHeld' | 'functions' | 'endpoints', adding: number, limit: number, what: string, retryAfterSeconds?: number): void {
    const current = this.#stats.of(userId, counter);
    if (current + adding <= limit) return;
    throw new ApiError(
      ErrorCode.QUOTA_EXCEEDED,
      `Quota exceeded: ${what} would be ${current + adding}; the limit per user is ${limit}`,
      [what, current + adding, limit],
      retryAfterSeconds,
    );
  }

  #groupFor(userId: string, groupId: string | undefined): GroupEntry {
    if (groupId === undefined) {
      const group: GroupEntry = { id: uuidv4(), ownerId: userId, taskIds: new Set(), undelivered: new Set(), touchedAt: Date.now() };
      this.#stores.groups.put(group);
      return group;
    }
    if (!isUuid(groupId)) throw new ApiError(ErrorCode.INVALID_UUID, `Invalid task_group_id: ${groupId}`, [groupId]);
    const existing = this.#stores.groups.get(groupId);
    if (existing === undefined) {
      const group: GroupEntry = { id: groupId, ownerId: userId, taskIds: new Set(), undelivered: new Set(), touchedAt: Date.now() };
      this.#stores.groups.put(group);
      return group;
    }
    if (existing.ownerId !== userId) throw new ApiError(ErrorCode.TASK_GROUP_ACCESS_FORBIDDEN, `Task group ${groupId} belongs to another user`, [groupId]);
    return existing;
  }

  #accept(userId: string, group: GroupEntry, task: SubmitTask, taskId: string): void {
    const [functionId, endpointId, payload] = task;
    if (!isUuid(taskId)) throw new ApiError(ErrorCode.INVALID_UUID, `Invalid task id: ${taskId}`, [taskId]);
    if (payload.length > this.#limits.maxPayloadBytes) {
      throw new ApiError(ErrorCode.VALUE_TOO_LARGE, `The task's payload is ${payload.length} bytes; the limit is ${this.#limits.maxPayloadBytes}`, ['payload', payload.length, this.#limits.maxPayloadBytes]);
    }
    const fn = this.#stores.functions.get(functionId);
    if (fn === undefined) throw new ApiError(ErrorCode.FUNCTION_NOT_FOUND, `Function ${functionId} not found`, [functionId]);
    if (fn.ownerId !== userId) throw new ApiError(ErrorCode.FUNCTION_ACCESS_FORBIDDEN, `Function ${functionId} belongs to another user`, [functionId]);
    const endpoint = this.#stores.endpoints.get(endpointId);
    if (endpoint === undefined) throw new ApiError(ErrorCode.ENDPOINT_NOT_FOUND, `Endpoint ${endpointId} not found`, [endpointId]);
    if (endpoint.ownerId !== userId) throw new ApiError(ErrorCode.ENDPOINT_ACCESS_FORBIDDEN, `Endpoint ${endpointId} belongs to another user`, [endpointId]);
    const existing = this.#stores.tasks.get(taskId);
    if (existing !== undefined) {
      // A retried submit names the same task again: accepted, not run twice.
      const samePayload = existing.payload === null ? existing.payloadDigest === digest(payload) : existing.payload === payload;
      const same = existing.ownerId === userId && existing.functionId === functionId && existing.endpointId === endpointId && samePayload;
      if (same) return;
      throw new ApiError(ErrorCode.TASK_ID_CONFLICT, `Task id ${taskId} is already used by another task`, [taskId]);
    }
    const now = Date.now();
    const entry: TaskEntry = { id: taskId, ownerId: userId, groupId: group.id, functionId, endpointId, payload, payloadDigest: null, status: 'waiting-for-ep', result: null, exception: null, queuedAt: now, completedAt: null };
    this.#stores.tasks.put(entry);
    fn.lastUsedAt = now;
    group.taskIds.add(taskId);
    this.#stats.add(userId, 'tasksSubmitted', 1);
    this.#stats.add(userId, 'invocations', 1);
    this.#stats.add(userId, 'bytesHeld', payload.length);
    this.#stats.moveTask(userId, null, 'waiting-for-ep');
    this.#listeners.taskWaiting(entry);
  }

  #move(task: TaskEntry, status: TaskStatus): void {
    this.#stats.moveTask(task.ownerId, task.status, status);
    task.status = status;
  }

  /** Ends a task: its payload is no longer needed (only its digest, for retried submits). */
  #end(task: TaskEntry, status: 'success' | 'failed' | 'cancelled', result: string | null, exception: string | null): void {
    const before = heldBytes(task);
    if (task.payload !== null) {
      task.payloadDigest = digest(task.payload);
      task.payload = null;
    }
    task.result = result;
    task.exception = exception;
    task.completedAt = Date.now();
    this.#stats.add(task.ownerId, 'bytesHeld', heldBytes(task) - before);
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

/** The bytes a task holds: its payload while live, its result or exception once ended. */
function heldBytes(task: TaskEntry): number {
  return (task.payload?.length ?? 0) + (task.result?.length ?? 0) + (task.exception?.length ?? 0);
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
