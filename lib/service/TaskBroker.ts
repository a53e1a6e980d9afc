import { hash } from 'node:crypto';
import { v4 as uuidv4, validate as isUuid } from 'uuid';
import { ErrorCode } from '../protocol/errorCodes.js';
import type { EndpointResultMessage } from '../protocol/endpointChannel.js';
import type { SubmitFailure, SubmitSuccess, SubmitTask } from '../protocol/submit.js';
import { furthest, forwardSteps, INITIAL_STATUS, WAITING_STATUS } from '../protocol/lifecycle.js';
import { completionTime, resultFrame, type TaskRecord, type TaskStatus } from '../protocol/task.js';
import { errorFormOf, serializeErrorAs } from '../serialize/errorForm.js';
import { ApiError } from './ApiError.js';
import { ServiceMadeError } from './ServiceMadeError.js';
import type { Backend } from './core/Backend.js';
import type { Counter } from './core/Counters.js';
import type { DoomedTask, EndpointEntry, FunctionEntry, GroupEntry, SubmitOutcome, TaskCompletion, TaskEnd, TaskEntry, TaskMove, TokenHolder } from './core/records.js';
import type { EndpointQueue, GroupEvent, TakenTask } from './core/TaskBus.js';
import { logFailure, type Logger } from './log.js';
import type { ServiceStatsSnapshot } from './ServiceStats.js';
import type { ResolvedServiceOptions } from './FuncXServiceOptions.js';
import { limitHint } from './limitHint.js';
import { PartialCases } from './tasks/PartialCases.js';
import { DependencyCases } from './tasks/DependencyCases.js';
import { planInputs } from './tasks/planInputs.js';

/** The limits the broker enforces. */
export type BrokerLimits = Pick<
  ResolvedServiceOptions,
  'maxPayloadBytes' | 'maxFunctionBytes' | 'maxOutstandingTasksPerUser' | 'maxBytesPerUser' | 'maxFunctionsPerUser' | 'maxEndpointsPerUser'
  | 'retentionMs' | 'maxWaitMs' | 'groupIdleMs' | 'registrationIdleMs' | 'maxInputsPerTask'
  | 'maxUnreadPartials' | 'maxUnreadPartialBytes' | 'partialHistory' | 'maxResultBytes'
>;

/** What {@link TaskBroker.sweep} removed. */
export interface SweepReport {
  readonly tasksDeleted: number;
  readonly tasksExpired: number;
  readonly groupsDeleted: number;
  readonly functionsDeleted: number;
  readonly endpointsDeleted: number;
  /** Tasks waiting for inputs that had ended without success (or were gone) and that the sweep failed. */
  readonly dependantsFailed: number;
}

/**
 * What the broker tells as it happens, for metrics (lib/service/metrics/): called after the
 * write, by the replica that made it, never awaited.
 */
export interface TaskObserver {
  /** Tasks accepted by a submit (retried ones that were already stored are not told again). */
  submitted(tasks: readonly TaskEntry[]): void;
  /** A task ended here (first end wins): as it was before, and how it ended. */
  ended(before: TaskEntry, end: TaskEnd): void;
  /** The sweep removed an endpoint's registration. */
  endpointDeleted(endpointId: string): void;
}

/** The option that sets each quota. */
const QUOTA_OPTIONS: Partial<Record<Counter, keyof ResolvedServiceOptions & keyof BrokerLimits>> = {
  outstanding: 'maxOutstandingTasksPerUser', bytesHeld: 'maxBytesPerUser', functions: 'maxFunctionsPerUser', endpoints: 'maxEndpointsPerUser',
};

/** The most entries one sweep handles of each kind; the next sweep takes the rest. */
const SWEEP_BATCH = 50_000;

/**
 * The service's task logic, free of HTTP and sockets. It is the only writer: it validates, writes
 * through the backend's repositories (whose operations are atomic, so replicas may race), and
 * publishes events on the bus. It knows no hub: the hubs listen to the bus for the sockets they
 * own.
 *
 * @example
 * ```ts
 * const broker = new TaskBroker(backend, limits);
 * const { groupId, results } = await broker.submit(userId, undefined, tasks);
 * ```
 */
export class TaskBroker {
  readonly #backend: Backend;
  readonly #limits: BrokerLimits;
  readonly #log: Logger;
  readonly #observer: TaskObserver | null;
  readonly #dependencies: DependencyCases;
  /** The use cases of generators' partial results (§11). */
  readonly partials: PartialCases;

