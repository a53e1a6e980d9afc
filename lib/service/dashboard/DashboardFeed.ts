import type { TaskEnd, TaskEntry } from '../core/records.js';
import type { TaskObserver } from '../TaskBroker.js';

/** What a dashboard is told of one user's ended tasks since it began watching. */
export interface DashboardTally {
  /** Tasks ended, of any kind. */
  readonly ended: number;
  /** Sum of their submit→end times, in milliseconds (a requeued task counts from its requeue). */
  readonly latencySumMs: number;
}

/**
 * The ended tasks of the users whose dashboard is open, as running totals: a page computes
 * throughput and mean latency from the difference between two of its ticks. It counts only for
 * watched users; the entry of a user goes with the last dashboard that watched it, so the map is
 * bounded by the open dashboards.
 *
 * @example
 * ```ts
 * const feed = new DashboardFeed();
 * const stop = feed.watch(userId);
 * feed.tally(userId); // { ended, latencySumMs }
 * stop();
 * ```
 */
export class DashboardFeed implements Pick<TaskObserver, 'ended'> {
  readonly #watched = new Map<string, { watchers: number; ended: number; latencySumMs: number }>();

  /**
   * Starts counting a user's ended tasks (once per user, however many dashboards).
   *
   * @param userId - the user
   * @returns a function that stops this watch
   */
  watch(userId: string): () => void {
    let entry = this.#watched.get(userId);
    if (entry === undefined) this.#watched.set(userId, (entry = { watchers: 0, ended: 0, latencySumMs: 0 }));
    entry.watchers++;
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      if (--entry.watchers === 0) this.#watched.delete(userId);
    };
  }

  /**
   * A watched user's totals.
   *
   * @param userId - the user
   * @returns the totals, zero when not watched
   */
  tally(userId: string): DashboardTally {
    const entry = this.#watched.get(userId);
    return { ended: entry?.ended ?? 0, latencySumMs: entry?.latencySumMs ?? 0 };
  }

  /** How many users are watched (for specs: it goes back to 0). */
  get size(): number {
    return this.#watched.size;
  }

  ended(before: TaskEntry, end: TaskEnd): void {
    const entry = this.#watched.get(before.ownerId);
    if (entry === undefined) return;
    entry.ended++;
    entry.latencySumMs += Math.max(0, end.completedAt - before.queuedAt);
  }
}
