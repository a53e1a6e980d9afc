import { isFinalStatus } from '../../protocol/lifecycle.js';
import type { Backend } from '../core/Backend.js';
import type { TaskEntry } from '../core/records.js';
import type { GroupEvent } from '../core/TaskBus.js';
import type { Observable } from 'rxjs';

/**
 * The use cases of result sockets: what a subscriber is owed when it follows a group (statuses
 * of its unfinished tasks, results nobody received), marking results delivered, and counting
 * sockets. The result hub calls these; it never touches a store itself.
 *
 * @example
 * ```ts
 * const delivery = new ResultDelivery(backend);
 * const owed = await delivery.follow(groupId, userId, true);
 * ```
 */
export class ResultDelivery {
  readonly #backend: Backend;

  /** @param backend - groups, tasks, counters and the bus */
  constructor(backend: Backend) {
    this.#backend = backend;
  }

  /**
   * A group's events, hot per process (see `TaskBus.groupEvents`).
   *
   * @param groupId - the group
   * @returns its events
   */
  events(groupId: string): Observable<GroupEvent> {
    return this.#backend.bus.groupEvents(groupId);
  }

  /**
   * What a new subscriber of a group is owed, once this process hears the group's new events:
   * the unfinished tasks (to tell their current status), and the ended tasks nobody received
   * (taken out of the undelivered set: two subscribers draining together each get a share).
   *
   * @param groupId - the group
   * @param userId - the subscriber's user; another user's group owes nothing
   * @param statuses - whether the subscriber asked for statuses
   * @returns the live tasks (when asked), the undelivered ended ones, and whether the group is the user's
   */
  async follow(groupId: string, userId: string, statuses: boolean): Promise<{ live: TaskEntry[]; ended: TaskEntry[]; owned: boolean }> {
    await this.#backend.bus.groupReady(groupId);
    const group = await this.#backend.groups.get(groupId);
    if (group === undefined || group.ownerId !== userId) return { live: [], ended: [], owned: false };
    const live = statuses ? [...(await this.#backend.tasks.getMany(userId, await this.#backend.groups.taskIds(userId, groupId))).values()].filter((t) => !isFinalStatus(t.status)) : [];
    const ids = await this.#backend.groups.drainUndelivered(userId, groupId);
    const ended = ids.length === 0 ? [] : [...(await this.#backend.tasks.getMany(userId, ids)).values()].filter((t) => t.completedAt !== null);
    return { live, ended, owned: true };
  }

  /**
   * Marks results delivered: they no longer wait for a later subscriber.
   *
   * @param ownerId - the group's owner
   * @param groupId - their group
   * @param taskIds - the tasks
   * @returns when stored
   */
  delivered(ownerId: string, groupId: string, taskIds: readonly string[]): Promise<void> {
    return this.#backend.groups.removeUndelivered(ownerId, groupId, taskIds);
  }

  /**
   * How many result sockets a user has open, across replicas.
   *
   * @param userId - the user
   * @returns the count
   */
  openSockets(userId: string): Promise<number> {
    return this.#backend.counters.of(userId, 'resultSocketsOpen');
  }

  /**
   * Counts a result socket opened (+1) or closed (-1).
   *
   * @param userId - its user
   * @param delta - +1 or -1
   * @returns nothing
   */
  countSocket(userId: string, delta: 1 | -1): void {
    this.#backend.counters.add(userId, 'resultSocketsOpen', delta);
    if (delta === 1) this.#backend.counters.add(userId, 'resultSocketsTotal', 1);
  }
}