  /**
   * @param backend - repositories, counters, bus and presence
   * @param limits - sizes, quotas and expiry times
   * @param log - where failures of best-effort writes and events are told
   * @param observer - told of submits and ends (metrics)
   */
  constructor(backend: Backend, limits: BrokerLimits, log: Logger, observer: TaskObserver | null = null) {
    this.#backend = backend;
    this.#limits = limits;
    this.#log = log.child({ component: 'broker' });
    this.#observer = observer;
    this.#dependencies = new DependencyCases(backend, this.#log, async (ownerId, ends) => void (await this.#record(ownerId, '', [], ends)));
    const window = { maxUnread: limits.maxUnreadPartials, maxUnreadBytes: limits.maxUnreadPartialBytes, history: limits.partialHistory, retentionMs: limits.retentionMs };
    this.partials = new PartialCases(backend, window, limits.maxResultBytes, this.#log);
  }

  /**
   * The results of the inputs of tasks about to be sent to their endpoint, for the task
   * message's `inputs` (see {@link DependencyCases.inputsOf}).
   *
   * @param tasks - tasks being dispatched
   * @returns per task with inputs, input id → serialized result
   */
  inputsOf(tasks: readonly TaskEntry[]): Promise<Map<string, Record<string, string>>> {
    return this.#dependencies.inputsOf(tasks);
  }

  /**
   * Registers a function for a user, within the size limit and the user's quota.
   *
   * @param userId - the owner
   * @param fn - its name, entry point, serialized code, source and description
   * @returns the new function's id
   * @throws {@link ApiError} 111 for code or source over the limit, 104 over the quota
   */
  async registerFunction(userId: string, fn: Omit<FunctionEntry, 'id' | 'ownerId' | 'lastUsedAt'>): Promise<string> {
    const limit = this.#limits.maxFunctionBytes;
    for (const [what, text] of [['function_code', fn.code], ['function_source', fn.source]] as const) {
      if (text.length > limit) throw new ApiError(ErrorCode.VALUE_TOO_LARGE, `The function's ${what} is ${text.length} bytes; the limit is ${limit} ${limitHint('maxFunctionBytes')}`, [what, text.length, limit]);
    }
    await this.#checkQuota(userId, 'functions', 1, this.#limits.maxFunctionsPerUser, 'registered functions');
    const id = uuidv4();
    await this.#backend.functions.insert({ ...fn, id, ownerId: userId, lastUsedAt: Date.now() });
    this.#backend.counters.add(userId, 'functions', 1);
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
  async registerEndpoint(userId: string, endpoint: { id: string; name: string; secretHash: string }): Promise<void> {
    await this.#checkQuota(userId, 'endpoints', 1, this.#limits.maxEndpointsPerUser, 'registered endpoints');
    await this.#backend.endpoints.insert({ ...endpoint, ownerId: userId, lastSeenAt: Date.now() });
    this.#backend.counters.add(userId, 'endpoints', 1);
  }

  /**
   * Accepts a submit: each task is checked on its own and answered in order.
   *
   * @param userId - the submitter
   * @param groupId - the group to join; a new one when undefined
   * @param tasks - the tasks, each optionally with its client-chosen id
   * @returns the group id and one answer per task
   * @throws {@link ApiError} for a malformed group id (22), another user's group (21), a quota (104)
   */
  async submit(userId: string, groupId: string | undefined, tasks: readonly SubmitTask[], dependencies?: Readonly<Record<string, readonly string[]>>): Promise<{ groupId: string; results: (SubmitSuccess | SubmitFailure)[] }> {
    // Quotas refuse the whole request up front: 429 tells a batching client to back off and retry.
    await this.#checkQuota(userId, 'outstanding', tasks.length, this.#limits.maxOutstandingTasksPerUser, 'outstanding tasks', 1);
    let bytes = 0;
    for (const task of tasks) bytes += task[2].length;
    await this.#checkQuota(userId, 'bytesHeld', bytes, this.#limits.maxBytesPerUser, 'bytes held', 60);
    if (groupId !== undefined && !isUuid(groupId)) throw new ApiError(ErrorCode.INVALID_UUID, `Invalid task_group_id: ${groupId}`, [groupId]);
    const taskIds = tasks.map((task) => (task[3] ?? uuidv4()).toLowerCase());
    const plan = planInputs(taskIds, dependencies, this.#limits.maxInputsPerTask);
    const group = await this.#backend.groups.claim(groupId ?? uuidv4(), userId, Date.now());
    if (group.ownerId !== userId) throw new ApiError(ErrorCode.TASK_GROUP_ACCESS_FORBIDDEN, `Task group ${group.id} belongs to another user`, [group.id]);
    this.#backend.counters.add(userId, 'submitRequests', 1);
    const lookups = new Lookups(this.#backend);
    const stored = plan.outside.length === 0 ? new Map<string, TaskEntry>() : await this.#backend.tasks.getMany(userId, plan.outside);
    const inRequest = new Set(taskIds);
    // Each task is checked on its own; the valid ones are inserted in one batch (one script in Redis).
    const checked = await Promise.all(
      tasks.map(async (task, i): Promise<TaskEntry | SubmitFailure> => {
        const taskId = taskIds[i]!;
        try {
          const refusal = plan.refusals.get(i);
          if (refusal) throw refusal;
          for (const id of plan.inputs[i]!) if (!inRequest.has(id)) checkInput(taskId, stored.get(id), id);
          return await this.#check(userId, group, task, taskId, lookups, plan.inputs[i]!);
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          return { ...error.toEnvelope(), task_uuid: taskId };
        }
      }),
    );
    // A task whose input in this request was refused is refused too, in request order.
    checked.forEach((c, i) => {
      const refused = plan.earlier[i]!.find((j) => !('ownerId' in checked[j]!));
      if (refused !== undefined && 'ownerId' in c) checked[i] = { ...new ApiError(ErrorCode.DEPENDENCY_NOT_FOUND, `Input ${taskIds[refused]} of task ${c.id} was refused in this submit`, [c.id, taskIds[refused]]).toEnvelope(), task_uuid: c.id };
    });
    const entries = checked.filter((c): c is TaskEntry => 'ownerId' in c);
    const found = new Map<TaskEntry, TaskEntry | null>();
    const released: string[] = [];
    const doomed: DoomedTask[] = [];
    // One atomic write per endpoint: insert, join the group, enqueue (or register on the inputs).
    // A retry after a failure finds each task absent or complete, never half done. Tasks whose
    // inputs are in this request go in later waves, so that their inputs are stored first.
    const waves: TaskEntry[][] = [];
    checked.forEach((c, i) => {
      if ('ownerId' in c) (waves[plan.wave[i]!] ??= []).push(c);
    });
    for (const wave of waves) {
      if (!wave) continue;
      const byEndpoint = new Map<string, TaskEntry[]>();
      for (const entry of wave) (byEndpoint.get(entry.endpointId) ?? byEndpoint.set(entry.endpointId, []).get(entry.endpointId)!).push(entry);
      await Promise.all([...byEndpoint].map(async ([endpointId, batch]) => {
        const outcome: SubmitOutcome = await this.#backend.submit(group.id, endpointId, batch);
        batch.forEach((entry, i) => found.set(entry, outcome.existing[i]!));
        released.push(...outcome.released);
        doomed.push(...outcome.doomed);
      }));
    }
    const accepted: TaskEntry[] = [];
    const refused = new Map<TaskEntry, SubmitFailure>();
    for (const entry of entries) {
      const existing = found.get(entry)!;
      if (existing === null) accepted.push(entry);
      // A retried submit names the same task again: accepted, not run twice.
      else if (!sameTask(existing, entry)) refused.set(entry, { ...new ApiError(ErrorCode.TASK_ID_CONFLICT, `Task id ${entry.id} is already used by another task`, [entry.id]).toEnvelope(), task_uuid: entry.id });
    }
    const results = checked.map((c): SubmitSuccess | SubmitFailure => ('ownerId' in c ? (refused.get(c) ?? { status: 'Success', task_uuid: c.id, http_status_code: 200 }) : c));
    // The store counted the accepted tasks in the write that stored them (a retry's are not counted twice).
    if (accepted.length > 0) this.#observer?.submitted(accepted);
    if (released.length > 0) {
      const byId = new Map(accepted.map((t) => [t.id, t]));
      this.#dependencies.released(released.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : [])));
    }
    // An input already failed: its dependant ends now (and the sweep would, should this replica die first).
    if (doomed.length > 0) await this.#dependencies.doom(doomed, Date.now());
    if (accepted.length > 0) {
      // Keeps the functions from expiring while used; a miss only makes one expire a little sooner
      // (never while a live task needs it: the sweep checks references).
      const now = Date.now();
      for (const id of new Set(accepted.map((t) => t.functionId))) {
        void this.#backend.functions.touch(id, now).catch(logFailure(this.#log, 'touching a function failed', { functionId: id }));
      }
    }
    return { groupId: group.id, results };
  }

  /**
   * A task the user may see.
   *
   * @param userId - the reader
   * @param taskId - the task
   * @returns the task
   * @throws {@link ApiError} 6 otherwise
   */
  async visibleTask(userId: string, taskId: string): Promise<TaskEntry> {
    const task = await this.#backend.tasks.get(userId, taskId.toLowerCase());
    if (task === undefined || task.ownerId !== userId) throw new ApiError(ErrorCode.TASK_NOT_FOUND, `Task ${taskId} not found`, [taskId]);
    return task;
  }

  /**
   * The tasks the user may see, by the ids asked for (as asked, in any case).
   *
   * @param userId - the reader
   * @param taskIds - the ids
   * @returns the visible ones
   */
  async visibleTasks(userId: string, taskIds: readonly string[]): Promise<Map<string, TaskEntry>> {
    const found = await this.#backend.tasks.getMany(userId, taskIds.map((id) => id.toLowerCase()));
    const out = new Map<string, TaskEntry>();
    for (const id of taskIds) {
      const task = found.get(id.toLowerCase());
      if (task !== undefined && task.ownerId === userId) out.set(id, task);
    }
    return out;
  }

  /**
   * Marks ended tasks as delivered: a client read them over HTTP, so a result socket that
   * subscribes their group later does not get them again (funcX sent each result once; the
   * funcX SDK 0.3.4 fails on a result it did not ask for, docs/protocol-extensions.md §9).
   *
   * @param tasks - tasks a client just read
   * @returns when recorded
   */
  async markRead(tasks: Iterable<TaskEntry>): Promise<void> {
    await Promise.all(readByGroup(tasks).map(([[ownerId, groupId], ids]) => this.#backend.groups.removeUndelivered(ownerId, groupId, ids)));
  }

  /**
   * A group the user owns.
   *
   * @param userId - the reader
   * @param groupId - the group
   * @returns the group and its task ids in submit order
   * @throws {@link ApiError} 20 for none, 21 for another user's
   */
  async visibleGroup(userId: string, groupId: string): Promise<GroupEntry> {
    const group = await this.#backend.groups.get(groupId);
    if (group === undefined) throw new ApiError(ErrorCode.TASK_GROUP_NOT_FOUND, `Task group ${groupId} not found`, [groupId]);
    if (group.ownerId !== userId) throw new ApiError(ErrorCode.TASK_GROUP_ACCESS_FORBIDDEN, `Task group ${groupId} belongs to another user`, [groupId]);
    return group;
  }

  /**
   * The task ids of a group, in submit order.
   *
   * @param group - the group (visible to the caller)
   * @returns its task ids
   */
  groupTaskIds(group: GroupEntry): Promise<string[]> {
    return this.#backend.groups.taskIds(group.ownerId, group.id);
  }

  /**
   * One page of a group's tasks, in submit order, with their statuses.
   *
   * @param group - the group (visible to the caller)
   * @param offset - how many to skip
   * @param limit - the most to answer
   * @returns the page, the group's size, and the offset of the next page (null after the last)
   */
  async groupTaskPage(group: GroupEntry, offset: number, limit: number): Promise<{ tasks: { task_id: string; status: TaskStatus | 'unknown' }[]; total: number; next_offset: number | null }> {
    const { ownerId, id } = group;
    const [ids, total] = await Promise.all([this.#backend.groups.taskIds(ownerId, id, offset, limit), this.#backend.groups.size(ownerId, id)]);
    const found = await this.#backend.tasks.getMany(ownerId, ids);
    const next = offset + ids.length;
    return { tasks: ids.map((id) => ({ task_id: id, status: found.get(id)?.status ?? 'unknown' })), total, next_offset: next < total ? next : null };
  }

  /**
   * A user's endpoints with their status (online while any replica holds a live connection).
   *
   * @param userId - the owner
   * @returns at most `maxEndpointsPerUser` of them, by name
   */
  async endpointsOf(userId: string): Promise<{ endpoint: EndpointEntry; online: boolean }[]> {
    const endpoints = await this.#backend.endpoints.ownedBy(userId, this.#limits.maxEndpointsPerUser);
    const online = await Promise.all(endpoints.map((e) => this.#backend.presence.isOnline(e.id)));
    return endpoints.map((endpoint, i) => ({ endpoint, online: online[i]! })).sort((a, b) => a.endpoint.name.localeCompare(b.endpoint.name) || a.endpoint.id.localeCompare(b.endpoint.id));
  }

  /**
   * An endpoint's status as its owner sees it: online while any replica holds a live connection.
   *
   * @param userId - the reader
   * @param endpointId - the endpoint
   * @returns `online` or `offline`
   * @throws {@link ApiError} 4 for none, 9 for another user's
   */
  async endpointStatus(userId: string, endpointId: string): Promise<'online' | 'offline'> {
    const endpoint = await this.#backend.endpoints.get(endpointId);
    if (endpoint === undefined) throw new ApiError(ErrorCode.ENDPOINT_NOT_FOUND, `Endpoint ${endpointId} not found`, [endpointId]);
    if (endpoint.ownerId !== userId) throw new ApiError(ErrorCode.ENDPOINT_ACCESS_FORBIDDEN, `Endpoint ${endpointId} belongs to another user`, [endpointId]);
    return (await this.#backend.presence.isOnline(endpointId)) ? 'online' : 'offline';
  }

  /**
   * The statistics a token may see: a user's own counters, or an operator's totals across replicas.
   *
   * @param holder - who asks
   * @returns the counters
   */
  stats(holder: TokenHolder): Promise<ServiceStatsSnapshot> {
    return holder.operator ? this.#backend.counters.snapshot() : this.#backend.counters.userSnapshot(holder.userId);
  }

  /**
   * Takes tasks from an endpoint connection's queue and claims them for dispatch, in one step
   * (one script in Redis): each moves from `waiting-for-ep` to `waiting-for-nodes`, and only the
   * caller that moved it sends it (a task queued twice, or ended meanwhile, is not).
   *
   * @param queue - the connection's queue
   * @param max - the most tasks to take
   * @returns what was taken (each sent or acknowledged by the caller), and the claimed tasks as they are now
   */
  async takeForDispatch(queue: EndpointQueue, max: number): Promise<{ taken: TakenTask[]; claimed: TaskEntry[] }> {
    const taken = await queue.takeAndClaim(max);
    const now = this.#moved(taken.map((t) => t.before), taken.map((t) => ({ id: t.taskId, to: 'waiting-for-nodes' as const })));
    return { taken, claimed: now.filter((t): t is TaskEntry => t !== null) };
  }



  /**
   * Records what an endpoint reported together (the frames of one tick): statuses (forward
   * only, lib/protocol/lifecycle.ts), then results (the first end wins). A task's statuses go
   * in one move to the latest of them, and those of a task that ends here go with its end: its
   * subscribers hear every status that took it forward, then its result, while the store does
   * one write per task instead of one per report (a fast task is reported running and done in
   * the same tick).
   *
   * @param ownerId - the endpoint's owner (whose tasks it runs)
   * @param endpointId - the reporting endpoint
   * @param statuses - task ids and their new statuses, in the order reported
   * @param results - results or exceptions, in the order received
   * @returns per result, whether it ended its task
   */
  async report(ownerId: string, endpointId: string, statuses: readonly TaskMove[], results: readonly EndpointResultMessage[]): Promise<boolean[]> {
    const ending = new Set<string>();
    for (const message of results) ending.add(message.task_id);
    const trails = new Map<string, TaskStatus[]>();
    for (const { id, to } of statuses) (trails.get(id) ?? trails.set(id, []).get(id)!).push(to);
    const moves: TaskMove[] = [];
    for (const [id, trail] of trails) {
      if (!ending.has(id)) moves.push({ id, to: furthest(trail) });
    }
    const completedAt = Date.now();
    const ends = results.map((message): TaskCompletion => {
      const failed = typeof message.exception === 'string';
      const end: TaskEnd = { status: failed ? 'failed' : 'success', result: failed ? null : (message.result ?? 'null'), exception: failed ? message.exception! : null, completedAt };
      return { id: message.task_id, endpointId, end: isPartialCount(message.partials) ? { ...end, partials: message.partials } : end };
    });
    const befores = await this.#record(ownerId, endpointId, moves, ends, trails);
    return befores.map((before) => before !== null);
  }

  /**
   * Gives back what an endpoint connection held and had not ended (it closed): each live task
   * goes back to `waiting-for-ep` and onto its endpoint's queue, in one atomic step per backend.
   *
   * @param queue - the closed connection's queue
   * @returns how many tasks were requeued
   */
  async giveBack(queue: EndpointQueue): Promise<number> {
    // The store counted them, in the step that requeued them.
    return (await queue.release()).length;
  }

  /**
   * Takes back what the endpoint's consumers that are no longer alive held (their replica died,
   * or their endpoint reconnected elsewhere), and requeues it, as {@link giveBack} does.
   *
   * @param ownerId - the endpoint's owner
   * @param endpointId - the endpoint
   * @param alive - whether a consumer is still alive
   * @returns how many tasks were requeued
   */
  async reclaim(ownerId: string, endpointId: string, alive: (consumerId: string) => boolean): Promise<number> {
    return (await this.#backend.bus.reclaim(ownerId, endpointId, alive)).length;
  }

  /**
   * Records a result an endpoint sent. The first end of a task wins; later ones (a re-run after a
   * reconnect, a result for a cancelled task) are ignored.
   *
   * @param ownerId - the endpoint's owner
   * @param endpointId - the reporting endpoint
   * @param message - the result or exception
   * @returns true when the message ended the task
   */
  async finish(ownerId: string, endpointId: string, message: EndpointResultMessage): Promise<boolean> {
    return (await this.report(ownerId, endpointId, [], [message]))[0]!;
  }


  /**
   * Cancels tasks that have not ended, in one write (their endpoints are told to drop or stop
   * them); ended tasks are left as they are.
   *
   * @param tasks - the tasks (visible to the caller)
   * @returns the tasks as they are after the call, in order
   */
  async cancelMany(tasks: readonly TaskEntry[]): Promise<TaskEntry[]> {
    if (tasks.length === 0) return [];
    const completedAt = Date.now();
    const now = new Map<string, TaskEntry>();
    // One write per owner (a caller sees only its own tasks: one).
    for (const [ownerId, owned] of byOwner(tasks)) {
      const ends = owned.map((task): TaskCompletion => ({ id: task.id, end: { status: 'cancelled', result: null,
        // In the form its submitter reads (a pickling funcX SDK, Globus Compute), as a worker would write it.
        exception: serializeErrorAs(errorFormOf(task.payload), new ServiceMadeError('TaskCancelled', `Task ${task.id} was cancelled`)), completedAt } }));
      const befores = await this.#record(ownerId, '', [], ends);
      await Promise.all(befores.map((before) => (before ? this.#backend.bus.control(before.endpointId, { type: 'cancel', taskId: before.id }) : undefined)));
      for (const [id, task] of await this.#backend.tasks.getMany(ownerId, owned.map((t) => t.id))) now.set(id, task);
    }
    return tasks.map((task) => now.get(task.id) ?? task);
  }

  /**
   * Expires what has outlived its time, so memory stays bounded however long the service runs:
   * ended tasks after `retentionMs`; tasks that waited `maxWaitMs` for their endpoint (they fail);
   * empty groups idle for `groupIdleMs`; functions not submitted to, and endpoints not connected,
   * for `registrationIdleMs` (never while a live task needs them). Replicas may sweep at once:
   * every removal is atomic, and counted by the one that made it.
   *
   * @param now - the current time, epoch milliseconds
   * @returns what was removed
   */
  async sweep(now: number): Promise<SweepReport> {
    const report: { -readonly [K in keyof SweepReport]: number } = { tasksDeleted: 0, tasksExpired: 0, groupsDeleted: 0, functionsDeleted: 0, endpointsDeleted: 0, dependantsFailed: 0 };
    // Each user's tasks and groups on their own (in Redis, under the user's hash tag).
    for (const ownerId of await this.#backend.groups.owners()) {
      const owned = await this.#sweepOwner(ownerId, now);
      report.tasksDeleted += owned.tasksDeleted;
      report.tasksExpired += owned.tasksExpired;
      report.groupsDeleted += owned.groupsDeleted;
      report.dependantsFailed += owned.dependantsFailed;
    }
    const { tasks, functions, endpoints, counters, presence } = this.#backend;
    const limits = this.#limits;
    for (const id of await functions.idleBefore(now - limits.registrationIdleMs, SWEEP_BATCH)) {
      const entry = await functions.get(id);
      if (entry !== undefined && (await tasks.isReferenced(entry.ownerId, id))) continue;
      const fn = await functions.delete(id);
      if (!fn) continue;
      counters.add(fn.ownerId, 'functions', -1);
      report.functionsDeleted++;
    }
    for (const id of await endpoints.idleBefore(now - limits.registrationIdleMs, SWEEP_BATCH)) {
      const entry = await endpoints.get(id);
      if ((entry !== undefined && (await tasks.isReferenced(entry.ownerId, id))) || (await presence.isOnline(id))) continue;
      const endpoint = await endpoints.delete(id);
      if (!endpoint) continue;
      counters.add(endpoint.ownerId, 'endpoints', -1);
      this.#observer?.endpointDeleted(id);
      await this.#backend.bus.forget(endpoint.ownerId, id);
      report.endpointsDeleted++;
    }
    return report;
  }

  /** One user's part of {@link sweep}: their expired, deleted and healed tasks and idle groups. */
  async #sweepOwner(ownerId: string, now: number): Promise<Pick<SweepReport, 'tasksDeleted' | 'tasksExpired' | 'groupsDeleted' | 'dependantsFailed'>> {
    const { tasks, groups } = this.#backend;
    const limits = this.#limits;
    let tasksExpired = 0;
    const waiting = await tasks.getMany(ownerId, await tasks.waitingSince(ownerId, now - limits.maxWaitMs, SWEEP_BATCH));
    if (waiting.size > 0) {
      const ends = [...waiting.values()].map((task): TaskCompletion => {
        const waited = now - task.queuedAt;
        const error = new ServiceMadeError('EndpointUnavailable', `Task ${task.id} waited ${Math.round(waited / 1000)} s for endpoint ${task.endpointId}, which did not take it ${limitHint('maxWaitMs')}`);
        return { id: task.id, end: { status: 'failed', result: null, exception: serializeErrorAs(errorFormOf(task.payload), error), completedAt: now } };
      });
      tasksExpired = (await this.#record(ownerId, '', [], ends)).filter((b) => b !== null).length;
    }
    const dependantsFailed = await this.#dependencies.heal(ownerId, now, SWEEP_BATCH);
    let tasksDeleted = 0;
    const byGroup = new Map<string, string[]>();
    for (const task of await tasks.deleteMany(ownerId, await tasks.endedBefore(ownerId, now - limits.retentionMs, SWEEP_BATCH))) {
      if (!task) continue;
      (byGroup.get(task.groupId) ?? byGroup.set(task.groupId, []).get(task.groupId)!).push(task.id);
      tasksDeleted++;
    }
    await Promise.all([...byGroup].flatMap(([groupId, ids]) => [groups.removeTasks(ownerId, groupId, ids), this.partials.remove(groupId, ids)]));
    let groupsDeleted = 0;
    for (const id of await groups.idleBefore(ownerId, now - limits.groupIdleMs, SWEEP_BATCH)) {
      if (await groups.delete(ownerId, id, now - limits.groupIdleMs)) groupsDeleted++;
    }
    return { tasksDeleted, tasksExpired, groupsDeleted, dependantsFailed };
  }

  /** Checks one submitted task. @returns the task to insert */
  async #check(userId: string, group: GroupEntry, task: SubmitTask, taskId: string, lookups: Lookups, inputs: readonly string[]): Promise<TaskEntry> {
    const [functionId, endpointId, payload] = task;
    if (!isUuid(taskId)) throw new ApiError(ErrorCode.INVALID_UUID, `Invalid task id: ${taskId}`, [taskId]);
    if (payload.length > this.#limits.maxPayloadBytes) {
      throw new ApiError(ErrorCode.VALUE_TOO_LARGE, `The arguments of task ${taskId} (its payload) are ${payload.length} bytes; the limit is ${this.#limits.maxPayloadBytes} ${limitHint('maxPayloadBytes')}`, ['payload', payload.length, this.#limits.maxPayloadBytes]);
    }
    const fn = await lookups.fn(functionId);
    if (fn === undefined) throw new ApiError(ErrorCode.FUNCTION_NOT_FOUND, `Function ${functionId} not found`, [functionId]);
    if (fn.ownerId !== userId) throw new ApiError(ErrorCode.FUNCTION_ACCESS_FORBIDDEN, `Function ${functionId} belongs to another user`, [functionId]);
    const endpoint = await lookups.endpoint(endpointId);
    if (endpoint === undefined) throw new ApiError(ErrorCode.ENDPOINT_NOT_FOUND, `Endpoint ${endpointId} not found`, [endpointId]);
    if (endpoint.ownerId !== userId) throw new ApiError(ErrorCode.ENDPOINT_ACCESS_FORBIDDEN, `Endpoint ${endpointId} belongs to another user`, [endpointId]);
    const entry: TaskEntry = { id: taskId, ownerId: userId, groupId: group.id, functionId: fn.id, endpointId: endpoint.id, payload, payloadDigest: digest(payload), status: INITIAL_STATUS, result: null, exception: null, queuedAt: Date.now(), completedAt: null };
    return inputs.length === 0 ? entry : { ...entry, status: WAITING_STATUS, inputs };
  }

  /** Tells the moves that happened (`befores[i]` non-null: `moves[i]` was made; the store counted it). @returns per move, the task as it is now, or null */
  #moved(befores: readonly (TaskEntry | null)[], moves: readonly TaskMove[], trails?: ReadonlyMap<string, readonly TaskStatus[]>): (TaskEntry | null)[] {
    const events: GroupEvent[] = [];
    const now = befores.map((before, i) => {
      if (before === null) return null;
      const { id, to } = moves[i]!;
      statusEvents(before, trails?.get(id) ?? [to], events);
      return { ...before, status: to };
    });
    // Best effort: a client that missed a status sees the next one or the end.
    if (events.length > 0) void this.#backend.bus.publishMany(events).catch(logFailure(this.#log, 'publishing status events failed', { events: events.length }));
    return now;
  }

  /**
   * Records moves and ends in one write (moved forward, then ended, ended ones marked
   * undelivered), then counts them and publishes their events in order: each group's subscribers
   * hear every status that took a task forward, then its result. Resolves once the write is
   * stored; the events are sent, not waited for, so that the caller (the endpoint hub
   * acknowledging the tasks) goes on in the same round trip. A backend applies calls in the order
   * they are made (one connection in Redis), so the events go out before anything the caller
   * sends next.
   *
   * @param trails - per task, the statuses reported on the way, each told when it takes the task forward
   * @returns per end, the task before, or null when it had already ended
   */
  async #record(ownerId: string, endpointId: string, moves: readonly TaskMove[], ends: readonly TaskCompletion[], trails?: ReadonlyMap<string, readonly TaskStatus[]>): Promise<(TaskEntry | null)[]> {
    if (moves.length === 0 && ends.length === 0) return [];
    const { bus } = this.#backend;
    const { moved, ended, released, doomed } = await this.#backend.report(ownerId, endpointId, moves, ends, this.#limits.retentionMs);
    const events: GroupEvent[] = [];
    const sent: Promise<void>[] = [];
    moved.forEach((before, i) => {
      if (before === null) return;
      const { id, to } = moves[i]!;
      statusEvents(before, trails?.get(id) ?? [to], events);
    });
    ended.forEach((before, i) => {
      if (before === null) return;
      const { id, end } = ends[i]!;
      // Never sent (cancelled or expired while waiting): out of the queue, so a queue for an endpoint that never connects does not grow.
      if (before.status === INITIAL_STATUS) sent.push(bus.withdraw(before.endpointId, id));
      this.#observer?.ended(before, end);
      const trail = trails?.get(id);
      if (trail) statusEvents(before, trail, events);
      events.push({ groupId: before.groupId, ownerId: before.ownerId, taskId: id, frame: resultFrame(id, end) });
    });
    if (events.length > 0) sent.push(bus.publishMany(events));
    // A failure here loses an event, never a result: the task is stored ended and marked
    // undelivered, a socket that subscribes drains it, and the client's sweep finds it.
    if (sent.length > 0) void Promise.all(sent).catch(logFailure(this.#log, 'publishing status and result events failed; clients find the results by draining or polling', { tasks: ends.length, moves: moves.length }));
    this.#dependencies.released(released);
    // Recursively: the dependants' own dependants end in the next round.
    if (doomed.length > 0) await this.#dependencies.doom(doomed, ends[0]?.end.completedAt ?? Date.now());
    return ended;
  }

  async #checkQuota(userId: string, counter: Counter, adding: number, limit: number, what: string, retryAfterSeconds?: number): Promise<void> {
    const current = await this.#backend.counters.of(userId, counter);
    if (current + adding <= limit) return;
    throw new ApiError(ErrorCode.QUOTA_EXCEEDED, `Quota exceeded: ${what} would be ${current + adding}; the limit per user is ${limit} ${limitHint(QUOTA_OPTIONS[counter]!)}`, [what, current + adding, limit], retryAfterSeconds);
  }
}

/**
 * Refuses an input that is not a task of this user (submitted before). Another user's task is
 * none (it was looked up under this user, as `GET /v2/tasks/<id>` looks it up): code 115, which
 * says nothing of whether another user holds that id.
 */
function checkInput(taskId: string, input: TaskEntry | undefined, inputId: string): void {
  if (input === undefined) throw new ApiError(ErrorCode.DEPENDENCY_NOT_FOUND, `Input ${inputId} of task ${taskId} is no task of yours the service knows (an input is submitted before its dependant, or earlier in the same submit)`, [taskId, inputId]);
}

/** The status events of a task's move: each status of the trail that takes it further forward (lib/protocol/lifecycle.ts). */
function statusEvents(before: TaskEntry, trail: readonly TaskStatus[], into: GroupEvent[]): void {
  for (const status of forwardSteps(before.status, trail)) {
    into.push({ groupId: before.groupId, ownerId: before.ownerId, taskId: before.id, frame: { type: 'status', task_id: before.id, status } });
  }
}

/** Ended tasks' ids by their owner and group. */
function readByGroup(tasks: Iterable<TaskEntry>): [[ownerId: string, groupId: string], string[]][] {
  const byGroup = new Map<string, [[string, string], string[]]>();
  for (const task of tasks) {
    if (task.completedAt === null) continue;
    const key = `${task.ownerId} ${task.groupId}`;
    (byGroup.get(key) ?? byGroup.set(key, [[task.ownerId, task.groupId], []]).get(key)!)[1].push(task.id);
  }
  return [...byGroup.values()];
}

/** Tasks by their owner, in order. */
function byOwner(tasks: readonly TaskEntry[]): Map<string, TaskEntry[]> {
  const out = new Map<string, TaskEntry[]>();
  for (const task of tasks) (out.get(task.ownerId) ?? out.set(task.ownerId, []).get(task.ownerId)!).push(task);
  return out;
}

/** One submit's function and endpoint look-ups: each id is read once however many tasks name it. */
class Lookups {
  readonly #backend: Backend;
  readonly #fns = new Map<string, Promise<FunctionEntry | undefined>>();
  readonly #endpoints = new Map<string, Promise<EndpointEntry | undefined>>();
  constructor(backend: Backend) {
    this.#backend = backend;
  }
  fn(id: string): Promise<FunctionEntry | undefined> {
    const key = id.toLowerCase();
    let found = this.#fns.get(key);
    if (!found) this.#fns.set(key, (found = isUuid(key) ? this.#backend.functions.get(key) : Promise.resolve(undefined)));
    return found;
  }
  endpoint(id: string): Promise<EndpointEntry | undefined> {
    const key = id.toLowerCase();
    let found = this.#endpoints.get(key);
    if (!found) this.#endpoints.set(key, (found = isUuid(key) ? this.#backend.endpoints.get(key) : Promise.resolve(undefined)));
    return found;
  }
}

/** The digest a task keeps of its payload, computed once, at submit. */
function digest(payload: string): string {
  // The one-shot hash: no Hash object per task (half the time of createHash at this size).
  return hash('sha1', payload, 'hex');
}

/** Whether a stored task is the one a retried submit names again: same owner, function, endpoint and payload (by its digest, kept after the payload goes). */
function sameTask(existing: TaskEntry, submitted: TaskEntry): boolean {
  return existing.ownerId === submitted.ownerId && existing.functionId === submitted.functionId && existing.endpointId === submitted.endpointId && existing.payloadDigest === submitted.payloadDigest;
}

/**
 * A task as funcX's routes answer it: `result` and `exception` left out while null.
 *
 * @param task - the stored task
 * @returns its record
 */
export function toRecord(task: TaskEntry): TaskRecord {
  const completion_t = task.completedAt === null ? null : completionTime(task.completedAt);
  return {
    task_id: task.id,
    status: task.status,
    completion_t,
    ...(task.result === null ? {} : { result: task.result }),
    ...(task.exception === null ? {} : { exception: task.exception }),
    ...(typeof task.partials === 'number' ? { partials: task.partials } : {}),
  };
}

/** Whether an endpoint's `partials` count is one (a whole number, not negative). */
function isPartialCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

