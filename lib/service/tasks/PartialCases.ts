import { ResultTooLarge } from '../../endpoint/ResultTooLarge.js';
import { isFinalStatus } from '../../protocol/lifecycle.js';
import type { EndpointPartialMessage } from '../../protocol/endpointChannel.js';
import type { PartialsPage } from '../../protocol/task.js';
import type { Backend } from '../core/Backend.js';
import type { Credit, HeldPartials, PartialItem, PartialWindow } from '../core/repositories.js';
import type { TaskEntry } from '../core/records.js';
import type { GroupEvent } from '../core/TaskBus.js';
import { logFailure, type Logger } from '../log.js';

/** A task's credit, to send to the endpoint connection that runs it. */
export interface TaskCredit {
  readonly taskId: string;
  readonly credit: Credit;
}

/**
 * The use cases of a generator's partial results (docs/protocol-extensions.md §11): record what
 * an endpoint streamed and tell the task's group, acknowledge what readers read and give the
 * endpoint more credit, read partials by index. Only these write partials; the hubs and routes
 * call them.
 *
 * @example
 * ```ts
 * const partials = new PartialCases(backend, window, maxResultBytes, log);
 * await partials.report(ownerId, endpointId, [{ type: 'partial', task_id, seq: 0, value: '11\n1' }]);
 * ```
 */
export class PartialCases {
  readonly #backend: Backend;
  readonly #window: PartialWindow;
  readonly #maxValueBytes: number;
  readonly #log: Logger;

  /**
   * @param backend - tasks, partials and the bus
   * @param window - how much of each task's partials the service holds
   * @param maxValueBytes - the largest value (the result size limit)
   * @param log - where dropped partials and failed events are told
   */
  constructor(backend: Backend, window: PartialWindow, maxValueBytes: number, log: Logger) {
    this.#backend = backend;
    this.#window = window;
    this.#maxValueBytes = maxValueBytes;
    this.#log = log;
  }

  /** The window partials are held in. */
  get window(): PartialWindow {
    return this.#window;
  }

  /**
   * Records the partials an endpoint sent, in order: each live task's own, within its credit,
   * each seq once; the stored ones go to the task's group. A task that sent only seqs heard
   * before is running again: its current credit is answered, for the endpoint connection.
   *
   * @param ownerId - the endpoint's owner (whose tasks it runs)
   * @param endpointId - the endpoint that sent them
   * @param messages - its partial messages, in the order received
   * @returns the credits to send back to the sending connection
   */
  async report(ownerId: string, endpointId: string, messages: readonly EndpointPartialMessage[]): Promise<TaskCredit[]> {
    const valid = messages.filter((m) => {
      if (Number.isSafeInteger(m.seq) && m.seq >= 0 && typeof m.value === 'string' && ResultTooLarge.check(m.value, this.#maxValueBytes) === undefined) return true;
      this.#log.warn({ endpointId, taskId: m.task_id, seq: m.seq }, 'dropped a partial with no whole seq, no string value, or a value over the result size limit');
      return false;
    });
    if (valid.length === 0) return [];
    const tasks = await this.#backend.tasks.getMany(ownerId, [...new Set(valid.map((m) => m.task_id))]);
    const items: PartialItem[] = [];
    for (const m of valid) {
      const task = tasks.get(m.task_id);
      // Another endpoint's task, or one that ended (its late partials come from a run that lost the race): dropped.
      if (task === undefined || task.endpointId !== endpointId || isFinalStatus(task.status)) continue;
      items.push({ groupId: task.groupId, taskId: task.id, seq: m.seq, value: m.value });
    }
    if (items.length === 0) return [];
    const verdicts = await this.#backend.partials.append(items, this.#window);
    const events: GroupEvent[] = [];
    const again = new Map<string, string>();
    verdicts.forEach((verdict, i) => {
      const item = items[i]!;
      if (verdict === 'stored') {
        events.push({ groupId: item.groupId, ownerId: tasks.get(item.taskId)!.ownerId, taskId: item.taskId, frame: { type: 'partial', task_id: item.taskId, seq: item.seq, value: item.value } });
      } else if (verdict === 'duplicate') {
        again.set(item.taskId, item.groupId);
      } else {
        this.#log.warn({ endpointId, taskId: item.taskId, seq: item.seq, verdict }, 'dropped a partial out of order or past its credit');
      }
    });
    // Best effort: a socket that misses one reads it back on its next subscribe, or over HTTP.
    if (events.length > 0) void this.#backend.bus.publishMany(events).catch(logFailure(this.#log, 'publishing partials failed; readers find them on resubscribe', { partials: events.length }));
    return Promise.all([...again].map(async ([taskId, groupId]) => ({ taskId, credit: await this.#backend.partials.credit(groupId, taskId, this.#window) })));
  }

  /**
   * Acknowledges what a user's reader read, and gives each task's endpoint the credit that frees.
   *
   * @param userId - the reader's user; another user's tasks are skipped
   * @param acks - per task the last seq read
   * @returns when stored and the credits are sent
   */
  async ack(userId: string, acks: readonly (readonly [string, number])[]): Promise<void> {
    const last = new Map<string, number>();
    for (const [taskId, seq] of acks) if (Number.isSafeInteger(seq) && seq >= 0) last.set(taskId, Math.max(seq, last.get(taskId) ?? -1));
    if (last.size === 0) return;
    const tasks = await this.#backend.tasks.getMany(userId, [...last.keys()]);
    const items = [...last].flatMap(([taskId, seq]) => {
      const task = tasks.get(taskId);
      return task === undefined ? [] : [{ groupId: task.groupId, taskId, seq, endpointId: task.endpointId, live: !isFinalStatus(task.status) }];
    });
    if (items.length === 0) return;
    const credits = await this.#backend.partials.ack(items, this.#window);
    await Promise.all(credits.map((credit, i) => {
      const item = items[i]!;
      return credit === null || !item.live ? undefined : this.#backend.bus.control(item.endpointId, { type: 'credit', taskId: item.taskId, count: credit.count, bytes: credit.bytes });
    }));
  }

  /**
   * Reads a task's partials by index, for a polling client or one that missed some; reading
   * acknowledges them.
   *
   * @param task - the task, one the reader may see
   * @param from - the first index wanted
   * @param limit - at most this many
   * @returns the page
   */
  async read(task: TaskEntry, from: number, limit: number): Promise<PartialsPage> {
    const held = await this.#backend.partials.read(task.groupId, task.id, from, limit);
    if (held.values.length > 0) await this.ack(task.ownerId, [[task.id, held.first + held.values.length - 1]]);
    return { task_id: task.id, first: held.first, count: held.count, total: typeof task.partials === 'number' ? task.partials : null, partials: held.values };
  }

  /**
   * The unread partials of a group's tasks, for a socket that subscribes to them.
   *
   * @param groupId - the group (its owner checked by the caller)
   * @param limit - at most this many values in all
   * @returns per task with any, its unread ones from the first
   */
  unread(groupId: string, limit: number): Promise<HeldPartials[]> {
    return this.#backend.partials.unread(groupId, limit);
  }

  /**
   * Forgets the partials of deleted tasks.
   *
   * @param groupId - their group
   * @param taskIds - the tasks
   * @returns when done
   */
  remove(groupId: string, taskIds: readonly string[]): Promise<void> {
    return this.#backend.partials.remove(groupId, taskIds);
  }
}
